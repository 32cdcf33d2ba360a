import type { ProcEvent } from "../events/types";
import { decodeStatus, type ExitStatus } from "../format/signals";
import type { Plan } from "../plan";
import { readStat } from "../proc/procfs";
import { type ProcessTable, UNKNOWN } from "../proc/table";
import { blankReport, copyReport, type Report } from "../report";
import type { Subtree } from "./subtree";
import { ThreadGroups } from "./thread-groups";

const SELF = process.pid;

export interface TrackerHooks {
  /** A whole thread group has ended, with the leader's wait status. */
  processEnded?: (tgid: number, status: number) => void;
}

/**
 * Applies each event to what pstat knows about the machine's processes (the process
 * table, thread groups, the followed and excluded subtrees) and hands on the enriched report, if the
 * user asked to see that kind of event. The selection is checked before /proc is read, so
 * events nobody will see cost no /proc reads unless the table must follow them.
 */
export class Tracker {
  private readonly r: Report = blankReport(UNKNOWN);
  private readonly status: ExitStatus = { code: 0, signal: null, core: false };
  private readonly groups = new ThreadGroups();
  /**
   * Leader exits held until their group ends (or an exec shows they were not the end):
   * the line, when it is to be shown, and the wait status that ends the process.
   */
  private readonly held = new Map<number, { report: Report | null; status: number }>();
  /** Depth of the followed root, so --tree starts at 0 there. */
  baseDepth = 0;

  constructor(
    private readonly plan: Plan,
    private readonly table: ProcessTable,
    /** Subtrees kept up to date from forks and exits: --pid or command mode, --exclude-pid. */
    private readonly subtrees: readonly Subtree[],
    private readonly hooks: TrackerHooks = {},
  ) {}

  /** Loads the processes that exist now, so their later events have names and durations. */
  preload(): void {
    this.table.preload((tgid, threads) => this.groups.preload(tgid, threads));
  }

  /** Updates what is known from one event and passes on its report, when it is to be shown. */
  apply(e: ProcEvent, emit: (r: Report) => void): void {
    // pstat's own helper threads (the runtime's garbage-collector and JIT workers, started
    // and ended as its work comes and goes) are the observer, not the machine: left out.
    if (e.tgid === SELF && e.pid !== SELF) return;
    const show = this.plan.show;
    const track = this.plan.track;
    const t = this.table;
    const r = this.r;
    r.ts = e.ts;
    r.pid = e.pid;
    r.tgid = e.tgid;
    r.thread = false;
    r.ppid = -1; // the kernel's, where the event carries one; else the table's (see out)
    switch (e.kind) {
      case "fork":
      case "clone": {
        const visible = e.kind === "fork" ? show.fork : show.clone;
        if (!visible && !track) return;
        const origin = t.origin(e);
        r.parent = t.get(origin);
        r.proc = t.fork(e);
        if (e.kind === "fork") for (let i = 0; i < this.subtrees.length; i++) this.subtrees[i]!.fork(origin, e.pid);
        else this.groups.clone(e.tgid);
        if (!visible) return;
        r.thread = e.kind === "clone";
        r.ppid = e.parentTgid;
        r.parentTid = e.parentPid;
        return this.out(e.kind, emit);
      }
      case "exec": {
        if (!show.exec && !track) return;
        const held = this.held.get(e.pid);
        if (this.groups.exec(e.tgid) && held !== undefined) {
          // The leader's exit came from this exec (a thread other than the leader called it).
          this.held.delete(e.pid);
          if (held.report !== null) {
            held.report.replaced = true;
            held.report.thread = true;
            emit(held.report);
          }
        }
        r.proc = t.exec(e);
        if (show.exec) this.out("exec", emit);
        return;
      }
      case "exit":
        return this.exit(e, emit);
      case "core":
        if (!show.core) return;
        r.proc = t.get(e.pid);
        r.ppid = e.parentTgid;
        return this.out("core", emit);
      case "comm": {
        if (!show.comm && !track) return;
        const p = (r.proc = t.get(e.pid));
        r.oldName = p.name;
        r.oldComm = t.comm(e, p);
        if (show.comm) this.out("comm", emit);
        return;
      }
      case "ptrace":
        if (!show.ptrace) return;
        r.proc = t.get(e.pid);
        r.tracerPid = e.tracerPid === 0 ? 0 : e.tracerTgid;
        r.tracer = e.tracerPid === 0 ? UNKNOWN : t.get(e.tracerTgid);
        return this.out("ptrace", emit);
      case "uid":
        t.setUids(e.pid, e.ruid, e.euid);
        if (!show.uid) return;
        r.proc = t.get(e.pid);
        r.ruid = e.ruid;
        r.euid = e.euid;
        return this.out("uid", emit);
      case "gid":
        if (!show.gid) return;
        r.proc = t.get(e.pid);
        r.rgid = e.rgid;
        r.egid = e.egid;
        return this.out("gid", emit);
      case "sid":
        t.setSession(e.pid);
        if (!show.sid) return;
        r.proc = t.get(e.pid);
        return this.out("sid", emit);
    }
  }

