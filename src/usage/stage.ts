import { limitJit } from "../jit";
import type { Plan } from "../plan";
import { copyReportInto, type Report, reportSlot } from "../report";
import { UsageJoiner } from "./join";
import type { UsageRecord } from "./record";
import type { Summary, SummaryExit } from "./summary";

/**
 * Longest an exit line waits for its record. The kernel sends a task's record before its
 * exit event, and the monitor takes the records before the events, so a line waits only
 * when the record's socket has fallen behind; 5 ms is well above a receive round.
 */
const HOLD_MS = 5;
/**
 * Lines held at most (each a preallocated report): 5 ms of a 40,000-line/s storm is 200.
 * More release the oldest early, without figures.
 */
const CAPACITY = 1024;

export interface UsageStageOptions {
  /** Which lines the user asked for: with --summary every process exit comes here, shown or not. */
  plan: Pick<Plan, "show" | "failingExitsOnly" | "summary">;
  /** Records will come (the taskstats socket is open). If not, exits go on at once, without figures. */
  records: boolean;
  /** --summary: fed every process exit of the job. */
  summary: Summary | null;
  /** What comes after: the statistics and the output. */
  next: (r: Report) => void;
}

/**
 * The stage between the tracker (after the filter) and the statistics and output when
 * --usage or --summary is on: exit reports get their taskstats figures (`Report.usage`),
 * and go on in the order they came. An exit whose record is not here yet is held, with
 * every line after it, at most HOLD_MS; held reports are copies (the tracker reuses its
 * own). Nothing is copied while nothing waits.
 */
export class UsageStage {
  private readonly joiner: UsageJoiner<Report> | null;
  private readonly exit: SummaryExit = { pid: 0, program: "", cmdline: null, exitCode: null, signal: null, usage: null };

  constructor(private readonly o: UsageStageOptions) {
    this.joiner = o.records ? new UsageJoiner<Report>({ make: reportSlot, emit: this.joined, holdNs: HOLD_MS * 1e6, capacity: CAPACITY }) : null;
    limitJit(this.joined); // the per-exit callback, like the methods (see src/jit.ts)
  }

  /** A report that passed the filter. */
  deliver(r: Report): void {
    const j = this.joiner;
    if (j === null) {
      r.usage = null;
      return this.out(r);
    }
    if (r.kind === "exit") {
      // A process's end gets its group's figures; a thread's exit, or a leader's that an exec replaced, its own.
      const slot = j.pushExit(r.pid, r.tgid, nowNs(), !r.thread, r);
      if (slot !== null) copyReportInto(slot, r);
      return;
    }
    if (j.idle) return this.out(r);
    copyReportInto(j.push(nowNs()), r);
  }

  /** An exit the filter left out: its record, if here, is not kept waiting for a line. */
  discard(r: Report): void {
    if (r.kind === "exit") this.joiner?.discard(r.pid, r.tgid);
  }

  record(rec: UsageRecord): void {
    this.joiner?.record(rec, nowNs());
  }

  /** Sends on what has its figures, and what has waited long enough without. */
  release(): void {
    this.joiner?.release(nowNs());
  }

  /** At the end: everything held goes on, without figures if its record never came. */
  flush(): void {
    this.joiner?.flushAll();
  }

  /** When `release` is next due (performance.now() ms); Infinity when nothing waits. */
  get deadline(): number {
    const d = this.joiner === null ? Infinity : this.joiner.nextDeadline();
    return d === Infinity ? d : d / 1e6;
  }

  get holding(): boolean {
    return this.joiner !== null && !this.joiner.idle;
  }

  /** Exit lines that went on without figures because their record never came (or came too late). */
  get missing(): number {
    return this.joiner?.missing ?? 0;
  }

  private readonly joined = (r: Report, usage: Report["usage"]): void => {
    r.usage = usage;
    this.out(r);
  };

  private out(r: Report): void {
    if (r.kind === "exit") {
      if (this.o.summary !== null && !r.thread) this.addToSummary(this.o.summary, r);
      if (!this.shown(r)) return;
    }
    this.o.next(r);
  }

  /** Whether the user asked to see this exit (the tracker hands on every process exit for --summary). */
  private shown(r: Report): boolean {
    const p = this.o.plan;
    if (!p.summary) return true;
    if (r.thread && !r.replaced) return p.show.clone;
    return p.show.exit || (p.failingExitsOnly && (r.signal !== null || (r.exitCode ?? 0) !== 0));
  }

  private addToSummary(s: Summary, r: Report): void {
    const e = this.exit;
    e.pid = r.pid;
    e.program = r.proc.comm;
    e.cmdline = r.proc.cmdline;
    e.exitCode = r.exitCode;
    e.signal = r.signal;
    e.usage = r.usage;
    s.add(e);
  }
}

function nowNs(): number {
  return performance.now() * 1e6;
}
