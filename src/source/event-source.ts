import { RuntimeError } from "../errors";
import { Decoder } from "../events/decoder";
import type { ProcEvent } from "../events/types";
import { kernelFilters, ProcConnector, type Subscription } from "../kernel/connector";
import { whyNoEvents } from "../kernel/diagnose";
import { What } from "../kernel/netlink";
import { DATA, LOOP, Sleeper, TIMEOUT } from "../kernel/sleeper";
import { limitJit } from "../jit";

const ACK_TIMEOUT_MS = 1000;
/** While events flow, how long the bulk may gather before pstat takes it (execs wake it at once). */
const BATCH_MS = 5;
/**
 * After events, for this long, pstat sleeps on the exec watch alone: the forks and exits of
 * a trickle wait in the socket for the next exec (which takes them along) or at most
 * TRICKLE_MS, within the output's own 100 ms flush bound. One wakeup per process instead
 * of two; an idle pstat goes back to sleeping on everything, with its long backstop.
 */
const ACTIVE_MS = 1000;
const TRICKLE_MS = 100;
/**
 * Events are dense (a storm is starting, or a burst) when a drain brings DENSE_EVENTS or
 * more within DENSE_MS of the last one: then the bulk gathers for BATCH_MS between
 * drains, rather than one drain per exec.
 */
const DENSE_MS = 10;
const DENSE_EVENTS = 3;
/**
 * Go back to the socket after this many datagrams, to read exec'd command lines early.
 * While looks find nothing and no exec is among the events decoded, each doubles the
 * interval, up to PUMP_EVERY_MAX: in a fork storm the looks were one failed receive per
 * 8 events, 5 % of pstat's CPU.
 */
const PUMP_EVERY = 8;
const PUMP_EVERY_MAX = 64;
const EXEC_SLOTS = 256;
const EXEC_RCVBUF = 1 << 20;
const MAX_CPUS = 8192;

export interface SourceOptions {
  rcvbuf: number;
  /** The kinds pstat needs (What bits); see plan.ts. */
  mask: number;
  /** Ask a 6.6+ kernel to drop everything outside `mask`. */
  kernelFilter: boolean;
  /** Called the moment an exec is received, before anything queued ahead of it is decoded. */
  readAhead: ((pid: number, ts: number) => void) | null;
  /** Events the kernel dropped: how many, or -1 when the count cannot be known. */
  onLost: (count: number) => void;
  /** Other descriptors whose data ends a sleep as events do (the usage records' socket). */
  wakeFor?: readonly number[];
}

/**
 * Where events come from: the connector socket, its receive ring and decoder, the
 * optional exec watch, the sleep between batches and the loss accounting. Callers see
 * decoded events and losses; nothing outside touches the ring.
 */
export class EventSource {
  private readonly decoder: Decoder;
  /**
   * A second subscription that the kernel filters down to execs (6.6+). pstat wakes at
   * once for these, to read the new program's command line while it still exists, and
   * otherwise lets the bulk of the events gather for a few milliseconds: one wakeup per
   * batch instead of one per event.
   */
  private readonly watch: ProcConnector | null;
  private readonly watchDecoder: Decoder | null;
  private readonly sleeper: Sleeper;
  /** The exec watch and the event loop, without the bulk socket (see TRICKLE_MS), or null. */
  private readonly execSleeper: Sleeper | null;
  /** When a drain last took events (performance.now()). */
  private lastEvents = -Infinity;
  /** The last trickle sleep ran out with no exec: what the next drain takes ends the trickle. */
  private trickleExpired = false;
  /** Forks and execs in the current drain: only they announce more events soon (an exit alone does not). */
  private starts = 0;
  /** Sleep on the exec watch only (see TRICKLE_MS). */
  private trickling = false;
  /** Times between the last three drains that took events (ms): the last, and the one before. */
  private gap = Infinity;
  private gapBefore = Infinity;
  /** The last drain said events are dense (see DENSE_MS). */
  private dense = false;
  /** Sequence gaps mean loss only when the kernel filters nothing out. */
  private readonly exactLoss: boolean;
  private readonly lastSeq = new Float64Array(MAX_CPUS).fill(-1);
  private pendingLost = 0;
  /** Datagrams decoded between looks at the socket during a drain (see PUMP_EVERY). */
  private pumpEvery = PUMP_EVERY;
  /** An exec was decoded since the last look: execs among the events keep the looks frequent. */
  private execSeen = false;
  private overflowsSeen = 0;
  /** A note for the user about what the subscription could not get, or null. */
  readonly notes: string[] = [];

