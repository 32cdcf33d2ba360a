import { readFileSync } from "node:fs";
import { escapeBytes } from "../text/escape";

let names: Map<number, string> | null = null;
let uids: Map<string, number> | null = null;

const utf8 = new TextDecoder("utf-8");

/**
 * Parses passwd(5) bytes: uid -> display name (escaped: a name is untrusted text) and
 * name -> uid (as the user would type it, UTF-8). Names are UTF-8 on any current system.
 */
export function parsePasswd(bytes: Uint8Array): { names: Map<number, string>; uids: Map<string, number> } {
  const byUid = new Map<number, string>();
  const byName = new Map<string, number>();
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const line = bytes.subarray(start, end);
    start = end + 1;
    const c1 = line.indexOf(0x3a);
    const c2 = c1 < 0 ? -1 : line.indexOf(0x3a, c1 + 1);
    const c3 = c2 < 0 ? -1 : line.indexOf(0x3a, c2 + 1);
    if (c3 < 0) continue;
    const uidText = utf8.decode(line.subarray(c2 + 1, c3));
    if (!/^\d+$/.test(uidText)) continue;
    const uid = Number(uidText);
    if (!byUid.has(uid)) byUid.set(uid, escapeBytes(line, 0, c1));
    const name = utf8.decode(line.subarray(0, c1));
    if (!byName.has(name)) byName.set(name, uid);
  }
  return { names: byUid, uids: byName };
}

/** Reads /etc/passwd once; a minimal container may have none, and then numbers it is. */
function load(): void {
  let bytes: Uint8Array = new Uint8Array(0);
  try {
    bytes = readFileSync("/etc/passwd");
  } catch {
    // no /etc/passwd
  }
  ({ names, uids } = parsePasswd(bytes));
}

/** The user name for a uid (escaped), or the number itself. */
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
