import { readFileSync } from "node:fs";
import { Clock } from "./clock";
import type { Config } from "./config";
import { RuntimeError } from "./errors";
import { Decoder } from "./events/decoder";
import type { ProcEvent } from "./events/types";
import { decodeStatus, signalName, type ExitStatus } from "./format/signals";
import { TextFormatter, type Label } from "./format/text";
import { TimeFormatter } from "./format/time";
import { ProcConnector } from "./kernel/connector";
import { whyNoEvents } from "./kernel/diagnose";
import { libc, strerror } from "./kernel/libc";
import { ProcessTable, type ProcInfo } from "./proc/table";
import { userName } from "./proc/users";
import { isUnfiltered, kernelMask, needsTracking } from "./selection";
import { Statistics, type StatKind } from "./stats";
import { OutputClosed, Writer } from "./output/writer";

const ACK_TIMEOUT_MS = 1000;
const FLUSH_INTERVAL_MS = 100;
const IDLE_WAKE_MS = 100;
/** Datagrams handled before yielding to the event loop (signals, timers). */
const DATAGRAMS_PER_TURN = 4096;
const MAX_CPUS = 8192;

const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

/**
 * The pipeline: socket -> decoder -> process table -> filter -> formatter -> writer.
 * One instance runs one monitoring session; `run()` resolves to the exit status.
 */
export class Monitor {
  private readonly clock = new Clock();
  private readonly writer: Writer;
  private readonly table: ProcessTable;
  private readonly fmt: TextFormatter;
  private readonly stats = new Statistics();
  private readonly tracking: boolean;
  private readonly mask: number;
  private conn: ProcConnector | null = null;
  private decoder: Decoder | null = null;
  private stopRequested = false;
  private exactLoss = true;
  private readonly lastSeq = new Float64Array(MAX_CPUS).fill(-1);
  private batchLost = 0;
  private overflowsSeen = 0;
  /** Whether execs need their command line read ahead (someone will show or cache it). */
  private readonly prefetch: boolean;
  private readonly terminal: boolean;
  private linesSinceHeader = 0;
  private screenRows = 0;
  private readonly status: ExitStatus = { code: 0, signal: null, core: false };

  constructor(
    private readonly cfg: Config,
    private readonly outFd = 1,
  ) {
    this.writer = new Writer(outFd);
    this.tracking = needsTracking(cfg.events);
    this.mask = kernelMask(cfg.events, this.tracking);
    this.prefetch = cfg.events.exec || this.tracking;
    this.table = new ProcessTable({
      mode: cfg.name,
      wantUids: cfg.extra,
      tracking: this.tracking,
      clock: this.clock,
    });
    this.terminal = libc.isatty(outFd) === 1;
    this.fmt = new TextFormatter({
      time: new TimeFormatter(cfg.time, this.clock),
      pidWidth: pidWidth(),
      glyphs: cfg.glyphs,
      extra: cfg.extra,
      color: wantColor(this.terminal),
    });
  }

  /** Asks the loop to finish: the rest of the current batch is written, then statistics. */
  stop(): void {
    this.stopRequested = true;
  }

  async run(): Promise<number> {
    try {
      this.start();
      await this.loop();
      this.finish();
      return 0;
    } catch (e) {
      if (e instanceof OutputClosed) return 0;
      throw e;
    } finally {
      this.conn?.close();
    }
  }

  private start(): void {
    if (this.cfg.realtime) setRealtime();
    const conn = ProcConnector.open(this.cfg.rcvbuf);
    this.conn = conn;
    const ack = conn.listen(ACK_TIMEOUT_MS);
    if (ack === null) throw new RuntimeError(whyNoEvents());
    if (ack !== 0) throw new RuntimeError(`the kernel refused the subscription: ${strerror(ack)}`);
    if (!isUnfiltered(this.mask)) {
      conn.setKernelFilter(this.mask);
      // Filtered-out events still advance the kernel's sequence numbers, so gaps stop meaning loss.
      this.exactLoss = false;
    }
    this.decoder = new Decoder(conn.bytes);
    this.table.preload();
    if (!this.cfg.quiet) this.header();
  }

