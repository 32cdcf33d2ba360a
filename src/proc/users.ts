import { readFileSync } from "node:fs";
import { escapeString } from "../text/escape";

let names: Map<number, string> | null = null;
let uids: Map<string, number> | null = null;

/** Reads /etc/passwd once; a minimal container may have none, and then numbers it is. */
function load(): void {
  names = new Map();
  uids = new Map();
  try {
    for (const line of readFileSync("/etc/passwd", "latin1").split("\n")) {
      const f = line.split(":");
      if (f.length < 3 || !/^\d+$/.test(f[2]!)) continue;
      const uid = Number(f[2]);
      if (!names.has(uid)) names.set(uid, escapeString(f[0]!));
      if (!uids.has(f[0]!)) uids.set(f[0]!, uid);
    }
  } catch {
    // no /etc/passwd
  }
}

/** The user name for a uid, or the number itself. */
export function userName(uid: number): string {
  if (uid < 0) return "?";
  if (names === null) load();
  return names!.get(uid) ?? String(uid);
}

/** The uid of a user name, or null. */
export function uidOf(name: string): number | null {
  if (uids === null) load();
  return uids!.get(name) ?? null;
}
