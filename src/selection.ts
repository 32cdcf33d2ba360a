import { UsageError } from "./errors";
import { What } from "./kernel/netlink";

/** Which event kinds the user asked to see (-e). */
export interface Selection {
  fork: boolean;
  exec: boolean;
  exit: boolean;
  /** Only exits with a non-zero status (exitnonzero); implied by `exit`. */
  exitNonzero: boolean;
  core: boolean;
  comm: boolean;
  clone: boolean;
  ptrace: boolean;
  /** uid and gid changes. */
  uid: boolean;
  sid: boolean;
}

export const EVENT_NAMES = ["fork", "exec", "exit", "core", "comm", "clone", "ptrace", "uid", "sid", "exitnonzero", "all"];
const ALIASES: Record<string, string> = { ptrce: "ptrace", nonzeroexit: "exitnonzero", coredump: "core", gid: "uid" };

export function selectAll(): Selection {
  return { fork: true, exec: true, exit: true, exitNonzero: true, core: true, comm: true, clone: true, ptrace: true, uid: true, sid: true };
}

export function parseEvents(list: string): Selection {
  const sel: Selection = { fork: false, exec: false, exit: false, exitNonzero: false, core: false, comm: false, clone: false, ptrace: false, uid: false, sid: false };
  const names = list.split(",").map((s) => s.trim());
  if (names.every((n) => n === "")) throw new UsageError("option -e needs a list of events");
  for (const raw of names) {
    if (raw === "") continue;
    const lower = raw.toLowerCase();
    const name = ALIASES[lower] ?? lower;
    if (name === "all") return selectAll();
    if (name === "exitnonzero") sel.exitNonzero = true;
    else if (name in sel) sel[name as keyof Selection] = true;
    else throw new UsageError(`unknown event '${raw}' for -e (expected ${EVENT_NAMES.join(", ")})`);
  }
  if (sel.exit) sel.exitNonzero = true;
  return sel;
}

/**
 * Whether pstat keeps a per-PID cache, which needs every fork, exec and exit. Without it
 * exits would have no command line (the kernel frees it first) and comm changes no old
 * name; only exec, core, ptrace, uid and sid can be named from /proc when they happen.
 */
export function needsTracking(sel: Selection): boolean {
  return sel.fork || sel.clone || sel.exitNonzero || sel.comm;
}

/** The kernel-side filter (6.6+): only these kinds cross into user space. */
export function kernelMask(sel: Selection, tracking: boolean): number {
  let m = 0;
  if (sel.fork || sel.clone || tracking) m |= What.FORK;
  if (sel.exec || tracking) m |= What.EXEC;
  if (sel.exit || tracking) m |= What.EXIT;
  else if (sel.exitNonzero) m |= What.NONZERO_EXIT;
  if (sel.core) m |= What.COREDUMP;
  if (sel.comm) m |= What.COMM;
  if (sel.ptrace) m |= What.PTRACE;
  if (sel.uid) m |= What.UID | What.GID;
  if (sel.sid) m |= What.SID;
  return m >>> 0;
}

/**
 * Whether to ask the kernel to filter. Filtering costs pstat its exact loss count (the
 * kernel's per-CPU sequence then skips filtered events too), so it is worth it only when
 * it keeps out part of the bulk of the traffic, forks, execs and exits; when all three
 * are needed anyway, the rest is too rare to matter.
 */
export function worthFiltering(mask: number): boolean {
  const bulk = What.FORK | What.EXEC | What.EXIT;
  return (mask & bulk) >>> 0 !== bulk >>> 0;
}
