import type { Subprocess } from "bun";
import { Clock } from "./clock";
import type { Config } from "./config";
import { parentsOf } from "./context/ancestry";
import { RuntimeError } from "./errors";
import { Decoder } from "./events/decoder";
import type { ProcEvent } from "./events/types";
import { ProcessFilter } from "./filter";
import { limitJit } from "./jit";
import { AttrCursor, MessageCursor } from "./kernel/genetlink";
import { raisePriority, setRealtime } from "./kernel/priority";
import { TaskstatsSocket } from "./kernel/taskstats";
import { Output } from "./output/output";
import { Statistics } from "./output/statistics";
import { OutputClosed, Writer } from "./output/writer";
import { makePlan, type Plan } from "./plan";
import { readProcFile, readStat } from "./proc/procfs";
import { ProcessTable, UNKNOWN } from "./proc/table";
import { blankReport, type Report } from "./report";
import { EventSource } from "./source/event-source";
import { UsageSource } from "./source/usage-source";
import { escapeBytes } from "./text/escape";
import { Subtree } from "./track/subtree";
import { Tracker } from "./track/tracker";
import { UsageJoiner } from "./usage/join";
import { DECODE_FUNCTIONS } from "./usage/record";
import { UsageStage } from "./usage/stage";
import { Summary } from "./usage/summary";
import { CELL_FUNCTIONS } from "./usage/units";

const FLUSH_INTERVAL_MS = 100;
/**
 * Only a backstop: signals end a sleep at once (see Sleeper), and timers due sooner (a
 * flush, a collection, -D) shorten it. Each wake costs an idle pstat about 0.5 ms of CPU.
 */
const IDLE_WAKE_MS = 10_000;
/** Datagrams handled before yielding to the event loop (signals, timers, the child). */
const DATAGRAMS_PER_TURN = 4096;
/** A batch this large means a storm: gather the next one straight away instead of sleeping first. */
const GATHER_MIN = 16;
/** Quiet time after a burst (of at least BURST_EVENTS) before pstat collects its garbage. */
const SETTLE_MS = 1000;
const BURST_EVENTS = 10_000;
const LONG_BURST_EVENTS = 200_000;
/** Longest stretch of work between visits to the event loop (where signal handlers run). */
const YIELD_INTERVAL_MS = 20;
/** How often to look in /proc for processes whose end pstat can no longer learn from events. */
const SWEEP_MS = 1000;

