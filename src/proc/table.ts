import { readdirSync } from "node:fs";
import type { Clock } from "../clock";
import type { CommEvent, ExecEvent, ForkEvent } from "../events/types";
import { NEED_CGROUP, NEED_CWD, NEED_LOGIN } from "../context/needs";
import { type ProcessContext, readContext } from "../context/read";
import type { ProcReads } from "../plan";
import { escapeBytes } from "../text/escape";
import { data, PF_KTHREAD, readProcFile, readStat, readUids, type Stat } from "./procfs";

/** How a process is named in the output (forkstat's -c, -s and -d). */
export interface NameMode {
  comm: boolean;
  short: boolean;
  dirstrip: boolean;
}

/** What pstat knows about one task. Names are already escaped for display. */
export interface ProcInfo {
  /** The name as shown in the Process column. */
  name: string;
  /** Full command line, or null when it could not be read (kernel thread, exited). */
  cmdline: string | null;
  comm: string;
  /** Start, in CLOCK_MONOTONIC nanoseconds; NaN when unknown. */
  start: number;
  uid: number;
  euid: number;
  tty: number;
  pgrp: number;
  /** Parent process, and the depth below PID 1 (for --tree). */
  ppid: number;
  depth: number;
  kthread: boolean;
  /** False for the placeholder of a task that was gone before anything could be read. */
  known: boolean;
  /**
   * Where and who (cgroup, cwd, login uid), as far as the plan reads them: read with the
   * command line when the entry is read and at each exec; a fork child shares its parent's
   * (never changed in place). Null when nothing was read.
   */
  ctx: ProcessContext | null;
}

export const UNKNOWN_NAME = "<unknown>";

export const UNKNOWN: Readonly<ProcInfo> = Object.freeze({
  name: UNKNOWN_NAME,
  cmdline: null,
  comm: UNKNOWN_NAME,
  start: NaN,
  uid: -1,
  euid: -1,
  tty: -1,
  pgrp: -1,
  ppid: 0,
  depth: 0,
  kthread: false,
  known: false,
  ctx: null,
});

/**
 * Copies every field of `from` into `to`, so a recycled entry keeps nothing of its last
 * task. Field by field: Object.assign is a call into the runtime, several times the cost
 * on a fork storm's hot path. (A unit test holds this to every field UNKNOWN has.)
 */
export function copyInfo(to: ProcInfo, from: Readonly<ProcInfo>): ProcInfo {
  to.name = from.name;
  to.cmdline = from.cmdline;
  to.comm = from.comm;
  to.start = from.start;
  to.uid = from.uid;
  to.euid = from.euid;
  to.tty = from.tty;
  to.pgrp = from.pgrp;
  to.ppid = from.ppid;
  to.depth = from.depth;
  to.kthread = from.kthread;
  to.known = from.known;
  to.ctx = from.ctx;
  return to;
}

/** Bytes of a command line that are kept; longer ones are cut and marked. */
export const CMDLINE_LIMIT = 4096;
const CUT_MARK = "…";

export interface TableOptions {
  mode: NameMode;
  /** What to read from /proc besides the command line (see plan.ts). */
  reads: ProcReads;
  /**
   * Keep a per-PID cache. Only sound when fork and exit events are received: without
   * them entries could never be created for children or dropped at exit.
   */
  tracking: boolean;
  clock: Clock;
}

/**
 * A PID cannot come round again until the kernel has handed out every other free PID
 * (allocation is cyclic), which takes far longer than this even at a million forks a
 * second with the smallest pid_max. A command line read this soon after the exec needs
 * no start-time check.
 */
const REUSE_SAFE_NS = 20e6;

interface PendingExec {
  /** A full read (command line and stat), or null for none or a task that was gone. */
  info: ProcInfo | null;
  /** A command-line-only read: the escaped command line and display name, and the context. */
  cmdline: string | null;
  name: string | null;
  ctx: ProcessContext | null;
  startTicks: number;
  /** When /proc was read (CLOCK_MONOTONIC ns), to tell whether a later exec came first. */
  readAt: number;
  /** The exec's kernel timestamp: the same exec seen twice is read once. */
  ts: number;
  /** The next (later) read-ahead for the same PID, rarely any. */
  next: PendingExec | null;
}

