/**
 * One `pstat top` run: the event pipeline (source -> tracker -> filter) feeding the model,
 * and a snapshot every interval, drawn full-screen on a terminal (TopApp) or printed
 * (TopBatch). The scheduling is the event log's (EventPump): the loop sleeps in one poll
 * on the sockets and the runtime's event loop, so a key, a resize or a signal wakes it at
 * once, and the time the next snapshot is due is the sleep's timeout. `run()` resolves to
 * the exit status. With task accounting (root), each exit report waits in the usage stage
 * for its record (filter -> usage stage -> feed), as the event log's do with --usage.
 */
import { Clock } from "../clock";
import type { ProcEvent } from "../events/types";
import type { ProcessFilter } from "../filter";
import { PIPELINE_HOT_CODE } from "../hot-code";
import { limitJit } from "../jit";
import { libc } from "../kernel/libc";
import { raisePriority } from "../kernel/priority";
import { wantColor } from "../output/output";
import { OutputClosed, Writer } from "../output/writer";
import { makePlan, type Plan } from "../plan";
import { ProcessTable } from "../proc/table";
import { EventPump, yieldTurn } from "../pump";
import type { Report } from "../report";
import { EventSource } from "../source/event-source";
import type { UsageSource } from "../source/usage-source";
import { Scope } from "../track/scope";
import { Tracker } from "../track/tracker";
import { applyThenPass, openUsageSource } from "../usage/open";
import { UsageStage } from "../usage/stage";
import { TopApp } from "./app";
import { TopBatch } from "./batch";
import type { TopConfig } from "./cli";
import { TopFeed, usageFromReport } from "./feed";
import { TopModel } from "./model";
import { Terminal, type EndReason } from "./terminal";

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 };

export class TopSession {
  private readonly clock = new Clock();
  private readonly plan: Plan;
  private readonly table: ProcessTable;
  private readonly scope: Scope;
  private readonly tracker: Tracker;
  private readonly filter: ProcessFilter;
  private readonly model: TopModel;
  private readonly feed: TopFeed;
  /** The full-screen view, or null in batch mode (asked for, or no terminal). */
  private readonly app: TopApp | null = null;
  private readonly batch: TopBatch | null = null;
  private readonly writer: Writer | null = null;
  private source: EventSource | null = null;
  /** Task accounting: the records, and the stage that joins them to exits; null when they cannot be had. */
  private usageSource: UsageSource | null = null;
  private usage: UsageStage | null = null;
  /** The exit status once the run is to end. */
  private status: number | null = null;
  /** An exception raised in a handler on the event loop (a key, a resize), to be reported. */
  private crashed: { error: unknown } | null = null;

  constructor(private readonly cfg: TopConfig) {
    const plan = makePlan(cfg.events);
    // The USER grouping: each process's real uid, read at preload and copied at each fork.
    // An exec keeps the real uid, so it is not read again then (execUids: only -u needs that).
    plan.reads.uids = true;
    this.plan = plan;
    this.table = new ProcessTable({ mode: cfg.events.name, reads: plan.reads, tracking: plan.track, clock: this.clock });
    this.scope = new Scope(cfg.events);
    this.tracker = new Tracker(plan, this.table, this.scope.subtrees);
    this.filter = this.scope.filter;
    // CPU and peak memory of exited children: unavailable until the accounting records come (start()).
    this.model = new TopModel(this.nowMs(), { usage: false });
    this.feed = new TopFeed(this.model, (pid) => this.table.get(pid), usageFromReport());
    if (!cfg.batch && Terminal.usable()) {
      this.app = new TopApp({ model: this.model, color: wantColor(true), onEnd: (reason) => this.ended(reason) });
      void this.app.done.then((status) => this.stop(status));
    } else {
      const writer = (this.writer = new Writer(1, true));
      this.batch = new TopBatch(this.model, {
        json: cfg.json,
        count: Infinity,
        grouping: "parent",
        sort: "rate",
        filter: "",
        color: wantColor(libc.isatty(1) === 1),
        write: (s) => writer.write(s),
        time: (snap) => new Date(this.clock.wallMs(snap.ts * 1e6)).toISOString(),
      });
    }
  }

  /**
   * A signal arrived. Batch mode ends in order, like the event log (status 0); the
   * full-screen view was ended from outside (128 + the signal's number).
   */
  signal(sig: NodeJS.Signals): void {
    this.stop(this.app === null ? 0 : 128 + (SIGNAL_NUMBERS[sig] ?? 0));
  }

  /** Ends at once (a second Ctrl-C): the terminal back, the subscription dropped. */
  abort(): void {
    this.app?.stop();
    this.source?.close();
    this.usageSource?.close();
  }