  private constructor(
    private readonly conn: ProcConnector,
    private readonly o: SourceOptions,
  ) {
    this.exactLoss = !o.kernelFilter;
    this.decoder = new Decoder(conn.bytes);
    this.watch = o.readAhead !== null && o.mask !== What.EXEC && kernelFilters() ? openWatch() : null;
    this.watchDecoder = this.watch === null ? null : new Decoder(this.watch.bytes);
    const own = this.watch === null ? [conn.descriptor] : [conn.descriptor, this.watch.descriptor];
    this.sleeper = new Sleeper([...own, ...(o.wakeFor ?? [])]);
    this.execSleeper = this.watch === null ? null : new Sleeper([this.watch.descriptor]);
    limitJit(this);
  }

  /** Subscribes; throws a RuntimeError that says why when no events can be had. */
  static open(o: SourceOptions): EventSource {
    const conn = ProcConnector.open(o.rcvbuf);
    const sub = conn.listen(ACK_TIMEOUT_MS);
    if (!sub.ok) {
      conn.close();
      throw new RuntimeError(sub.reason === "silent" ? whyNoEvents() : sub.reason);
    }
    if (o.kernelFilter) conn.setKernelFilter(o.mask);
    const source = new EventSource(conn, o);
    if (conn.grantedRcvbuf < o.rcvbuf) {
      source.notes.push(
        `receive buffer is ${formatBytes(conn.grantedRcvbuf)}, not the ${formatBytes(o.rcvbuf)} asked for (net.core.rmem_max caps it without root); losses are still counted`,
      );
    }
    return source;
  }

  /** Events are waiting to be drained. */
  get ready(): boolean {
    return this.conn.tail !== this.conn.head;
  }

  get malformed(): number {
    return this.decoder.malformed;
  }

  /**
   * Waits up to `ms` for events. `gathering`: events are flowing, so let the bulk gather
   * for a few ms (waking only for execs) instead of sleeping. Returns false when the wait
   * ended for anything but events (time up, or the runtime's event loop has work: a signal).
   */
  wait(ms: number, gathering: boolean): boolean {
    const watch = this.watch;
    this.loopQuiet = false;
    if (watch !== null && (gathering || this.dense)) {
      this.gather(watch, performance.now() + Math.min(ms, BATCH_MS));
      return true;
    }
    if (this.execSleeper !== null && this.trickling && performance.now() - this.lastEvents < ACTIVE_MS) {
      // A trickle: wake for the next exec (to read its command line while it exists) and
      // take what else came with it; the bulk alone wakes nobody before TRICKLE_MS.
      const woke = this.execSleeper.sleep(Math.min(ms, TRICKLE_MS));
      this.loopQuiet = this.execSleeper.loopQuiet;
      this.trickleExpired = woke === TIMEOUT && ms > TRICKLE_MS;
      return woke !== LOOP && (woke === DATA || ms > TRICKLE_MS);
    }
    const woke = this.sleeper.sleep(ms);
    this.loopQuiet = this.sleeper.loopQuiet;
    return woke === DATA;
  }

  /** The runtime's event loop has nothing waiting (see Sleeper.loopIdle); asked without sleeping. */
  loopIdle(): boolean {
    return this.sleeper.loopIdle();
  }

  /**
   * The last wait ended (for events, or its time was up) while watching the runtime's
   * event loop, which had nothing to do: no signal, key or child exit is waiting for a visit.
   */
  loopQuiet = false;

  /**
   * Events have come steadily, at least every `withinMs` for the last three drains, but
   * not densely: the next exec will most likely wake pstat soon anyway, so work that can
   * wait that long (a write) may. (One process's fork and exec, a ms apart, are not that.)
   */
  steadyWithin(withinMs: number): boolean {
    return this.execSleeper !== null && !this.dense && this.gap < withinMs && this.gapBefore < withinMs && performance.now() - this.lastEvents < withinMs;
  }

  /**
   * Decodes up to `limit` datagrams into `sink`, going back to the socket every few so that
   * receiving (and the exec read-ahead) keeps ahead of the rest. `paused` is asked before
   * each datagram (the output is backlogged). Returns how many datagrams were taken.
   */
  drain(limit: number, sink: (e: ProcEvent) => void, paused: () => boolean): number {
    const conn = this.conn;
    const dec = this.decoder;
    const ahead = this.o.readAhead !== null;
    this.sink = sink;
    this.starts = 0;
    // The bulk first, then the watch: every exec in the bulk then has its copy on the watch
    // already, read ahead before it is decoded. (The other way round, an exec arriving in
    // between reached the table before its read-ahead, which then read /proc a second time.)
    this.pump();
    this.pumpExecs();
    let done = 0;
    let countdown = this.pumpEvery;
    for (; conn.tail < conn.head && done < limit && !paused(); done++) {
      const n = conn.tail++;
      dec.decodeDatagram(conn.offset(n), conn.length(n), this.onEvent);
      if (ahead && --countdown === 0) {
        const got = this.watch !== null ? this.pumpExecs() : this.pump();
        this.pumpEvery = nextPumpInterval(this.pumpEvery, got > 0 || this.execSeen);
        this.execSeen = false;
        countdown = this.pumpEvery;
      }
    }
    if (this.pendingLost > 0) {
      this.o.onLost(this.pendingLost);
      this.pendingLost = 0;
    }
    const now = performance.now();
    this.dense = done >= DENSE_EVENTS && now - this.lastEvents < DENSE_MS;
    if (done > 0) {
      this.gapBefore = this.gap;
      this.gap = now - this.lastEvents;
    }
    // No exec for TRICKLE_MS, or a drain with no fork or exec, ends the trickle: sleep on
    // everything again, instead of waking every TRICKLE_MS until ACTIVE_MS has passed. (A
    // short-lived process alone costs three wakeups: its fork, its exec, and its exit.)
    this.lastEvents = done > 0 ? now : -Infinity;
    this.trickling = this.starts > 0 && !this.trickleExpired;
    this.trickleExpired = false;
    return done;
  }

