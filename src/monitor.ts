import type { Subprocess } from "bun";
import { Clock } from "./clock";
import type { Config } from "./config";
import { parentsOf } from "./context/ancestry";
import { RuntimeError } from "./errors";
import type { ProcEvent } from "./events/types";
import type { ProcessFilter } from "./filter";
import { PIPELINE_HOT_CODE } from "./hot-code";
import { limitJit } from "./jit";
import { TimeFormatter } from "./format/time";
import { JsonFormatter } from "./output/json";
import { TextFormatter } from "./output/text";
import { raisePriority, setRealtime } from "./kernel/priority";
import { Output } from "./output/output";
import { Statistics } from "./output/statistics";
import { OutputClosed, Writer } from "./output/writer";
import { makePlan, type Plan } from "./plan";
import { readStat } from "./proc/procfs";
import { ProcessTable, UNKNOWN } from "./proc/table";
import { blankReport, type Report } from "./report";
import { EventSource } from "./source/event-source";
import { EventPump, yieldTurn } from "./pump";
import type { UsageSource } from "./source/usage-source";
import { Scope } from "./track/scope";
import type { Subtree } from "./track/subtree";
import { Tracker } from "./track/tracker";
import { applyThenPass, openUsageSource } from "./usage/open";
import { UsageStage } from "./usage/stage";
import { Summary } from "./usage/summary";
import { CELL_FUNCTIONS } from "./usage/units";

const FLUSH_INTERVAL_MS = 100;

/**
 * One monitoring session: wires the stages (source -> tracker -> filter -> output), runs
 * the command if there is one, and schedules the work. `run()` resolves to the exit status.
 */
export class Monitor {
  private readonly clock = new Clock();
  private readonly plan: Plan;
  private readonly output: Output;
  private readonly table: ProcessTable;
  private readonly subtree: Subtree | null;
  /** --exclude-pid: the processes left out, followed through forks like `subtree`. */
  private readonly scope: Scope;
  private readonly tracker: Tracker;
  private readonly filter: ProcessFilter;
  private readonly stats = new Statistics();
  /** Per-process counts are kept only when they will be shown. */
  private readonly counting: boolean;
  private source: EventSource | null = null;
  /** --usage, --summary: the taskstats records, the stage that joins them to exits, the job's table. */
  private usageSource: UsageSource | null = null;
  private usage: UsageStage | null = null;
  private summary: Summary | null = null;
  /** --summary: when the job started and ended (CLOCK_MONOTONIC ns; the end 0 until it does). */
  private jobStart = 0;
  private jobEnd = 0;
  private stopRequested = false;
  /** Command mode: the child, and its wait status once its thread group has ended. */
  private child: Subprocess | null = null;
  private childStatus: number | null = null;
  private readonly lostReport: Report = blankReport(UNKNOWN);

  constructor(private readonly cfg: Config) {
    this.plan = makePlan(cfg);
    this.output = Output.open(cfg, this.clock);
    this.table = new ProcessTable({ mode: cfg.name, reads: this.plan.reads, tracking: this.plan.track, clock: this.clock });
    this.scope = new Scope(cfg);
    this.subtree = this.scope.subtree;
    this.tracker = new Tracker(this.plan, this.table, this.scope.subtrees, { processEnded: (tgid, status) => this.processEnded(tgid, status) });
    this.filter = this.scope.filter;
    this.counting = cfg.statistics;
  }

  /**
   * A signal arrived. Watching the machine: finish (write what was received, statistics,
   * unsubscribe). Command mode: pass it on to the command and end when it does.
   */
  signal(sig: NodeJS.Signals): void {
    if (this.child !== null && this.childStatus === null) {
      try {
        this.child.kill(sig);
        return;
      } catch {
        // already gone: end as usual
      }
    }
    this.stopRequested = true;
  }

  /** Ends at once (a second Ctrl-C): unsubscribes and closes, writes nothing more. */
  abort(): void {
    this.source?.close();
    this.usageSource?.close();
  }