  private exit(e: ProcEvent & { kind: "exit" }, emit: (r: Report) => void): void {
    const show = this.plan.show;
    const r = this.r;
    const thread = e.pid !== e.tgid;
    // --summary counts every process's end, shown or not (its stage decides what is shown).
    const visible = thread ? show.clone : show.exit || this.plan.summary || (this.plan.failingExitsOnly && e.status !== 0);
    if (!visible && !this.plan.track) return;
    const p = (r.proc = this.table.get(e.pid));
    if (visible) {
      const st = decodeStatus(e.status, this.status);
      r.exitCode = st.code;
      r.signal = st.signal;
      r.coreDumped = st.core;
      r.replaced = false;
      r.thread = thread;
      r.duration = Number.isNaN(p.start) ? NaN : Math.max(0, (e.ts - p.start) / 1e9);
      // The kernel gives 0 for a thread other than the leader.
      r.ppid = e.parentTgid > 0 ? e.parentTgid : p.ppid;
    }
    this.table.remove(e.pid);
    if (thread) {
      if (visible) this.out("exit", emit);
      // The last thread of a group whose leader had gone: the process ends now.
      if (this.groups.threadExit(e.tgid)) this.groupEnded(e.tgid, emit);
      return;
    }
    if (this.groups.leaderExit(e.tgid)) {
      if (visible) this.out("exit", emit);
      this.ended(e.tgid, e.status);
      return;
    }
    // Threads live on: this is the process's end only once they have gone too, unless an
    // exec in one of them comes first. Hold the line until then.
    let report: Report | null = null;
    if (visible) {
      r.kind = "exit";
      r.depth = this.depthOf(r);
      if (r.ppid < 0) r.ppid = p.ppid;
      report = copyReport(r);
    }
    this.held.set(e.tgid, { report, status: e.status });
  }

  /** The group of a held leader exit has ended: the held line is the process's exit. */
  private groupEnded(tgid: number, emit: (r: Report) => void): void {
    const held = this.held.get(tgid);
    if (held === undefined) return;
    this.held.delete(tgid);
    if (held.report !== null) emit(held.report);
    this.ended(tgid, held.status);
  }

  private ended(tgid: number, status: number): void {
    for (let i = 0; i < this.subtrees.length; i++) this.subtrees[i]!.exit(tgid);
    this.hooks.processEnded?.(tgid, status);
  }

  /** Groups whose leader exit is held although /proc no longer has them (their thread exits were lost). */
  sweep(emit: (r: Report) => void): void {
    if (this.groups.waitingCount === 0) return;
    for (const tgid of [...this.groups.waiting()]) {
      if (readStat(tgid) !== null) continue;
      this.groups.forget(tgid);
      this.groupEnded(tgid, emit);
    }
  }

  /** At the end of the run: what is still held is shown, as it was reported. */
  flush(emit: (r: Report) => void): void {
    for (const held of this.held.values()) if (held.report !== null) emit(held.report);
    this.held.clear();
  }

  get holding(): boolean {
    return this.held.size > 0;
  }

  private out(kind: Report["kind"], emit: (r: Report) => void): void {
    const r = this.r;
    r.kind = kind;
    if (r.ppid < 0) r.ppid = r.proc.ppid;
    r.depth = this.depthOf(r);
    emit(r);
  }

  private depthOf(r: Report): number {
    return Math.max(0, r.proc.depth - this.baseDepth);
  }
}
