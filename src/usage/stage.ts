import { limitJit } from "../jit";
import type { Plan } from "../plan";
import { UNKNOWN_NAME } from "../proc/table";
import { copyReportInto, type Report, reportSlot } from "../report";
import { UsageJoiner } from "./join";
import type { UsageSource } from "../source/usage-source";
import { commText, type UsageRecord } from "./record";
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
/**
 * While the events lag behind, records are taken ahead of their exits only up to the
 * joiner's room less this, so that an exit whose record came a little out of order can
 * still pull it in without dropping another.
 */
const SLACK = 256;
/** Records an exit that finds none pulls in at most: its own is most likely just behind. */
const PULL = 32;
/** Records an exit looks through for its own before the joiner takes over (see deliver). */
const AHEAD = 4;

export interface UsageStageOptions {
  /** Which lines the user asked for: with --summary every process exit comes here, shown or not. */
  plan: Pick<Plan, "show" | "failingExitsOnly" | "summary">;
  /** Where the records come from: null when they cannot be had, and exits go on at once, without figures. */
  source: UsageSource | null;
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
 * own). Nothing is copied while nothing waits, and an exit whose record is the next on
 * the socket takes it from there, without the joiner keeping it.
 */
export class UsageStage {
  private readonly joiner: UsageJoiner<Report> | null;
  private readonly exit: SummaryExit = { pid: 0, program: "", cmdline: null, exitCode: null, signal: null, usage: null };

  constructor(private readonly o: UsageStageOptions) {
    this.joiner = o.source !== null ? new UsageJoiner<Report>({ make: reportSlot, emit: this.joined, holdNs: HOLD_MS * 1e6, capacity: CAPACITY }) : null;
    limitJit(this.joined, this.onRecord, this.pull); // the per-exit and per-record callbacks, like the methods (see src/jit.ts)
  }

  /** A report that passed the filter. */
  deliver(r: Report): void {
    const j = this.joiner;
    if (j === null) {
      r.usage = null;
      return this.out(r);
    }
    if (r.kind === "exit") {
      if (!r.thread && j.directReady(r.pid, r.tgid)) {
        // Records come in the order their tasks exit, mostly that of the exit events: the
        // next one on the socket is most likely this one's, and goes out with it unstored.
        // Tasks ending on other CPUs at the same moment may have theirs a place or two ahead.
        for (let k = 0; k < AHEAD; k++) {
          const rec = this.o.source!.next();
          if (rec === null) break;
          if (j.takeDirect(rec, r.pid, r.tgid, r)) return;
          const own = rec.pid === r.pid;
          j.record(rec, nowNs());
          if (own) break;
        }
      }
      // A process's end gets its group's figures; a thread's exit, or a leader's that an exec replaced, its own.
      const slot = j.pushExit(r.pid, r.tgid, nowNs(), !r.thread, r, this.pull);
      if (slot !== null) copyReportInto(slot, r);
      return;
    }
    if (j.idle) return this.out(r);
    copyReportInto(j.push(nowNs()), r);
  }

  /** An exit the filter left out: its record, if here, is not kept waiting for a line. */
  discard(r: Report): void {
    if (r.kind !== "exit" || this.joiner === null) return;
    this.catchUp();
    this.joiner.discard(r.pid, r.tgid);
  }

  /**
   * An exit event has gone by (after the tracker applied it). A thread's record, if not
   * taken, is not kept waiting for a line that will not come (a thread exit not shown).
   */
  passed(pid: number, tgid: number): void {
    if (pid === tgid || this.joiner === null) return;
    this.catchUp();
    this.joiner.passed(pid, tgid);
  }

  /**
   * Receives the records waiting, before the events of the same turn (an exit's record
   * is sent before its event): each exit then takes its own off the ring as it comes
   * (see deliver), and settle keeps the rest. While the events lag behind (`behind`: a
   * backlog), they are kept at once instead, but only as many as the joiner can keep: the
   * rest wait in the socket until their exits are near, instead of pushing out records
   * whose exits are still queued.
   */
  pump(behind: boolean): void {
    const j = this.joiner;
    if (j === null) return;
    this.behind = behind;
    if (behind) this.take(Math.max(0, j.room - SLACK));
    else this.o.source!.fill();
  }

  /** The events lag behind (see pump). */
  private behind = false;

  /**
   * After the turn's events: records for exits still waiting, then what can go on. Unless
   * events are still queued (`behind`), the records that came during the turn are
   * received, to wait in the ring for their exits (the next turn's): the socket must be
   * empty for the sleep, and what the ring cannot hold the joiner keeps.
   */
  settle(behind: boolean): void {
    const j = this.joiner;
    if (j === null) return;
    if (!j.idle) {
      // Room for the records still to come; if none, the oldest kept have no exit coming.
      if (j.room < PULL) j.evictOldest(PULL - j.room);
      this.take(j.room);
    }
    if (!behind && this.o.source!.fill()) this.take(Infinity);
    j.release(nowNs());
  }

  /** Before an exit that is not shown: the records received so far are kept, so that its own is found and dropped. */
  private catchUp(): void {
    if (!this.behind) this.takeReceived(Infinity);
  }

  /** As take, for the records received so far (see UsageSource.drainReceived). */
  private takeReceived(max: number): void {
    this.now = nowNs();
    this.o.source!.drainReceived(this.onRecord, max);
  }

  record(rec: UsageRecord): void {
    this.joiner?.record(rec, nowNs());
  }

  /** Sends on what has its figures, and what has waited long enough without. */
  release(): void {
    this.joiner?.release(nowNs());
  }

  /** At the end: the records still queued, then everything held goes on, without figures if its record never came. */
  flush(): void {
    const j = this.joiner;
    if (j === null) return;
    this.take(Infinity);
    j.flushAll();
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

  /** An exit that finds no record pulls in a few: its own is most likely just behind in the socket. */
  private readonly pull = (): void => {
    this.take(Math.min(this.joiner!.room, PULL));
  };

  /** Takes up to `max` records waiting on the socket, all stamped with one time: they were received together. */
  private take(max: number): void {
    this.now = nowNs();
    this.o.source!.drain(this.onRecord, max);
  }

  private now = 0;

  private readonly onRecord = (rec: UsageRecord): void => {
    this.joiner!.record(rec, this.now);
  };

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
    // A process gone before its name could be read: its record has the kernel's.
    e.program = r.proc.comm === UNKNOWN_NAME && r.usage !== null && r.usage.commLength > 0 ? commText(r.usage) : r.proc.comm;
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
