import type { ProcInfo } from "./proc/table";

/** The kinds of line pstat writes. */
export type ReportKind = "fork" | "clone" | "exec" | "exit" | "core" | "comm" | "ptrace" | "uid" | "gid" | "sid" | "lost";

/**
 * One event, enriched and ready to format. The monitor fills a single instance per
 * event (no allocation on the hot path); formatters read it and must not keep it.
 * Fields that do not apply to `kind` hold their last value and are not read.
 */
export interface Report {
  kind: ReportKind;
  ts: number;
  pid: number;
  tgid: number;
  proc: ProcInfo;
  /** Indent level for --tree. */
  depth: number;
  /** fork/clone: the process the new task came from; exit/core: the parent. */
  ppid: number;
  parentTgid: number;
  parent: ProcInfo;
  /** exit */
  exitCode: number | null;
  signal: number | null;
  coreDumped: boolean;
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
}
