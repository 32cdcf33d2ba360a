import { closeSync, openSync, readFileSync } from "node:fs";
import type { Subprocess } from "bun";
import { Clock } from "./clock";
import type { Config } from "./config";
import { RuntimeError } from "./errors";
import { Decoder } from "./events/decoder";
import type { ProcEvent } from "./events/types";
import { ProcessFilter, Subtree } from "./filter";
import { JsonFormatter } from "./format/json";
import { decodeStatus, type ExitStatus } from "./format/signals";
import { TextFormatter } from "./format/text";
import { TimeFormatter } from "./format/time";
import { kernelFilters, ProcConnector } from "./kernel/connector";
import { What } from "./kernel/netlink";
import { lacksNetAdmin, whyNoEvents } from "./kernel/diagnose";
import { libc, strerror } from "./kernel/libc";
import { raisePriority, setRealtime } from "./kernel/priority";
import { DATA, Sleeper } from "./kernel/sleeper";
import { OutputClosed, Writer } from "./output/writer";
import { ProcessTable, UNKNOWN } from "./proc/table";
import type { Report, ReportKind } from "./report";
import { kernelMask, needsTracking, worthFiltering } from "./selection";
import { Statistics, type StatKind } from "./stats";
import { limitJit } from "./jit";
import { escapeBytes } from "./text/escape";
import { readProcFile, readStat } from "./proc/procfs";

const ACK_TIMEOUT_MS = 1000;
const FLUSH_INTERVAL_MS = 100;
/**
 * Only a backstop: signals end a sleep at once (see Sleeper), and timers due sooner (a
 * flush, a collection, -D) shorten it. Each wake costs an idle pstat about 0.5 ms of CPU.
 */
const IDLE_WAKE_MS = 10_000;
/** Datagrams handled before yielding to the event loop (signals, timers, the child). */
const DATAGRAMS_PER_TURN = 4096;
/** Go back to the socket after this many datagrams, to read exec'd command lines early. */
const PUMP_EVERY = 8;
/** While events flow, how long the bulk may gather before pstat takes it (execs wake it at once). */
const BATCH_MS = 5;
/** A batch this large means a storm: gather the next one straight away instead of sleeping first. */
const GATHER_MIN = 16;
const EXEC_SLOTS = 256;
/** Quiet time after a burst (of at least BURST_EVENTS) before pstat collects its garbage. */
const SETTLE_MS = 1000;
const BURST_EVENTS = 10_000;
const LONG_BURST_EVENTS = 200_000;
const EXEC_RCVBUF = 1 << 20;
/** Longest stretch of work between visits to the event loop (where signal handlers run). */
const YIELD_INTERVAL_MS = 20;
const MAX_CPUS = 8192;

const SELF = process.pid;

const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

/**
 * One monitoring session, the pipeline end to end:
 * socket -> decoder -> process table -> filter -> formatter -> writer.
 * `run()` resolves to pstat's exit status.
 */
export class Monitor {
  private readonly clock = new Clock();
  private readonly writer: Writer;
  private readonly outFd: number;
  private readonly table: ProcessTable;
  private readonly text: TextFormatter | null;
  private readonly json: JsonFormatter | null;
  private readonly stats = new Statistics();
  private readonly tracking: boolean;
  private readonly mask: number;
  /** Whether execs need their command line read ahead (someone will show or cache it). */
  private readonly prefetch: boolean;
  private readonly subtree: Subtree | null = null;
  private readonly filter: ProcessFilter;
  private conn: ProcConnector | null = null;
  private decoder: Decoder | null = null;
  /**
   * A second subscription that the kernel filters down to execs (6.6+). pstat wakes at
   * once for these, to read the new program's command line while it still exists, and
   * otherwise lets the bulk of the events gather for a few milliseconds: one wakeup per
   * batch instead of one per event.
   */
  private execConn: ProcConnector | null = null;
  private execDecoder: Decoder | null = null;
  /** Where pstat sleeps between events: on its sockets and on the runtime's event loop. */
  private sleeper: Sleeper | null = null;
  private stopRequested = false;
  private exactLoss = true;
  private readonly lastSeq = new Float64Array(MAX_CPUS).fill(-1);
  private pendingLost = 0;
  private overflowsSeen = 0;
  private readonly terminal: boolean;
  private linesSinceHeader = 0;
  private screenRows = 0;
  private readonly status: ExitStatus = { code: 0, signal: null, core: false };
  private readonly r: Report;
  /** Per-process counts are kept only when they will be shown. */
  private readonly counting: boolean;
  /** Command mode: the child, and its exit status once the kernel reported it. */
  private child: Subprocess | null = null;
  private childStatus: number | null = null;

