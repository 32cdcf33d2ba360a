import type { Ancestor } from "./context/ancestry";
import type { ReportKind } from "./events/kinds";
import { type ProcInfo, UNKNOWN } from "./proc/table";
import type { Usage } from "./usage/record";

/**
 * One event, enriched and ready to format. The tracker fills a single instance per event
 * (no allocation on the hot path); later stages read it and must not keep it (copy it
 * with `copyReport` to hold it). Fields that do not apply to `kind` hold their last value
 * and are not read.
 */
export interface Report {
  kind: ReportKind;
  ts: number;
  pid: number;
  tgid: number;
  proc: ProcInfo;
  /** A thread-level event: a new thread, a thread's exit, or a leader's exit that an exec replaced. */
  thread: boolean;
  /** Indent level for --tree. */
  depth: number;
  /** The parent process (a thread-group id): the kernel's for fork, clone, exit and core, else the table's; 0 when unknown. */
  ppid: number;
  /** fork: the thread that called fork (equals ppid unless it was not the main thread). */
  parentTid: number;
  /** fork: the parent process; clone: the process the new thread belongs to. */
  parent: ProcInfo;
  /** exit */
  exitCode: number | null;
  signal: number | null;
  coreDumped: boolean;
  /** exit: the thread-group leader's exit that a thread's exec replaced; the process goes on. */
  replaced: boolean;
  /** seconds, NaN when the start is unknown */
  duration: number;
  /** comm: the name shown before the rename (text), and the kernel's previous comm (JSON) */
  oldName: string;
  oldComm: string;
  /** ptrace: 0 on detach */
  tracerPid: number;
  tracer: ProcInfo;
  /** uid/gid */
  ruid: number;
  euid: number;
  rgid: number;
  egid: number;
  /** lost: how many, or -1 when the kernel's filter makes the count unknowable */
  count: number;
  /** With --show-ancestry: the process's parents, nearest first (filled after the filter). */
  ancestors: Ancestor[];
  /** lost: whose messages: the process events', or the taskstats usage records' (--usage). */
  lostSource: "events" | "usage";
  /** exit, with --usage or --summary: what the task or process cost; null when no record came. */
  usage: Usage | null;
}

export function blankReport(unknown: ProcInfo): Report {
  return {
    kind: "exec",
    ts: 0,
    pid: 0,
    tgid: 0,
    proc: unknown,
    thread: false,
    depth: 0,
    ppid: 0,
    parentTid: 0,
    parent: unknown,
    exitCode: null,
    signal: null,
    coreDumped: false,
    replaced: false,
    duration: NaN,
    oldName: "",
    oldComm: "",
    tracerPid: 0,
    tracer: unknown,
    ruid: 0,
    euid: 0,
    rgid: 0,
    egid: 0,
    count: 0,
    ancestors: [],
    lostSource: "events",
    usage: null,
  };
}

/** A copy that outlives the event: the process entries are copied too, as the table reuses them. */
export function copyReport(r: Report): Report {
  return { ...r, proc: { ...r.proc }, parent: { ...r.parent }, tracer: { ...r.tracer } };
}

/** A report to copy others into (`copyReportInto`): its process entries are its own. */
export function reportSlot(): Report {
  return copyReport(blankReport(UNKNOWN));
}

/** Copies `from` into a slot made by `reportSlot`, process entries included, allocating nothing. */
export function copyReportInto(to: Report, from: Report): Report {
  const { proc, parent, tracer } = to;
  Object.assign(to, from);
  to.proc = Object.assign(proc, from.proc);
  to.parent = Object.assign(parent, from.parent);
  to.tracer = Object.assign(tracer, from.tracer);
  return to;
}