  private async loop(): Promise<void> {
    const conn = this.conn!;
    const deadline = this.cfg.durationMs > 0 ? performance.now() + this.cfg.durationMs : Infinity;
    while (!this.stopRequested) {
      const now = performance.now();
      if (now >= deadline) break;
      if (conn.tail === conn.head) {
        let timeout = Math.min(IDLE_WAKE_MS, deadline - now);
        const since = this.writer.pendingSince;
        if (since >= 0) timeout = Math.min(timeout, since + FLUSH_INTERVAL_MS - now);
        conn.wait(Math.max(0, Math.ceil(timeout)));
      }
      this.drain(DATAGRAMS_PER_TURN);
      if (this.writer.pendingSince >= 0 && performance.now() - this.writer.pendingSince >= FLUSH_INTERVAL_MS) {
        this.writer.flush();
      }
      await yieldTurn();
    }
    // Whatever is already queued happened before the stop: report it too.
    this.drain(Infinity);
  }

  /** Takes what the socket holds into the ring, reading /proc for each exec at once. */
  private pump(): void {
    const conn = this.conn!;
    const from = conn.head;
    if (conn.receive() > 0 && this.prefetch) {
      const dec = this.decoder!;
      for (let n = from; n < conn.head; n++) dec.scanExecs(conn.offset(n), conn.length(n), this.onExec);
    }
    if (conn.overflows !== this.overflowsSeen) {
      this.overflowsSeen = conn.overflows;
      this.overflow();
    }
  }

  /**
   * Decodes and reports up to `limit` datagrams, going back to the socket every few so
   * that receiving (and the /proc reads for execs) keeps ahead of formatting.
   */
  private drain(limit: number): void {
    const conn = this.conn!;
    const dec = this.decoder!;
    this.pump();
    for (let done = 0; conn.tail < conn.head && done < limit; done++) {
      const n = conn.tail++;
      dec.decodeDatagram(conn.offset(n), conn.length(n), this.sink);
      if ((n & 15) === 15) this.pump();
      if (conn.tail === conn.head) this.pump();
    }
    if (this.batchLost > 0) {
      this.lost(this.batchLost, true);
      this.batchLost = 0;
    }
  }

  private finish(): void {
    if (this.cfg.statistics || this.cfg.quiet) {
      if (!this.cfg.quiet) this.writer.write("\n");
      this.writer.write(this.stats.render());
    }
    this.writer.flush();
  }

  private readonly onExec = (pid: number, ts: number) => this.table.prefetchExec(pid, ts);
  private readonly sink = (e: ProcEvent) => this.handle(e);

  private overflow(): void {
    // With exact accounting the sequence gaps will tell how many; otherwise say so now.
    if (!this.exactLoss) this.lost(0, false);
  }

  private trackSeq(e: ProcEvent): void {
    const cpu = e.cpu;
    if (cpu >= MAX_CPUS) return;
    const last = this.lastSeq[cpu]!;
    if (last >= 0) {
      const gap = (e.seq - last - 1) >>> 0;
      if (gap > 0 && gap < 0x80000000) this.batchLost += gap;
    }
    this.lastSeq[cpu] = e.seq;
  }