  async run(): Promise<number> {
    limitJit(Monitor, this, ...PIPELINE_HOT_CODE, Output, TextFormatter, JsonFormatter, TimeFormatter, Statistics, Writer);
    try {
      this.start();
      await this.loop();
      await this.finish();
    } catch (e) {
      if (!(e instanceof OutputClosed)) throw e;
    } finally {
      this.source?.close();
      this.usageSource?.close();
      this.output.close();
    }
    if (this.cfg.command === null) return 0;
    const st = this.childStatus ?? 0;
    return (st & 0x7f) === 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f);
  }

  private start(): void {
    if (!this.cfg.realtime) raisePriority();
    else if (!setRealtime()) warn("warning: cannot switch to real-time scheduling (-r needs root or CAP_SYS_NICE); carrying on");
    if (this.plan.usage) this.openUsage();
    this.source = EventSource.open({
      rcvbuf: this.cfg.rcvbuf,
      mask: this.plan.mask,
      kernelFilter: this.plan.kernelFilter,
      readAhead: this.plan.execReadAhead ? (pid, ts) => this.table.prefetchExec(pid, ts) : null,
      onLost: (count) => this.lost(count),
      wakeFor: this.usageSource === null ? [] : [this.usageSource.descriptor],
    });
    for (const note of this.source.notes) warn(`warning: ${note}`);
    this.tracker.preload();
    this.scope.adopt(this.table);
    if (this.cfg.pids !== null) this.tracker.baseDepth = Math.min(...this.cfg.pids.map((pid) => this.table.get(pid).depth));
    if (!this.cfg.quiet) this.output.heading();
    this.jobStart = this.clock.nowMono();
    if (this.cfg.command !== null) {
      // The heading goes out before the command can write to the same terminal or file.
      this.output.writer.flush();
      this.startCommand(this.cfg.command);
    }
  }

  /** Opens the taskstats records, or says once why the figures will be missing and carries on without. */
  private openUsage(): void {
    limitJit(...CELL_FUNCTIONS);
    // The kernel's name of each task only for --summary (a program gone before pstat could read its own);
    // I/O, faults, switches and delays only for JSON and the summary.
    const opened = openUsageSource(() => this.lost(-1, "usage"), this.cfg.summary, this.cfg.summary || this.cfg.format === "json");
    const reason = opened.ok ? null : opened.reason;
    if (opened.ok) this.usageSource = opened.source;
    // Said once: at start when exit lines will lack the figures, else by the summary at the end.
    else if (this.cfg.usage) warn(`warning: no CPU, memory or I/O figures: ${reason}`);
    this.stats.usage = this.cfg.usage;
    this.stats.records = true;
    this.stats.usageUnavailable = reason;
    this.summary = this.cfg.summary ? new Summary(reason) : null;
    this.usage = new UsageStage({ plan: this.plan, source: this.usageSource, summary: this.summary, next: this.show });
  }

  /** Starts the command only now that every event it causes will be seen. */
  private startCommand(argv: string[]): void {
    try {
      this.child = Bun.spawn(argv, { stdio: ["inherit", "inherit", "inherit"] });
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "command not found" : (e as Error).message;
      throw new RuntimeError(`cannot run ${argv[0]}: ${reason}`);
    }
    this.subtree!.add(this.child.pid);
    this.table.hint(this.child.pid, argv);
    this.tracker.baseDepth = this.table.get(this.child.pid).depth;
  }

  /**
   * A whole process has ended. Command mode ends with the command's own end when asked
   * to, else once the last of its descendants has gone too (like strace -f).
   */
  private processEnded(tgid: number, status: number): void {
    if (this.child === null) {
      // --summary with --pid: the job ends with the last of the processes followed.
      if (this.summary !== null && this.subtree !== null && this.subtree.size === 0) this.jobEnded();
      return;
    }
    if (tgid === this.child.pid) this.childStatus = status;
    if (this.childStatus !== null && (this.cfg.exitWithCommand || this.subtree!.size === 0)) this.jobEnded();
  }

  private jobEnded(): void {
    this.stopRequested = true;
    if (this.jobEnd === 0) this.jobEnd = this.clock.nowMono();
  }

  private async loop(): Promise<void> {
    const writer = this.output.writer;
    const source = this.source!;
    const pump = new EventPump(source, {
      onEvent: this.usage === null ? this.onEvent : applyThenPass(this.onEvent, this.usage),
      companion: this.usage,
      noTimers: true,
      paused: this.backlogged,
      sweepDue: () => this.sweepDue(),
      sweep: () => this.sweep(),
      afterBatch: (now, gathering) => {
        const pending = writer.pendingSince;
        // Between bursts write at once: waking up again only to flush costs more than the
        // write. In a steady trickle the next exec wakes pstat before the flush is due.
        const wait = gathering || source.steadyWithin(FLUSH_INTERVAL_MS);
        if (pending >= 0 && (!wait || now - pending >= FLUSH_INTERVAL_MS)) writer.flush();
      },
    });
    const deadline = this.cfg.durationMs > 0 ? performance.now() + this.cfg.durationMs : Infinity;
    while (!this.stopRequested) {
      if (performance.now() >= deadline) break;
      if (writer.backlogged) {
        // The reader is slow: let it catch up before taking more events (the socket
        // buffers them meanwhile), and keep visiting the event loop so signals work.
        writer.waitWritable(FLUSH_INTERVAL_MS);
        writer.flush();
        await pump.yield();
        continue;
      }
      const since = writer.pendingSince;
      await pump.turn(since >= 0 ? Math.min(deadline, since + FLUSH_INTERVAL_MS) : deadline);
    }
    // Whatever is already queued happened before the end: report it too.
    pump.drainAll();
  }

  /** Held exits wait for their thread group, or a finished command for descendants whose exits were lost. */
  private sweepDue(): boolean {
    return this.tracker.holding || (this.childStatus !== null && this.subtree !== null && this.subtree.size > 0);
  }

  private sweep(): void {
    this.tracker.sweep(this.deliver);
    if (this.childStatus !== null && this.subtree !== null) {
      this.subtree.prune((tgid) => readStat(tgid) !== null);
      if (this.subtree.size === 0) this.jobEnded();
    }
  }

  private async finish(): Promise<void> {
    this.tracker.flush(this.deliver);
    const now = this.clock.nowMono();
    if (this.usage !== null) {
      this.usage.flush();
      this.stats.usageMissing = this.usage.missing;
      this.stats.usageMalformed = this.usageSource?.malformed ?? 0;
    }
    this.stats.malformed = this.source!.malformed;
    if (this.counting) this.output.statistics(this.stats, now);
    if (this.summary !== null) this.output.summary(this.summary, ((this.jobEnd || now) - this.jobStart) / 1e9, now);
    // Everything asked for is written, however slow the reader; a second Ctrl-C still ends it.
    const writer = this.output.writer;
    while (!writer.flush()) {
      writer.waitWritable(FLUSH_INTERVAL_MS);
      await yieldTurn();
    }
  }

  private readonly backlogged = () => this.output.writer.backlogged;
  private readonly onEvent = (e: ProcEvent) => this.tracker.apply(e, this.deliver);

  /** The filter, then (--usage, --summary) the usage stage, the statistics and the output, for each report the tracker hands on. */
  private readonly deliver = (r: Report): void => {
    if (this.filter.active && !this.filter.wanted(r.proc, r.tgid)) {
      this.usage?.discard(r);
      return;
    }
    // Read now, while the table still has the parents: a report the usage stage holds goes out later.
    if (!this.cfg.quiet && this.cfg.context.ancestry) r.ancestors = parentsOf(r.tgid, r.proc, this.parentOf);
    if (this.usage !== null) this.usage.deliver(r);
    else this.show(r);
  };

  private readonly parentOf = (pid: number) => this.table.peek(pid);

  /** The statistics and the output. */
  private readonly show = (r: Report): void => {
    if (this.counting && r.kind !== "lost") this.stats.count(r.kind, r.proc.name, r.kind === "exit" && !r.thread ? r.usage : null);
    if (!this.cfg.quiet) this.output.emit(r);
  };

  private lost(count: number, source: Report["lostSource"] = "events"): void {
    if (source === "usage") this.stats.usageOverflows++;
    else if (count >= 0) this.stats.lost += count;
    else this.stats.lostUncounted = true;
    if (this.cfg.quiet) return;
    const r = this.lostReport;
    r.kind = "lost";
    r.ts = this.clock.nowMono();
    r.count = count;
    r.lostSource = source;
    // Through the usage stage, if any, so that the line keeps its place behind held exits.
    if (this.usage !== null) this.usage.deliver(r);
    else this.output.emit(r);
  }
}

function warn(message: string): void {
  process.stderr.write(`pstat: ${message}\n`);
}