/** Entries kept for reuse: a storm then allocates no entry per process. */
const POOL_MAX = 4096;

/**
 * The process-information cache: PID -> what the process is. Fork children inherit
 * their parent's entry without touching /proc; exec re-reads /proc; exit drops the entry,
 * so a reused PID never inherits an old name.
 */
export class ProcessTable {
  private readonly procs = new Map<number, ProcInfo>();
  /** Command lines pstat knows without /proc: the command it started itself. */
  private readonly hints = new Map<number, Uint8Array>();
  /** Command lines read ahead for execs not yet decoded: per PID, the oldest first. */
  private readonly pending = new Map<number, PendingExec>();
  /**
   * Entries of exited tasks and used read-aheads, for reuse. A task's entry is referenced
   * only from `procs` and, until the next event, from the report being written, so once
   * it is removed nothing reads it again.
   */
  private readonly freeInfos: ProcInfo[] = [];
  private readonly freePending: PendingExec[] = [];
  /** The context files the plan reads (NEED_* bits); 0 for none. */
  private readonly contextNeeds: number;

  constructor(private readonly opts: TableOptions) {
    const r = opts.reads;
    this.contextNeeds = (r.cgroup ? NEED_CGROUP : 0) | (r.cwd ? NEED_CWD : 0) | (r.loginuid ? NEED_LOGIN : 0);
  }

  /**
   * Loads every process and thread that exists now, so their later events have names and
   * durations; tells `threads` how many threads besides the leader each process has.
   */
  preload(threads: (tgid: number, others: number) => void): void {
    if (!this.opts.tracking) return;
    let pids: string[];
    try {
      pids = readdirSync("/proc");
    } catch {
      return;
    }
    for (const p of pids) {
      const pid = Number(p);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      const info = this.read(pid);
      if (info === null) continue;
      this.procs.set(pid, info);
      let tids: string[];
      try {
        tids = readdirSync(`/proc/${pid}/task`);
      } catch {
        continue;
      }
      let others = 0;
      for (const t of tids) {
        const tid = Number(t);
        if (tid === pid || !Number.isInteger(tid)) continue;
        others++;
        const st = readStat(tid);
        const start = st ? this.opts.clock.monoFromTicks(st.startTicks) : NaN;
        this.procs.set(tid, { ...info, start });
      }
      threads(pid, others);
    }
    for (const info of this.procs.values()) info.depth = this.depthOf(info, 0);
  }

  /** Depth below PID 1 through the parent chain (bounded, in case of a loop from a stale entry). */
  private depthOf(info: ProcInfo, guard: number): number {
    if (info.ppid <= 1 || guard > 64) return info.ppid === 1 ? 1 : 0;
    const parent = this.procs.get(info.ppid);
    return parent === undefined ? 1 : this.depthOf(parent, guard + 1) + 1;
  }

  /** What is known about `pid`: the cache, else /proc, else UNKNOWN. */
  get(pid: number): ProcInfo {
    const hit = this.procs.get(pid);
    if (hit !== undefined) return hit;
    const info = this.read(pid);
    if (info === null) return UNKNOWN;
    info.depth = this.depthOf(info, 0);
    if (this.opts.tracking) this.procs.set(pid, info);
    return info;
  }

  /**
   * The process a new task comes from. The kernel reports a task's real parent, which
   * for a thread is the parent of its whole thread group, so a thread's origin is its
   * own thread group instead.
   */
  origin(e: ForkEvent): number {
    return e.kind === "clone" ? e.tgid : e.parentTgid;
  }

  /** A new task runs its parent's program: copy the parent's entry, no /proc read. */
  fork(e: ForkEvent): ProcInfo {
    const parent = this.get(this.origin(e));
    const child: ProcInfo = parent.known ? this.copy(parent, e.ts) : (this.read(e.pid) ?? { ...UNKNOWN, start: e.ts });
    if (e.kind === "fork") {
      child.ppid = e.parentTgid;
      child.depth = parent.depth + 1;
    }
    if (this.opts.tracking) this.procs.set(e.pid, child);
    return child;
  }