  constructor(private readonly cfg: Config) {
    this.outFd = cfg.output === null ? 1 : openOutput(cfg.output);
    // In command mode the command writes to the same standard output: leave its mode alone.
    this.writer = new Writer(this.outFd, cfg.output !== null || cfg.command === null);
    const following = cfg.pids !== null || cfg.command !== null;
    this.tracking = needsTracking(cfg.events) || following || cfg.tree;
    this.mask = kernelMask(cfg.events, this.tracking);
    this.prefetch = cfg.events.exec || this.tracking;
    this.table = new ProcessTable({
      mode: cfg.name,
      wantUids: cfg.extra || cfg.uid !== null,
      tracking: this.tracking,
      execStat: cfg.json || cfg.name.comm,
      wantStat: this.tracking || cfg.json || cfg.extra || cfg.pgrp !== null,
      clock: this.clock,
    });
    if (following) this.subtree = new Subtree(cfg.pids ?? []);
    this.filter = new ProcessFilter({ pgrp: cfg.pgrp, uid: cfg.uid, comm: cfg.comm, subtree: this.subtree });
    this.terminal = libc.isatty(this.outFd) === 1;
    if (cfg.json) {
      this.json = new JsonFormatter(this.clock, cfg.extra, cfg.tree);
      this.text = null;
    } else {
      this.text = new TextFormatter({
        time: new TimeFormatter(cfg.time, this.clock),
        pidWidth: pidWidth(),
        glyphs: cfg.glyphs,
        extra: cfg.extra,
        color: wantColor(this.terminal),
        tree: cfg.tree,
      });
      this.json = null;
    }
    this.r = blankReport();
    this.counting = cfg.statistics || cfg.quiet;
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
    this.conn?.close();
    this.execConn?.close();
  }

