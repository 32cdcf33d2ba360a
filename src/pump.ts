import type { ProcEvent } from "./events/types";
import { TierUp } from "./jit";
import type { EventSource } from "./source/event-source";

/**
 * Only a backstop: signals end a sleep at once (see Sleeper), and work due sooner (a
 * flush, a redraw, a collection, -D) shortens it. Each wake costs an idle pstat about
 * 0.5 ms of CPU.
 */
const IDLE_WAKE_MS = 10_000;
/** Datagrams handled before yielding to the event loop (signals, timers, the child, keys). */
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

/** Lets the runtime's event loop run once (signal handlers, timers, keys). */
export const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

/** What the pump calls; plain functions (they are called detached, and onEvent per event). */
export interface PumpHooks {
  /** Each event, in order (the tracker's apply). */
  onEvent: (e: ProcEvent) => void;
  /** Asked before each datagram: the consumer cannot take more now. */
  paused: () => boolean;
  /** Whether something waits to be looked up in /proc (held exits, a finished command's descendants). */
  sweepDue: () => boolean;
  /** Looks it up; called at most once a second while due. */
  sweep: () => void;
  /** After each batch, before the garbage collection and the visit to the event loop: `gathering` says a storm is on. */
  afterBatch: (now: number, gathering: boolean) => void;
  /**
   * A second source whose records must keep pace with the events (task accounting), or
   * null. An exit's record is sent before its event: taken first, it is there when the
   * exit comes.
   */
  companion?: Companion | null;
  /**
   * The caller keeps no JavaScript timers: everything its event loop must run (signals,
   * a child's exit) makes the loop's descriptor readable, which the sleep watches. The
   * loop is then visited only when that says it has work, or after 20 ms without a
   * sleep that could tell, instead of every 20 ms of activity and after every timeout.
   * The runtime's own timers run only at those visits, among them a collection a second
   * for half a minute after the heap last grew (Bun's idle GC timer), which at a trickle
   * was a quarter of pstat's CPU; the heap is still collected as it fills.
   */
  noTimers?: boolean;
}

export interface Companion {
  /** Takes its records; `behind`: the last turn left events queued. */
  pump(behind: boolean): void;
  /** After the events of a turn: releases what it held that is now due; `behind`: events are still queued. */
  settle(behind: boolean): void;
  /** When it must be woken next (performance.now() ms; Infinity: never). */
  readonly deadline: number;
}

/**
 * The scheduling every command that takes events shares: sleep until events come or the
 * caller's next piece of work is due, take the events in batches, sweep, collect garbage
 * after a burst, and visit the runtime's event loop (signals, timers, keys, the child) when
 * the sleep ended for anything but events and every few ms under load. Times are
 * performance.now() milliseconds.
 */
export class EventPump {
  /** When events flow, and how many came since the last collection. */
  private activeSince = 0;
  private sinceGc = 0;
  private lastSweep = 0;
  private lastYield = performance.now();
  private gathering = false;
  /** The events lag behind: the last turn left some queued. */
  private behind = false;
  private readonly tierUp = new TierUp();

  constructor(
    private readonly source: EventSource,
    private readonly hooks: PumpHooks,
  ) {}

  /** One turn of the loop. `wakeBy`: when the caller's next piece of work is due (Infinity: none). */
  async turn(wakeBy: number): Promise<void> {
    const source = this.source;
    const h = this.hooks;
    let now = performance.now();
    let idle = false;
    let loopQuiet = false;
    const companion = h.companion ?? null;
    if (!source.ready) {
      let timeout = Math.min(IDLE_WAKE_MS, wakeBy - now, this.gcDueAt() - now);
      if (h.sweepDue()) timeout = Math.min(timeout, this.lastSweep + SWEEP_MS - now);
      if (companion !== null) timeout = Math.min(timeout, companion.deadline - now);
      // Anything but events (the time is up, or a signal or key woke the event loop) means: visit the loop.
      idle = !source.wait(Math.max(0, Math.ceil(timeout)), this.gathering);
      loopQuiet = h.noTimers === true && source.loopQuiet;
    }
    companion?.pump(this.behind);
    const done = source.drain(DATAGRAMS_PER_TURN, h.onEvent, h.paused);
    this.behind = done >= DATAGRAMS_PER_TURN || source.ready;
    companion?.settle(this.behind);
    this.gathering = done >= GATHER_MIN;
    this.sinceGc += done;
    if (done > 0) this.tierUp.turn(done);
    now = performance.now();
    if (h.sweepDue() && now - this.lastSweep >= SWEEP_MS) {
      this.lastSweep = now;
      h.sweep();
    }
    h.afterBatch(now, this.gathering);
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
    // Signal handlers, keys and the child's exit run on the event loop: visit it when the
    // sleep ended for anything but events, and every few ms under load, not per batch. A
    // signal or key that lands while pstat is awake ends the next sleep at once (Sleeper),
    // so no visit is needed before sleeping.
    if (loopQuiet) this.lastYield = now;
    else if (idle) await this.yield();
    else if (now - this.lastYield >= YIELD_INTERVAL_MS) {
      // Under load the sleeps cannot tell (a storm's sleep watches the exec socket alone):
      // ask the loop's descriptor, which costs a syscall where a visit cost a loop turn.
      if (h.noTimers === true && source.loopIdle()) this.lastYield = now;
      else await this.yield();
    }
  }

  /** Lets the event loop run (signal handlers, timers, keys). */
  async yield(): Promise<void> {
    await yieldTurn();
    this.lastYield = performance.now();
  }

  /** Takes every event already queued, however many: they happened before whatever comes next. */
  drainAll(): void {
    const companion = this.hooks.companion ?? null;
    if (companion === null) {
      this.source.drain(Infinity, this.hooks.onEvent, () => false);
      return;
    }
    // With the records, turn by turn, so that they keep pace with their exits.
    do {
      companion.pump(this.behind);
      this.behind = this.source.drain(DATAGRAMS_PER_TURN, this.hooks.onEvent, () => false) >= DATAGRAMS_PER_TURN;
      companion.settle(this.behind);
    } while (this.behind);
  }

  private collectGarbage(): void {
    this.sinceGc = 0;
    Bun.gc(true);
  }

  /** When the garbage of the last burst is due to be collected (Infinity: no burst since). */
  private gcDueAt(): number {
    return this.sinceGc >= BURST_EVENTS ? this.activeSince + SETTLE_MS : Infinity;
  }
}