  /**
   * Reads an exec'd process's command line the moment its event arrives, before the
   * events queued ahead of it are formatted: short-lived programs vanish within a
   * millisecond. `ts` is the exec's kernel timestamp.
   */
  prefetchExec(pid: number, ts: number): void {
    const first = this.pending.get(pid);
    let last: PendingExec | null = null;
    for (let p = first ?? null; p !== null; p = p.next) {
      if (p.ts === ts) return;
      // A read made after this exec shows this exec's program (or a later one), not the
      // program of the earlier exec it was made for.
      if (p.readAt > ts) (p.info = p.cmdline = p.name = null), (p.ctx = null);
      last = p;
    }
    const entry = this.freePending.pop() ?? { info: null, cmdline: null, name: null, ctx: null, startTicks: NaN, readAt: 0, ts: 0, next: null };
    if (this.opts.reads.execStat) {
      entry.info = this.read(pid);
      entry.cmdline = entry.name = null;
      entry.ctx = null;
      entry.startTicks = entry.info === null ? NaN : this.opts.clock.ticksFromMono(entry.info.start);
    } else {
      const cmd = this.readCommand(pid);
      entry.info = null;
      entry.cmdline = cmd === null ? null : cmd.cmdline;
      entry.name = cmd === null ? null : cmd.name;
      // Right after the command line, while the program still runs: the cwd is the one it
      // was started in, and the cgroup the one it was moved into before the exec.
      entry.ctx = cmd === null ? null : this.readContext(pid);
      entry.startTicks = NaN;
    }
    entry.readAt = this.opts.clock.nowMono();
    entry.ts = ts;
    entry.next = null;
    if (last === null) this.pending.set(pid, entry);
    else last.next = entry;
  }

  /**
   * Takes the read-ahead made for this exec, matched by its timestamp: one made for an exec
   * whose event was lost (an overflow) must not name this one, so older ones are dropped.
   */
  private takePending(pid: number, ts: number): PendingExec | undefined {
    let p: PendingExec | null = this.pending.get(pid) ?? null;
    if (p === null) return undefined;
    while (p !== null && p.ts < ts) p = this.release(p);
    let found: PendingExec | undefined;
    if (p !== null && p.ts === ts) {
      found = p;
      p = p.next;
    }
    if (p === null) this.pending.delete(pid);
    else this.pending.set(pid, p);
    return found;
  }

  /** Returns a used read-ahead to the pool; gives the one after it. */
  private release(p: PendingExec): PendingExec | null {
    const next = p.next;
    p.info = p.cmdline = p.name = p.next = null;
    p.ctx = null;
    if (this.freePending.length < POOL_MAX) this.freePending.push(p);
    return next;
  }

  /** The enriched entry for an exec: the read-ahead command line if there is one, checked. */
  private execInfo(e: ExecEvent, p: PendingExec, before: ProcInfo | undefined): ProcInfo | null {
    if (p.info !== null) {
      // The PID was reused before /proc was read: the name would be another process's.
      return before !== undefined && !this.sameStart(before.start, p.startTicks) ? null : p.info;
    }
    if (p.cmdline === null || p.name === null) return null;
    if (p.readAt - e.ts < REUSE_SAFE_NS && (before !== undefined || !this.opts.reads.stat)) {
      // Same process for sure: everything but the names carries over from before the exec.
      // The entry is this task's own (no other PID shares it), so it is updated in place.
      // With nothing from before, and nothing that needs /proc/PID/stat, the names suffice.
      const info = before ?? { ...UNKNOWN };
      info.name = p.name;
      info.cmdline = p.cmdline;
      info.comm = commOf(p.cmdline);
      info.known = true;
      info.ctx = p.ctx;
      if (this.opts.reads.execUids) {
        const ids = readUids(e.pid); // a set-uid program changes them at exec
        if (ids !== null) (info.uid = ids[0]), (info.euid = ids[1]);
      }
      return info;
    }
    // Read late, or nothing known from before: prove identity with the start time.
    const st = readStat(e.pid);
    if (st === null || (before !== undefined && !this.sameStart(before.start, st.startTicks))) return null;
    const info = this.fromStat(e.pid, st);
    info.name = this.opts.mode.comm ? info.comm : p.name;
    info.cmdline = p.cmdline;
    info.ctx = p.ctx;
    return info;
  }