  async run(): Promise<number> {
    limitJit(Monitor, TextFormatter, JsonFormatter, Decoder, ProcessTable, Writer, ProcConnector, escapeBytes, readProcFile, readStat);
    try {
      this.start();
      await this.loop();
      await this.finish();
    } catch (e) {
      if (!(e instanceof OutputClosed)) throw e;
    } finally {
      this.conn?.close();
      this.execConn?.close();
      if (this.cfg.output !== null) closeSync(this.outFd);
    }
    if (this.cfg.command === null) return 0;
    const st = this.childStatus ?? 0;
    return (st & 0x7f) === 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f);
  }

  private start(): void {
    if (!this.cfg.realtime) raisePriority();
    else if (!setRealtime()) process.stderr.write("pstat: warning: cannot switch to real-time scheduling; carrying on\n");
    if (lacksNetAdmin()) throw new RuntimeError("pstat needs root or CAP_NET_ADMIN to receive process events");
    const conn = ProcConnector.open(this.cfg.rcvbuf);
    this.conn = conn;
    const ack = conn.listen(ACK_TIMEOUT_MS);
    if (ack === null) throw new RuntimeError(whyNoEvents());
    if (ack !== 0) throw new RuntimeError(`the kernel refused the subscription: ${strerror(ack)}`);
    if (worthFiltering(this.mask)) {
      conn.setKernelFilter(this.mask);
      // Filtered-out events still advance the kernel's sequence numbers, so gaps stop meaning loss.
      this.exactLoss = false;
    }
    this.decoder = new Decoder(conn.bytes);
    if (this.prefetch && this.mask !== What.EXEC && kernelFilters()) this.openExecWatch();
    this.sleeper = new Sleeper(this.execConn === null ? [conn.descriptor] : [conn.descriptor, this.execConn.descriptor]);
    this.table.preload();
    if (this.cfg.pids !== null) {
      for (const pid of this.cfg.pids) if (this.table.get(pid) === UNKNOWN) throw new RuntimeError(`no process with PID ${pid}`);
      this.subtree!.adopt(this.table.entries());
      this.baseDepth = Math.min(...this.cfg.pids.map((pid) => this.table.get(pid).depth));
    }
    if (!this.cfg.quiet) this.header();
    if (this.cfg.command !== null) this.startCommand(this.cfg.command);
  }

  private openExecWatch(): void {
    const watch = ProcConnector.open(EXEC_RCVBUF, EXEC_SLOTS);
    if (watch.listen(ACK_TIMEOUT_MS) !== 0) {
      watch.close();
      return;
    }
    watch.setKernelFilter(What.EXEC);
    this.execConn = watch;
    this.execDecoder = new Decoder(watch.bytes);
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
    const root = this.table.get(this.child.pid);
    this.baseDepth = root.depth;
  }

  /** Depth of the traced root, so --tree starts at 0 there. */
  private baseDepth = 0;
  /** When events last flowed, and how many came since the last collection. */
  private activeSince = 0;
  private sinceGc = 0;

  private async loop(): Promise<void> {
    const conn = this.conn!;
    const deadline = this.cfg.durationMs > 0 ? performance.now() + this.cfg.durationMs : Infinity;
    let lastYield = performance.now();
    let busy = false;
    let gathering = false;
    while (!this.stopRequested) {
      let now = performance.now();
      if (now >= deadline) break;
      let idle = false;
      if (this.writer.backlogged) {
        // The reader is slow: let it catch up before taking more events (the socket
        // buffers them meanwhile), and keep visiting the event loop so signals work.
        this.writer.waitWritable(FLUSH_INTERVAL_MS);
        this.writer.flush();
        await yieldTurn();
        lastYield = performance.now();
        continue;
      }
      if (conn.tail === conn.head) {
        let timeout = Math.min(IDLE_WAKE_MS, deadline - now);
        const since = this.writer.pendingSince;
        if (since >= 0) timeout = Math.min(timeout, since + FLUSH_INTERVAL_MS - now);
        timeout = Math.min(timeout, this.gcDueAt() - now);
        const ms = Math.max(0, Math.ceil(timeout));
        const watch = this.execConn;
        if (watch !== null && gathering) this.gather(watch, now + Math.min(ms, BATCH_MS));
        else {
          // Anything but events (the time is up, or a signal woke the event loop) means: visit the loop.
          idle = this.sleeper!.sleep(ms) !== DATA;
          // After a quiet spell events come in small bursts (a fork, its exec, its exit):
          // let the rest of the burst arrive, so that it costs one batch, not one per event.
          if (watch !== null && !idle) this.gather(watch, performance.now() + Math.min(ms, BATCH_MS));
        }
      }
      const done = this.drain(DATAGRAMS_PER_TURN);
      busy = done > 0;
      gathering = done >= GATHER_MIN;
      this.sinceGc += done;
      now = performance.now();
      const pending = this.writer.pendingSince;
      // Between bursts write at once: waking up again only to flush costs more than the write.
      if (pending >= 0 && (!gathering || now - pending >= FLUSH_INTERVAL_MS)) this.writer.flush();
      if (busy) {
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
    this.drain(Infinity);
  }

  private collectGarbage(): void {
    this.sinceGc = 0;
    Bun.gc(true);
  }

  /** When the garbage of the last burst is due to be collected (Infinity: no burst since). */
  private gcDueAt(): number {
    return this.sinceGc >= BURST_EVENTS ? this.activeSince + SETTLE_MS : Infinity;
  }

  /** Takes what the socket holds into the ring, reading /proc for each exec at once. */
  private pump(): void {
    const conn = this.conn!;
    const from = conn.head;
    if (conn.receive() > 0 && this.prefetch && this.execConn === null) this.readExecs(conn, this.decoder!, from);
    if (conn.overflows !== this.overflowsSeen) {
      this.overflowsSeen = conn.overflows;
      // With exact accounting the sequence gaps tell how many; otherwise say so now.
      if (!this.exactLoss) this.lost(-1);
    }
  }

  /**
   * While events flow: lets the bulk gather in the socket until `until`, waking only to
   * read the command line of each new exec (one blocking receive and one /proc read).
   */
  private gather(watch: ProcConnector, until: number): void {
    const window = Math.max(1, Math.round(until - performance.now()));
    for (let left = window; left > 0 && !this.stopRequested; left = until - performance.now()) {
      const from = watch.head;
      // The same timeout every time (a setsockopt saved per wakeup); overshooting `until`
      // by less than one window only delays the bulk a little.
      if (watch.receiveWaiting(window) > 0) this.takeWatch(from);
    }
  }

  /** Reads the command line of every exec the exec watch has seen. */
  private pumpExecs(): void {
    const watch = this.execConn!;
    const from = watch.head;
    if (watch.receive() > 0) this.takeWatch(from);
  }

  /** The watch's datagrams from `from` on serve only to read ahead: read them and let them go. */
  private takeWatch(from: number): void {
    const watch = this.execConn!;
    this.readExecs(watch, this.execDecoder!, from);
    watch.tail = watch.head;
  }

  /** Reads ahead the command line of every exec among datagrams [from, head) of `conn`. */
  private readExecs(conn: ProcConnector, dec: Decoder, from: number): void {
    for (let n = from; n < conn.head; n++) dec.scanExecs(conn.offset(n), conn.length(n), this.onExec);
  }

  /**
   * Decodes and reports up to `limit` datagrams, going back to the socket every few so
   * that receiving (and the /proc reads for execs) keeps ahead of formatting.
   */
  private drain(limit: number): number {
    const conn = this.conn!;
    const dec = this.decoder!;
    if (this.execConn !== null) this.pumpExecs();
    this.pump();
    let done = 0;
    for (; conn.tail < conn.head && done < limit && !this.writer.backlogged; done++) {
      const n = conn.tail++;
      dec.decodeDatagram(conn.offset(n), conn.length(n), this.sink);
      // Back to the socket now and then, so the command lines of new execs are read early.
      if (this.prefetch && n % PUMP_EVERY === PUMP_EVERY - 1) {
        if (this.execConn !== null) this.pumpExecs();
        else this.pump();
      }
    }
    if (this.pendingLost > 0) {
      this.lost(this.pendingLost);
      this.pendingLost = 0;
    }
    return done;
  }

  private async finish(): Promise<void> {
    if (this.cfg.statistics || this.cfg.quiet) {
      if (this.json !== null) this.writer.write(this.json.statistics(this.stats, this.clock.nowMono()));
      else {
        if (!this.cfg.quiet) this.writer.write("\n");
        this.writer.write(this.stats.render());
      }
    }
    // Everything asked for is written, however slow the reader; a second Ctrl-C still ends it.
    while (!this.writer.flush()) {
      this.writer.waitWritable(FLUSH_INTERVAL_MS);
      await yieldTurn();
    }
  }

  private readonly onExec = (pid: number, ts: number) => this.table.prefetchExec(pid, ts);
  private readonly sink = (e: ProcEvent) => this.handle(e);

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

  /** Updates what is known from one event, then reports it if it passes the filters. */
  private handle(e: ProcEvent): void {
    // Acknowledgements (anyone's: they go to every subscriber) take a sequence number too.
    if (this.exactLoss) this.trackSeq(e);
    if (e.kind === "ack") return;
    // pstat's own helper threads (the runtime's garbage-collector and JIT workers, started
    // and ended as its work comes and goes) are the observer, not the machine: left out.
    if (e.tgid === SELF && e.pid !== SELF) return;
    const sel = this.cfg.events;
    const t = this.table;
    const r = this.r;
    r.ts = e.ts;
    r.pid = e.pid;
    r.tgid = e.tgid;
    switch (e.kind) {
      case "fork":
      case "clone": {
        const origin = t.origin(e);
        r.parent = t.get(origin);
        r.proc = t.fork(e);
        if (e.kind === "fork") this.subtree?.fork(origin, e.pid);
        if (!(e.kind === "fork" ? sel.fork : sel.clone)) return;
        r.ppid = e.kind === "fork" ? e.parentPid : origin;
        r.parentTgid = origin;
        return this.report(e.kind);
      }
      case "exec": {
        r.proc = t.exec(e);
        if (sel.exec) this.report("exec");
        return;
      }
      case "exit": {
        const p = (r.proc = t.get(e.pid));
        const st = decodeStatus(e.status, this.status);
        const thread = e.pid !== e.tgid;
        const show = thread ? sel.clone : sel.exit || (sel.exitNonzero && e.status !== 0);
        if (show) {
          r.exitCode = st.code;
          r.signal = st.signal;
          r.coreDumped = st.core;
          r.duration = Number.isNaN(p.start) ? NaN : Math.max(0, (e.ts - p.start) / 1e9);
          r.ppid = e.parentTgid;
          this.report("exit");
        }
        t.remove(e.pid);
        if (!thread) this.subtree?.exit(e.pid);
        if (this.child !== null && e.pid === this.child.pid && !thread) {
          this.childStatus = e.status;
          this.stopRequested = true;
        }
        return;
      }
      case "core":
        r.proc = t.get(e.pid);
        r.ppid = e.parentTgid;
        if (sel.core) this.report("core");
        return;
      case "comm":
        r.proc = t.get(e.pid);
        r.oldName = r.proc.name;
        r.oldComm = t.comm(e, r.proc);
        if (sel.comm) this.report("comm");
        return;
      case "ptrace":
        if (!sel.ptrace) return;
        r.proc = t.get(e.pid);
        r.tracerPid = e.tracerPid === 0 ? 0 : e.tracerTgid;
        r.tracer = e.tracerPid === 0 ? UNKNOWN : t.get(e.tracerTgid);
        return this.report("ptrace");
      case "uid":
        t.setUids(e.pid, e.ruid, e.euid);
        if (!sel.uid) return;
        r.proc = t.get(e.pid);
        r.ruid = e.ruid;
        r.euid = e.euid;
        return this.report("uid");
      case "gid":
        if (!sel.uid) return;
        r.proc = t.get(e.pid);
        r.rgid = e.rgid;
        r.egid = e.egid;
        return this.report("gid");
      case "sid":
        t.setSession(e.pid);
        if (!sel.sid) return;
        r.proc = t.get(e.pid);
        return this.report("sid");
    }
  }

  private report(kind: ReportKind): void {
    const r = this.r;
    if (this.filter.active && !this.filter.wanted(r.proc, r.tgid)) return;
    r.kind = kind;
    r.depth = Math.max(0, r.proc.depth - this.baseDepth);
    if (this.counting) this.stats.count(kind as StatKind, r.proc.name); // every ReportKind but "lost", which never gets here
    if (!this.cfg.quiet) this.emit(r);
  }

  private lost(count: number): void {
    if (count >= 0) this.stats.lost += count;
    else this.stats.lostUncounted = true;
    if (this.cfg.quiet) return;
    const r = this.r;
    r.kind = "lost";
    r.ts = this.clock.nowMono();
    r.count = count;
    r.proc = UNKNOWN;
    r.depth = 0;
    this.emit(r);
  }

  private emit(r: Report): void {
    if (this.json !== null) this.writer.write(this.json.format(r));
    else {
      if (this.terminal && this.screenRows > 1) {
        this.linesSinceHeader += TextFormatter.lines(r);
        if (this.linesSinceHeader >= this.screenRows - 1) this.header();
      }
      this.text!.format(r, this.writer);
    }
    if (this.cfg.lineBuffered) this.writer.flush();
  }

  private header(): void {
    if (this.text === null) return;
    this.writer.write(this.text.header());
    if (this.cfg.lineBuffered) this.writer.flush();
    this.linesSinceHeader = 0;
    if (this.terminal) this.screenRows = terminalRows(this.outFd);
  }
}

function blankReport(): Report {
  return {
    kind: "exec",
    ts: 0,
    pid: 0,
    tgid: 0,
    proc: UNKNOWN,
    depth: 0,
    ppid: 0,
    parentTgid: 0,
    parent: UNKNOWN,
    exitCode: null,
    signal: null,
    coreDumped: false,
    duration: NaN,
    oldName: "",
    oldComm: "",
    tracerPid: 0,
    tracer: UNKNOWN,
    ruid: 0,
    euid: 0,
    rgid: 0,
    egid: 0,
    count: 0,
  };
}

function openOutput(path: string): number {
  try {
    return openSync(path, "w", 0o644);
  } catch (e) {
    throw new RuntimeError(`cannot open ${path} for output: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such directory" : (e as Error).message}`);
  }
}

function pidWidth(): number {
  try {
    const max = Number(readFileSync("/proc/sys/kernel/pid_max", "latin1").trim());
    return Math.max(5, String(max - 1).length);
  } catch {
    return 7;
  }
}

/** NO_COLOR (any value) turns colour off, FORCE_COLOR (not "0") on; else only on a terminal. */
export function wantColor(terminal: boolean): boolean {
  const env = process.env;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false") return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return terminal && env.TERM !== "dumb";
}

function terminalRows(fd: number): number {
  const ws = new Uint16Array(4);
  return libc.ioctl(fd, 0x5413, ws) === 0 ? ws[0]! : 24; // TIOCGWINSZ
}

