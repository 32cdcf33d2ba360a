// Turn each monitor's text output into events the scorer can match by PID.
import { closeSync, openSync, readSync } from "node:fs";

export type Kind = "fork" | "exec" | "exit";

export type Parsed =
  /** a fork child line, an exec line or an exit line */
  | { kind: Kind; pid: number; name: string }
  /** the monitor says the kernel dropped `count` events (NaN: some, it could not tell how many) */
  | { kind: "lost"; count: number }
  /** the parent half of a fork: forkstat and pstat print it just before the child's line */
  | { kind: "forkParent"; pid: number }
  /** a line that looks like an event we do not score (clone, comm, ...) */
  | { kind: "other" }
  /** a line we did not understand */
  | { kind: "unparsed"; line: string };

export type LineParser = (line: string) => Parsed | undefined;

/** Calls `fn` for each line of a file of any size, without holding it all in memory. */
export function forEachLine(path: string, fn: (line: string) => void): void {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return;
  }
  const buf = Buffer.allocUnsafe(8 << 20);
  const decoder = new TextDecoder();
  let carry = "";
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const text = carry + decoder.decode(buf.subarray(0, n), { stream: true });
      const lines = text.split("\n");
      carry = lines.pop() ?? "";
      for (const line of lines) fn(line);
    }
    carry += decoder.decode();
    if (carry.length > 0) fn(carry);
  } finally {
    closeSync(fd);
  }
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Splits off whitespace-separated tokens one at a time and keeps the untouched rest. */
class Cursor {
  private pos = 0;
  constructor(private readonly s: string) {}
  peek(): string | undefined {
    const m = /\S+/y;
    const start = this.skipSpace();
    m.lastIndex = start;
    return m.exec(this.s)?.[0];
  }
  take(): string | undefined {
    const t = this.peek();
    if (t !== undefined) this.pos = this.skipSpace() + t.length;
    return t;
  }
  rest(): string {
    return this.s.slice(this.pos).trim();
  }
  private skipSpace(): number {
    let i = this.pos;
    while (i < this.s.length && (this.s[i] === " " || this.s[i] === "\t")) i++;
    return i;
  }
}

const DATE = /^\d{4}\/\d{2}\/\d{2}$/;
const TIME = /^\d{2}:\d{2}:\d{2}(\.\d+)?$/;
const INT = /^-?\d+$/;
const DURATION = /^(\d+(\.\d+)?s?|unknown|-)$/;

/**
 * forkstat's `HH:MM:SS event PID info duration process` and pstat's
 * `YYYY/MM/DD HH:MM:SS event PID info duration process`. Column widths are not
 * relied upon: the info column may be empty and names may hold any spaces.
 * Heading lines (`Time ...`, repeated every screenful by forkstat) are skipped.
 */
export const parseForkstatLike: LineParser = (raw) => {
  const line = raw.includes("\x1b") ? raw.replace(ANSI, "") : raw;
  if (line.trim() === "" || /^\s*Time\s/.test(line)) return undefined;
  const c = new Cursor(line);
  let first = c.take();
  if (first !== undefined && DATE.test(first)) first = c.take();
  if (first === undefined || !TIME.test(first)) return { kind: "unparsed", line: raw };
  const event = c.take();
  if (event === "lost") {
    // pstat: `lost - COUNT COUNT events lost (...)`, or `?` for COUNT when it could not
    // count (kernel-side filter). Take the first number or `?` after the event.
    for (let t = c.take(); t !== undefined; t = c.take()) {
      if (INT.test(t)) return { kind: "lost", count: Number(t) };
      if (t === "?") return { kind: "lost", count: Number.NaN };
    }
    return { kind: "unparsed", line: raw };
  }
  // forkstat's only sign of an overflow: `recv ----- nobufs (No buffer space available)`
  if (event === "recv") return line.includes("nobufs") ? { kind: "lost", count: Number.NaN } : { kind: "unparsed", line: raw };
  const pidText = c.take();
  if (pidText === undefined || !INT.test(pidText)) return { kind: "unparsed", line: raw };
  const pid = Number(pidText);
  switch (event) {
    case "fork": {
      const info = c.take();
      if (info === "child") return { kind: "fork", pid, name: c.rest() };
      if (info === "parent") return { kind: "forkParent", pid };
      return { kind: "unparsed", line: raw };
    }
    case "exec":
      return { kind: "exec", pid, name: c.rest() };
    case "exit": {
      // the exit status column: a number, or a signal name (pstat prints e.g. SIGSEGV)
      const status = c.take();
      if (status === undefined) return { kind: "unparsed", line: raw };
      const maybeDuration = c.peek();
      if (maybeDuration !== undefined && DURATION.test(maybeDuration)) c.take();
      return { kind: "exit", pid, name: c.rest() };
    }
    default:
      return event !== undefined && /^[a-z]+$/.test(event) ? { kind: "other" } : { kind: "unparsed", line: raw };
  }
};

/**
 * extrace -f -t: `PID+ argv...` for an exec, `PID- name exited status=N time=Xs`
 * (or `killed by ...`) for the exit of a process it saw exec.
 */
export const parseExtrace: LineParser = (line) => {
  if (line.trim() === "") return undefined;
  const m = line.match(/^\s*(\d+)([+-]) (.*)$/);
  if (!m) return { kind: "unparsed", line };
  const pid = Number(m[1]);
  const text = m[3] ?? "";
  // extrace shell-quotes argv, so an empty command line (process already gone) shows as ''
  const unquote = (s: string) => (s.trim() === "''" ? "" : s.trim());
  if (m[2] === "+") return { kind: "exec", pid, name: unquote(text) };
  const end = text.search(/ (exited|killed|terminated) /);
  return { kind: "exit", pid, name: unquote(end >= 0 ? text.slice(0, end) : text) };
};

/**
 * extrace writes to stderr when /proc/PID was gone before it could read the
 * command line; that exec was received but shown without a name.
 */
export const parseExtraceStderr: LineParser = (line) => {
  const m = line.match(/process vanished (?:before notification|without a name): pid (\d+)/);
  return m ? { kind: "exec", pid: Number(m[1]), name: "<unknown>" } : undefined;
};

/**
 * floor.c: `exec PID cmdline` with NULs as spaces, or `exec PID <unknown>` when
 * /proc/PID was gone or empty (the scorer counts that name as unknown).
 */
export const parseFloor: LineParser = (line) => {
  if (line.trim() === "") return undefined;
  const m = line.match(/^exec (\d+) (.*)$/);
  if (m) return { kind: "exec", pid: Number(m[1]), name: m[2] ?? "" };
  // floor-bun-all's fork and exit lines: printed, not scored (they carry no name)
  return /^(?:fork|exit) \d+$/.test(line) ? { kind: "other" } : { kind: "unparsed", line };
};