  private handle(e: ProcEvent): void {
    if (e.kind === "ack") return;
    if (this.exactLoss) this.trackSeq(e);
    const sel = this.cfg.events;
    const t = this.table;
    switch (e.kind) {
      case "fork":
      case "clone": {
        const origin = t.origin(e);
        const parent = t.get(origin);
        const child = t.fork(e);
        if (!(e.kind === "fork" ? sel.fork : sel.clone) || !this.wanted(child)) return;
        this.emit(e.ts, e.kind, origin, "parent", false, "", parent.name, parent, "parent");
        this.emit(e.ts, e.kind, e.pid, e.kind === "fork" ? "child" : "thread", false, "", child.name, child, e.kind === "fork" ? "child" : "thread");
        return;
      }
      case "exec": {
        const p = t.exec(e);
        if (sel.exec && this.wanted(p)) this.emit(e.ts, "exec", e.pid, "", false, "", p.name, p);
        return;
      }
      case "exit": {
        const p = t.get(e.pid);
        const thread = e.pid !== e.tgid;
        const st = decodeStatus(e.status, this.status);
        const show = thread ? sel.clone : sel.exit || (sel.exitNonzero && e.status !== 0);
        if (show && this.wanted(p)) {
          const info = st.signal === null ? String(st.code) : signalName(st.signal) + (st.core ? "*" : "");
          const dur = Number.isNaN(p.start) ? "" : Math.max(0, (e.ts - p.start) / 1e9).toFixed(3);
          this.emit(e.ts, "exit", e.pid, info, true, dur, p.name, p);
        }
        t.remove(e.pid);
        return;
      }
      case "core": {
        const p = t.get(e.pid);
        if (sel.core && this.wanted(p)) this.emit(e.ts, "core", e.pid, "", false, "", p.name, p);
        return;
      }
      case "comm": {
        const p = t.get(e.pid);
        const old = t.comm(e, p);
        if (sel.comm && this.wanted(p)) this.emit(e.ts, "comm", e.pid, "", false, "", `${old} -> ${p.comm}`, p);
        return;
      }
      case "ptrace": {
        const p = t.get(e.pid);
        if (!sel.ptrace || !this.wanted(p)) return;
        const attach = e.tracerPid !== 0;
        const by = attach ? ` (traced by ${e.tracerTgid} ${t.get(e.tracerTgid).name})` : "";
        this.emit(e.ts, "ptrce", e.pid, attach ? "attach" : "detach", false, "", p.name + by, p);
        return;
      }
      case "uid": {
        t.setUids(e.pid, e.ruid, e.euid);
        const p = t.get(e.pid);
        if (sel.uid && this.wanted(p))
          this.emit(e.ts, "uid", e.pid, "", false, "", `${p.name} (uid ${idName(e.ruid)}, euid ${idName(e.euid)})`, p);
        return;
      }
      case "gid": {
        const p = t.get(e.pid);
        if (sel.uid && this.wanted(p)) this.emit(e.ts, "gid", e.pid, "", false, "", `${p.name} (gid ${e.rgid}, egid ${e.egid})`, p);
        return;
      }
      case "sid": {
        t.setSession(e.pid);
        const p = t.get(e.pid);
        if (sel.sid && this.wanted(p)) this.emit(e.ts, "sid", e.pid, String(e.pid), true, "", p.name, p);
        return;
      }
    }
  }

  /** Filters that look at the process rather than the event kind (-p). */
  private wanted(p: ProcInfo): boolean {
    return this.cfg.pgrp === null || p.pgrp === this.cfg.pgrp;
  }

  private emit(
    ts: number,
    label: Label,
    pid: number,
    info: string,
    infoRight: boolean,
    duration: string,
    process: string,
    p: ProcInfo,
    role?: "parent" | "child" | "thread",
  ): void {
    // A fork is one event on two lines: count it once, on the child's line.
    if (role !== "parent") this.stats.count(statKind(label), p.name);
    if (this.cfg.quiet) return;
    this.writeLine(this.fmt.line(ts, label, pid, info, infoRight, duration, process, p, role && TextFormatter.glyphFor(role)));
  }

  private lost(count: number, exact: boolean): void {
    if (exact) this.stats.lost += count;
    else this.stats.lostUncounted = true;
    if (this.cfg.quiet) return;
    const what = exact ? `${count} events lost (receive buffer overflow)` : "events lost (receive buffer overflow; count unknown with a kernel-side event filter)";
    this.writeLine(this.fmt.line(this.clock.nowMono(), "lost", "-", exact ? String(count) : "?", true, "", what, null));
  }

  private writeLine(s: string): void {
    if (this.terminal && this.screenRows > 1 && ++this.linesSinceHeader >= this.screenRows - 1) this.header();
    this.writer.write(s);
    if (this.cfg.lineBuffered) this.writer.flush();
  }

  private header(): void {
    this.writer.write(this.fmt.header());
    if (this.cfg.lineBuffered) this.writer.flush();
    this.linesSinceHeader = 0;
    if (this.terminal) this.screenRows = terminalRows(this.outFd);
  }
}

function statKind(label: Label): StatKind {
  return label === "ptrce" ? "ptrace" : (label as StatKind);
}

function idName(id: number): string {
  const n = userName(id);
  return n === String(id) ? n : `${id} ${n}`;
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

function setRealtime(): void {
  const SCHED_FIFO = 1;
  const prio = libc.sched_get_priority_max(SCHED_FIFO);
  if (libc.sched_setscheduler(0, SCHED_FIFO, new Int32Array([prio])) !== 0) {
    process.stderr.write("pstat: warning: cannot switch to real-time scheduling; carrying on\n");
  }
}
