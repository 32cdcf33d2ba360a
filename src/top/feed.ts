/**
 * The tracker's reports as the model's input: a process started (a fork, not a new
 * thread), ran a program (exec) or ended (the whole process); every other report counts
 * only in events/s. One TopEvent is reused for every report (the model keeps only its
 * strings). Names come from the process table, escaped already.
 */
import { type ProcInfo, UNKNOWN } from "../proc/table";
import { userName } from "../proc/users";
import type { Report } from "../report";
import { blankTopEvent, type TopEvent, type TopModel, type Usage } from "./model";

/**
 * An exit report's task accounting as the model's Usage: user + system CPU seconds and the
 * peak RSS in bytes (for a whole process, its group's: every thread's CPU); null when no
 * record came or it lacks a figure. One object, reused: the model keeps only the numbers.
 */
export function usageFromReport(): (r: Report) => Usage | null {
  const u: Usage = { cpu: 0, maxRss: 0 };
  return (r) => {
    const rec = r.usage;
    if (rec === null || rec.user === null || rec.system === null || rec.maxRss === null) return null;
    u.cpu = rec.user + rec.system;
    u.maxRss = rec.maxRss;
    return u;
  };
}

/** What a process is called as a parent: its command line, or its name when that is gone (a kernel thread, an exited parent). */
function parentKey(p: ProcInfo): string {
  return p.cmdline ?? p.name;
}

export class TopFeed {
  private readonly ev: TopEvent = blankTopEvent();

  constructor(
    private readonly model: TopModel,
    /** A process's entry in the table: cached, read from /proc only for one never seen. */
    private readonly lookup: (pid: number) => ProcInfo,
    /** An exit's task accounting (CPU, peak memory), or null: where taskstats records come in. */
    private readonly usageOf: (r: Report) => Usage | null = () => null,
  ) {}

  /** One report from the tracker (after the filter). */
  readonly deliver = (r: Report): void => {
    const ev = this.ev;
    switch (r.kind) {
      case "fork":
        ev.kind = "fork";
        ev.parentKey = parentKey(r.parent);
        ev.cmdline = null;
        break;
      case "exec":
        ev.kind = "exec";
        ev.parentKey = this.parentKeyOf(r.proc.ppid);
        ev.cmdline = r.proc.cmdline;
        break;
      case "exit":
        // A thread's exit, or a leader's exit that a thread's exec replaced: the process goes on.
        if (r.thread) return this.model.other();
        ev.kind = "exit";
        ev.parentKey = this.parentKeyOf(r.ppid);
        ev.cmdline = null;
        ev.failed = r.exitCode !== 0 || r.signal !== null;
        ev.usage = this.usageOf(r);
        break;
      default:
        return this.model.other();
    }
    const p = r.proc;
    ev.ts = r.ts / 1e6;
    ev.pid = r.tgid;
    ev.ppid = r.ppid;
    ev.program = p.comm;
    ev.user = userName(p.uid);
    if (ev.kind !== "exit") {
      ev.failed = false;
      ev.usage = null;
    }
    this.model.add(ev);
  };

  private parentKeyOf(ppid: number): string {
    return parentKey(ppid > 0 ? this.lookup(ppid) : UNKNOWN);
  }

  /** Events the kernel dropped: how many, or -1 when the count cannot be known. */
  readonly lost = (count: number): void => this.model.addLost(count);
}