  /** Drops the subscriptions (so the kernel stops building events for nobody) and closes. */
  close(): void {
    this.conn.close();
    this.watch?.close();
  }

  /** Where drain() hands events; set per drain, so decoding needs no closure per datagram. */
  private sink: (e: ProcEvent) => void = () => {};
  private readonly onEvent = (e: ProcEvent): void => {
    // Acknowledgements (anyone's: they go to every subscriber) take a sequence number too.
    if (this.exactLoss) this.trackSeq(e);
    if (e.kind === "exec") this.execSeen = true;
    if (e.kind === "fork" || e.kind === "exec") this.starts++;
    if (e.kind !== "ack") this.sink(e);
  };

  private trackSeq(e: ProcEvent): void {
    const cpu = e.cpu;
    if (cpu >= MAX_CPUS) return;
    const last = this.lastSeq[cpu]!;
    if (last >= 0) {
      const gap = (e.seq - last - 1) >>> 0;
      if (gap > 0 && gap < 0x80000000) this.pendingLost += gap;
    }
    this.lastSeq[cpu] = e.seq;
  }

  /** Takes what the socket holds into the ring, reading ahead for each exec when no watch does; returns how many. */
  private pump(): number {
    const conn = this.conn;
    const from = conn.head;
    const got = conn.receive();
    if (got > 0 && this.watch === null && this.o.readAhead !== null) this.readAhead(conn, this.decoder, from);
    if (conn.overflows !== this.overflowsSeen) {
      this.overflowsSeen = conn.overflows;
      // With exact accounting the sequence gaps tell how many; otherwise say so now.
      if (!this.exactLoss) this.o.onLost(-1);
    }
    return got;
  }

  /** Reads ahead for the execs the watch holds; returns how many. */
  private pumpExecs(): number {
    const watch = this.watch;
    if (watch === null) return 0;
    const from = watch.head;
    const got = watch.receive();
    if (got > 0) this.takeWatch(watch, from);
    return got;
  }

  /**
   * While events flow: lets the bulk gather in the socket until `until`, waking only to
   * read the command line of each new exec (one blocking receive and one /proc read).
   */
  private gather(watch: ProcConnector, until: number): void {
    const window = Math.max(1, Math.round(until - performance.now()));
    for (let left = window; left > 0; left = until - performance.now()) {
      const from = watch.head;
      // The same timeout every time (a setsockopt saved per wakeup); overshooting `until`
      // by less than one window only delays the bulk a little.
      if (watch.receiveWaiting(window) > 0) this.takeWatch(watch, from);
    }
  }

  /** The watch's datagrams serve only to read ahead: read them and let them go. */
  private takeWatch(watch: ProcConnector, from: number): void {
    this.readAhead(watch, this.watchDecoder!, from);
    watch.tail = watch.head;
  }

  private readAhead(conn: ProcConnector, dec: Decoder, from: number): void {
    const onExec = this.o.readAhead!;
    for (let n = from; n < conn.head; n++) dec.scanExecs(conn.offset(n), conn.length(n), onExec);
  }
}

/** Datagrams to decode before the next look at the socket, after a look that found execs (`busy`) or none. */
export function nextPumpInterval(every: number, busy: boolean): number {
  return busy ? PUMP_EVERY : Math.min(every * 2, PUMP_EVERY_MAX);
}

function openWatch(): ProcConnector | null {
  // Optional: without it execs are read ahead from the main socket, a little later.
  let watch: ProcConnector;
  try {
    watch = ProcConnector.open(EXEC_RCVBUF, EXEC_SLOTS);
  } catch {
    return null;
  }
  let sub: Subscription;
  try {
    sub = watch.listen(ACK_TIMEOUT_MS);
  } catch {
    sub = { ok: false, reason: "silent" };
  }
  if (!sub.ok) {
    watch.close();
    return null;
  }
  watch.setKernelFilter(What.EXEC);
  return watch;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n >> 20} MiB`;
  if (n >= 1 << 10 && n % (1 << 10) === 0) return `${n >> 10} KiB`;
  return `${n} bytes`;
}