  async run(): Promise<number> {
    limitJit(TopSession, this, ...PIPELINE_HOT_CODE, TopModel, TopFeed);
    try {
      this.start();
      await this.loop();
    } catch (e) {
      // `pstat top -b | head`: the reader has gone; end quietly.
      if (!(e instanceof OutputClosed)) throw e;
    } finally {
      // Before anything is reported: the terminal is the shell's again.
      this.app?.stop();
      this.source?.close();
      this.usageSource?.close();
    }
    if (this.crashed !== null) throw this.crashed.error;
    return this.status ?? 0;
  }

  private start(): void {
    raisePriority();
    if (this.plan.usage) this.openUsage();
    this.source = EventSource.open({
      rcvbuf: this.cfg.events.rcvbuf,
      mask: this.plan.mask,
      kernelFilter: this.plan.kernelFilter,
      readAhead: this.plan.execReadAhead ? (pid, ts) => this.table.prefetchExec(pid, ts) : null,
      onLost: this.feed.lost,
      wakeFor: this.usageSource === null ? [] : [this.usageSource.descriptor],
    });
    for (const note of this.source.notes) process.stderr.write(`pstat: warning: ${note}\n`);
    this.tracker.preload();
    this.scope.adopt(this.table);
    this.app?.start();
  }

  /**
   * Subscribes to the accounting records, or carries on without: the columns then say
   * unavailable (the screen's header; in batch mode, once on stderr too).
   */
  private openUsage(): void {
    // A record the kernel dropped shows as an exit without figures (usage_missing), not as a lost event.
    const opened = openUsageSource(() => {}, false, false); // CPU and peak RSS are all it shows
    if (!opened.ok) {
      if (this.app === null) process.stderr.write(`pstat: warning: no CPU or memory figures: ${opened.reason}\n`);
      return;
    }
    this.usageSource = opened.source;
    this.usage = new UsageStage({ plan: this.plan, source: opened.source, summary: null, next: this.feed.deliver });
    this.model.setUsageAvailable(true);
  }

  private async loop(): Promise<void> {
    const pump = new EventPump(this.source!, {
      onEvent: this.usage === null ? this.onEvent : applyThenPass(this.onEvent, this.usage),
      companion: this.usage,
      paused: () => false,
      sweepDue: () => this.tracker.holding,
      sweep: () => this.tracker.sweep(this.deliver),
      afterBatch: () => {},
    });
    const interval = this.cfg.intervalMs;
    let due = performance.now() + interval;
    let snapshots = 0;
    while (this.status === null) {
      const now = performance.now();
      if (now < due) {
        // A lone ESC is told from an arrow key's first byte only if the event loop runs again soon.
        await pump.turn(Math.min(due, now + (this.app?.maxSleepMs() ?? Infinity)));
        continue;
      }
      // The interval is over: what is queued happened in it.
      pump.drainAll();
      const last = ++snapshots >= this.cfg.count;
      // The last one: exits still waiting for their records go in it (with the records queued, else without).
      if (last) this.usage?.flush();
      this.snapshot();
      if (last) this.stop(0);
      // Late (a long stall): the next interval starts now rather than several at once.
      due = Math.max(due + interval, now + interval / 2);
    }
    await this.flushOutput();
  }

  private snapshot(): void {
    const now = this.nowMs();
    if (this.app !== null) this.app.tick(now);
    else {
      this.batch!.tick(now);
      this.writer!.flush();
    }
  }

  /** Batch mode: everything printed reaches the reader, however slow; a second Ctrl-C still ends it. */
  private async flushOutput(): Promise<void> {
    const writer = this.writer;
    if (writer === null) return;
    while (!writer.flush()) {
      writer.waitWritable(100);
      await yieldTurn();
    }
  }

  private stop(status: number): void {
    if (this.status === null) this.status = status;
  }

  /** The view ended from outside: a signal, or an exception in a handler (the terminal is restored already). */
  private ended(reason: EndReason): void {
    if (reason.kind === "crash" && this.crashed === null) this.crashed = { error: reason.error };
    this.stop(reason.status);
  }

  /** Milliseconds on the kernel's event clock (CLOCK_MONOTONIC), the model's time. */
  private nowMs(): number {
    return this.clock.nowMono() / 1e6;
  }

  private readonly onEvent = (e: ProcEvent) => this.tracker.apply(e, this.deliver);

  /** The filter, then (with accounting) the usage stage, then the feed, for each report the tracker hands on. */
  private readonly deliver = (r: Report): void => {
    if (this.filter.active && !this.filter.wanted(r.proc, r.tgid)) {
      this.usage?.discard(r);
      return;
    }
    if (this.usage !== null) this.usage.deliver(r);
    else this.feed.deliver(r);
  };
}