const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

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
  private readonly excluded: Subtree | null;
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
    this.subtree = cfg.pids !== null || cfg.command !== null ? new Subtree(cfg.pids ?? []) : null;
    this.excluded = cfg.excludePids !== null ? new Subtree(cfg.excludePids) : null;
    const subtrees = [this.subtree, this.excluded].filter((s) => s !== null);
    this.tracker = new Tracker(this.plan, this.table, subtrees, { processEnded: (tgid, status) => this.processEnded(tgid, status) });
    this.filter = new ProcessFilter({
      pgrp: cfg.pgrp,
      uid: cfg.uid,
      comm: cfg.comm,
      subtree: this.subtree,
      containers: cfg.containers,
      cgroup: cfg.cgroup,
      units: cfg.units,
      excludeComm: cfg.excludeComm,
      excluded: this.excluded,
      excludeUsers: cfg.excludeUsers,
      excludeCgroup: cfg.excludeCgroup,
    });
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
    limitJit(Monitor, Tracker, EventSource, Output, Decoder, ProcessTable, Writer, escapeBytes, readProcFile, readStat);
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
    if (this.cfg.pids !== null) {
      for (const pid of this.cfg.pids) if (this.table.get(pid) === UNKNOWN) throw new RuntimeError(`no process with PID ${pid}`);
      this.subtree!.adopt(this.table.entries());
      this.tracker.baseDepth = Math.min(...this.cfg.pids.map((pid) => this.table.get(pid).depth));
    }
    if (this.cfg.excludePids !== null) {
      // A PID that is free now could be given to an unrelated process later: refused, as for --pid.
      for (const pid of this.cfg.excludePids) if (this.table.get(pid) === UNKNOWN) throw new RuntimeError(`no process with PID ${pid} for --exclude-pid`);
      this.excluded!.adopt(this.table.entries());
    }
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
    limitJit(UsageSource, UsageStage, UsageJoiner, TaskstatsSocket, MessageCursor, AttrCursor, ...DECODE_FUNCTIONS, ...CELL_FUNCTIONS, this.onEventUsage);
    // The kernel's name of each task only for --summary (a program gone before pstat could read its own).
    const opened = UsageSource.open(() => this.lost(-1, "usage"), this.cfg.summary);
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

  /** When events flow, and how many came since the last collection. */
  private activeSince = 0;
  private sinceGc = 0;
  private lastSweep = 0;

  private async loop(): Promise<void> {
    const source = this.source!;
    const writer = this.output.writer;
    const deadline = this.cfg.durationMs > 0 ? performance.now() + this.cfg.durationMs : Infinity;
    let lastYield = performance.now();
    let gathering = false;
    const sink = this.usage === null ? this.onEvent : this.onEventUsage;
    /** The events lag behind: the last turn left some queued. */
    let behind = false;
    while (!this.stopRequested) {
      let now = performance.now();
      if (now >= deadline) break;
      let idle = false;
      if (writer.backlogged) {
        // The reader is slow: let it catch up before taking more events (the socket
        // buffers them meanwhile), and keep visiting the event loop so signals work.
        writer.waitWritable(FLUSH_INTERVAL_MS);
        writer.flush();
        await yieldTurn();
        lastYield = performance.now();
        continue;
      }
      if (!source.ready) {
        let timeout = Math.min(IDLE_WAKE_MS, deadline - now, this.gcDueAt() - now);
        const since = writer.pendingSince;
        if (since >= 0) timeout = Math.min(timeout, since + FLUSH_INTERVAL_MS - now);
        if (this.sweepDue()) timeout = Math.min(timeout, this.lastSweep + SWEEP_MS - now);
        if (this.usage !== null) timeout = Math.min(timeout, this.usage.deadline - now);
        // Anything but events (the time is up, or a signal woke the event loop) means: visit the loop.
        idle = !source.wait(Math.max(0, Math.ceil(timeout)), gathering);
      }
      // An exit's record is sent before its event: taken first, it is there when the exit comes.
      this.usage?.pump(behind);
      const done = source.drain(DATAGRAMS_PER_TURN, sink, this.backlogged);
      behind = done >= DATAGRAMS_PER_TURN || source.ready;
      this.usage?.settle();
      gathering = done >= GATHER_MIN;
      this.sinceGc += done;
      now = performance.now();
      if (this.sweepDue() && now - this.lastSweep >= SWEEP_MS) this.sweep(now);
      const pending = writer.pendingSince;
      // Between bursts write at once: waking up again only to flush costs more than the write.
      if (pending >= 0 && (!gathering || now - pending >= FLUSH_INTERVAL_MS)) writer.flush();
      if (done > 0) {
        this.activeSince = now;
        // A long storm: collect now and then during it too, or the heap's high-water mark
        // keeps climbing until the runtime decides on a full collection by itself.
        if (this.sinceGc >= LONG_BURST_EVENTS) this.collectGarbage();
      } else if (now >= this.gcDueAt()) {
        // A burst is over: hand its garbage back now, so a long-running pstat's memory
        // returns to where it was instead of staying at the burst's high-water mark.
        this.collectGarbage();
      }
      // Signal handlers and the child's exit run on the event loop: visit it when the sleep
      // ended for anything but events, and every few ms under load, not per batch. A signal
      // that lands while pstat is awake ends the next sleep at once (Sleeper), so no visit
      // is needed before sleeping.
      if (idle || now - lastYield >= YIELD_INTERVAL_MS) {
        await yieldTurn();
        lastYield = performance.now();
      }
    }
    // Whatever is already queued happened before the end: report it too.
    if (this.usage === null) source.drain(Infinity, sink, () => false);
    else {
      // With the records, turn by turn, so that they keep pace with their exits.
      do {
        this.usage.pump(behind);
        behind = source.drain(DATAGRAMS_PER_TURN, sink, () => false) >= DATAGRAMS_PER_TURN;
        this.usage.settle();
      } while (behind);
    }
  }

  /** Held exits wait for their thread group, or a finished command for descendants whose exits were lost. */
  private sweepDue(): boolean {
    return this.tracker.holding || (this.childStatus !== null && this.subtree !== null && this.subtree.size > 0);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    this.tracker.sweep(this.deliver);
    if (this.childStatus !== null && this.subtree !== null) {
      this.subtree.prune((tgid) => readStat(tgid) !== null);
      if (this.subtree.size === 0) this.jobEnded();
    }
  }

  private collectGarbage(): void {
    this.sinceGc = 0;
    Bun.gc(true);
  }

  /** When the garbage of the last burst is due to be collected (Infinity: no burst since). */
  private gcDueAt(): number {
    return this.sinceGc >= BURST_EVENTS ? this.activeSince + SETTLE_MS : Infinity;
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
  /** With --usage or --summary: the usage stage also learns of every exit event that went by. */
  private readonly onEventUsage = (e: ProcEvent) => {
    this.tracker.apply(e, this.deliver);
    if (e.kind === "exit" && e.pid !== e.tgid) this.usage!.passed(e.pid, e.tgid);
  };

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