  exec(e: ExecEvent): ProcInfo {
    const pid = e.pid;
    const before = this.procs.get(pid);
    let info: ProcInfo | null;
    const p = this.takePending(pid, e.ts);
    if (p !== undefined) {
      info = this.execInfo(e, p, before);
      this.release(p);
    } else info = this.read(pid);
    const hint = this.hints.get(pid);
    if (hint !== undefined) {
      this.hints.delete(pid);
      if (info === null || info.cmdline === null) info = this.fromHint(hint, before ?? info);
    }
    if (info === null) {
      // Keep identity (start, ids) but not the pre-exec name or context, which may be wrong now.
      info = before ? { ...before, name: UNKNOWN_NAME, cmdline: null, comm: UNKNOWN_NAME, known: false, ctx: null } : { ...UNKNOWN };
    } else if (before !== undefined) {
      if (!Number.isNaN(before.start)) info.start = before.start;
      info.depth = before.depth;
    } else info.depth = this.depthOf(info, 0);
    if (this.opts.tracking) this.procs.set(pid, info);
    return info;
  }

  /**
   * Remembers the command line of a process pstat started itself, for when it exits
   * before /proc can be read (a command that only echoes something is gone in a millisecond).
   */
  hint(pid: number, argv: string[]): void {
    this.hints.set(pid, new TextEncoder().encode(argv.join("\0")));
  }

  /** Applies a rename; returns the previous comm. */
  comm(e: CommEvent, info: ProcInfo): string {
    const old = info.comm;
    if (info === UNKNOWN || !this.procs.has(e.pid)) return old;
    const now = escapeBytes(e.comm, e.commStart, e.commEnd);
    info.comm = now;
    if (this.opts.mode.comm || info.kthread) info.name = info.kthread ? `[${now}]` : now;
    return old;
  }

  setUids(pid: number, ruid: number, euid: number): void {
    const info = this.procs.get(pid);
    if (info !== undefined) (info.uid = ruid), (info.euid = euid);
  }

  setSession(pid: number): void {
    const info = this.procs.get(pid);
    if (info !== undefined) info.pgrp = pid;
  }

  remove(pid: number): void {
    const info = this.procs.get(pid);
    if (info === undefined) return;
    this.procs.delete(pid);
    if (this.freeInfos.length < POOL_MAX) this.freeInfos.push(info);
  }

  /** A copy of `from` started at `start`, in a recycled entry when there is one. */
  private copy(from: ProcInfo, start: number): ProcInfo {
    const c = this.freeInfos.pop();
    if (c === undefined) return { ...from, start };
    copyInfo(c, from);
    c.start = start;
    return c;
  }

  /** The cached entry of a task, without reading /proc (for ancestry). */
  peek(pid: number): ProcInfo | undefined {
    return this.procs.get(pid);
  }

  /** Every cached task, for building subtrees at start. */
  entries(): IterableIterator<[number, ProcInfo]> {
    return this.procs.entries();
  }

  private fromHint(argv: Uint8Array, base: ProcInfo | null): ProcInfo {
    data.set(argv.subarray(0, CMDLINE_LIMIT));
    const len = Math.min(argv.length, CMDLINE_LIMIT);
    const cmdline = escapeBytes(data, 0, len, true);
    let end = argv.indexOf(0);
    if (end < 0) end = argv.length;
    const slash = argv.subarray(0, end).lastIndexOf(0x2f);
    const comm = escapeBytes(argv, slash + 1, Math.min(end, slash + 1 + 15));
    const name = this.opts.mode.comm ? comm : this.nameFrom(len, cmdline, false);
    return { ...(base ?? UNKNOWN), name, cmdline, comm, known: true };
  }

  private sameStart(startMono: number, ticks: number): boolean {
    if (Number.isNaN(startMono)) return true;
    return Math.abs(this.opts.clock.ticksFromMono(startMono) - ticks) <= 2;
  }

