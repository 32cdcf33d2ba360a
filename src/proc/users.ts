import { readFileSync } from "node:fs";
import { escapeString } from "../text/escape";

let names: Map<number, string> | null = null;

/** The user name for a uid from /etc/passwd (read once), or the number itself. */
export function userName(uid: number): string {
  if (uid < 0) return "?";
  if (names === null) {
    names = new Map();
    try {
      for (const line of readFileSync("/etc/passwd", "latin1").split("\n")) {
        const f = line.split(":");
        if (f.length >= 3 && /^\d+$/.test(f[2]!) && !names.has(Number(f[2]))) names.set(Number(f[2]), escapeString(f[0]!));
      }
    } catch {
      // No /etc/passwd (a minimal container): numbers it is.
    }
  }
  return names.get(uid) ?? String(uid);
}