  /**
   * Reads a task from /proc: command line first (it vanishes first), then stat, which
   * also proves the command line belonged to the same task as long as the start time
   * matches what the caller expects.
   */
  private read(pid: number): ProcInfo | null {
    const cmd = this.readCommand(pid);
    if (cmd === null) return null;
    const { cmdline, name } = cmd;
    const st = readStat(pid);
    if (st === null) return null;
    const info = this.fromStat(pid, st);
    // No command line and not a kernel thread: the process has exited (a zombie). Its
    // comm is kept, but the name column says plainly that the command line is gone.
    if (!info.kthread && !this.opts.mode.comm) info.name = name ?? UNKNOWN_NAME;
    info.cmdline = cmdline;
    info.ctx = this.readContext(pid);
    return info;
  }

  /** The context the plan asks for, or null when it asks for none. */
  private readContext(pid: number): ProcessContext | null {
    return this.contextNeeds === 0 ? null : readContext(pid, this.contextNeeds);
  }

  /** readCommand()'s result, reused: valid until its next call. */
  private readonly cmd: { cmdline: string | null; name: string | null } = { cmdline: null, name: null };

  /**
   * Reads and escapes /proc/PID/cmdline; null when the task is gone. Its fields are null
   * for an empty command line (kernel thread, zombie).
   */
  private readCommand(pid: number): { readonly cmdline: string | null; readonly name: string | null } | null {
    let len = readProcFile(pid, "cmdline", CMDLINE_LIMIT + 1);
    this.cmd.cmdline = this.cmd.name = null;
    if (len < 0) return null;
    const cut = len > CMDLINE_LIMIT;
    if (cut) {
      len = CMDLINE_LIMIT;
      while (len > 0 && (data[len]! & 0xc0) === 0x80) len--; // do not split a UTF-8 character
    } else while (len > 0 && data[len - 1] === 0) len--;
    if (len > 0) {
      this.cmd.cmdline = escapeBytes(data, 0, len, true) + (cut ? CUT_MARK : "");
      this.cmd.name = this.nameFrom(len, this.cmd.cmdline, cut);
    }
    return this.cmd;
  }

  /** An entry from /proc/PID/stat (just read into `st`), named by its comm for now. */
  private fromStat(pid: number, st: Stat): ProcInfo {
    const comm = escapeBytes(data, st.commStart, st.commEnd);
    const kthread = (st.flags & PF_KTHREAD) !== 0;
    const info: ProcInfo = {
      name: kthread ? `[${comm}]` : comm,
      cmdline: null,
      comm,
      start: this.opts.clock.monoFromTicks(st.startTicks),
      uid: -1,
      euid: -1,
      tty: st.ttyNr,
      pgrp: st.pgrp,
      ppid: st.ppid,
      depth: 0,
      kthread,
      known: true,
      ctx: null,
    };
    if (this.opts.reads.uids) {
      const ids = readUids(pid);
      if (ids !== null) (info.uid = ids[0]), (info.euid = ids[1]);
    }
    return info;
  }

  /** The display name for -s/-d from the command line still in `data`. */
  private nameFrom(len: number, full: string, cut: boolean): string {
    const { short, dirstrip } = this.opts.mode;
    if (!short && !dirstrip) return full;
    let argv0End = 0;
    while (argv0End < len && data[argv0End] !== 0) argv0End++;
    let argv0Start = 0;
    if (dirstrip) for (let i = 0; i < argv0End; i++) if (data[i] === 0x2f) argv0Start = i + 1;
    if (argv0Start === argv0End) argv0Start = 0; // "foo/" or "/": keep what there is
    const end = short ? argv0End : len;
    return escapeBytes(data, argv0Start, end, true) + (cut && end === len ? CUT_MARK : "");
  }
}

/**
 * The comm an exec gives a program, from its command line: the last part of argv[0], at
 * most 15 bytes. Only stands in where pstat skipped the stat read and nothing shows comm;
 * a script run by its interpreter is named after the script, which this cannot know.
 */
export function commOf(cmdline: string): string {
  const space = cmdline.indexOf(" ");
  const end = space < 0 ? cmdline.length : space;
  // One slice: every string made here is garbage on an exec storm's hot path.
  const start = end === 0 ? 0 : cmdline.lastIndexOf("/", end - 1) + 1;
  return cmdline.slice(start, Math.min(end, start + 15));
}

/** The module functions the table runs per event, for limitJit (see src/jit.ts). */
export const TABLE_FUNCTIONS = [commOf, copyInfo];
