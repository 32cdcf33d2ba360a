import { createColors } from "picocolors";
import type { ProcInfo } from "../proc/table";
import { ttyName } from "../proc/tty";
import { userName } from "../proc/users";
import type { Formatter, Report, ReportKind } from "../report";
import { signalName } from "./signals";
import type { TimeFormatter } from "./time";

/** The Event column: five characters, as forkstat prints them. */
const LABELS: Record<ReportKind, string> = {
  fork: "fork ",
  clone: "clone",
  exec: "exec ",
  exit: "exit ",
  core: "core ",
  comm: "comm ",
  ptrace: "ptrce",
  uid: "uid  ",
  gid: "gid  ",
  sid: "sid  ",
  lost: "lost ",
};

const GLYPHS = {
  parent: "┬",
  child: "└",
  thread: "├",
  exec: "→",
  exit: "⇥",
  core: "☠",
  comm: "↻",
  ptrace: "⌖",
  uid: "⚷",
  gid: "⚷",
  sid: "⚑",
  lost: "⚠",
} as const;

const INFO_WIDTH = 8;
const DURATION_WIDTH = 8;
const USER_WIDTH = 8;
const TTY_WIDTH = 7;

export interface TextOptions {
  time: TimeFormatter;
  pidWidth: number;
  glyphs: boolean;
  extra: boolean;
  color: boolean;
  tree: boolean;
}

type Paint = (s: string) => string;

/**
 * The human format, one event per line in the seed's columns:
 * Time Event PID [UID EUID TTY] Info Duration Process.
 */
export class TextFormatter implements Formatter {
  private readonly paint: Record<ReportKind, Paint>;
  private readonly infoWidth: number;

  constructor(private readonly o: TextOptions) {
    const c = createColors(o.color);
    const same = (s: string) => s;
    this.paint = {
      fork: c.blue,
      clone: c.blue,
      exec: c.green,
      exit: same,
      core: (s) => c.bold(c.red(s)),
      comm: c.magenta,
      ptrace: c.yellow,
      uid: c.cyan,
      gid: c.cyan,
      sid: c.cyan,
      lost: (s) => c.bold(c.red(s)),
    };
    this.infoWidth = INFO_WIDTH + (o.glyphs ? 1 : 0);
  }

  header(): string {
    const o = this.o;
    let h = o.time.heading ? o.time.heading + " " : "";
    h += "Event " + "PID".padStart(o.pidWidth);
    if (o.extra) h += " " + "UID".padStart(USER_WIDTH) + " " + "EUID".padStart(USER_WIDTH) + " " + "TTY".padEnd(TTY_WIDTH);
    h += " " + "Info".padStart(this.infoWidth) + " " + "Duration".padStart(DURATION_WIDTH) + " Process\n";
    return h;
  }

  format(r: Report): string {
    const p = r.proc;
    switch (r.kind) {
      case "fork":
      case "clone":
        return (
          this.line(r, r.parentTgid, r.parent, GLYPHS.parent, "parent", false, "", r.parent.name, r.depth - 1) +
          this.line(r, r.pid, p, r.kind === "fork" ? GLYPHS.child : GLYPHS.thread, r.kind === "fork" ? "child" : "thread", false, "", p.name, r.depth)
        );
      case "exec":
        return this.line(r, r.pid, p, GLYPHS.exec, "", false, "", p.name, r.depth);
      case "exit": {
        const info = r.signal === null ? String(r.exitCode) : signalName(r.signal) + (r.coreDumped ? "*" : "");
        const dur = Number.isNaN(r.duration) ? "" : r.duration.toFixed(3);
        return this.line(r, r.pid, p, GLYPHS.exit, info, true, dur, p.name, r.depth);
      }
      case "core":
        return this.line(r, r.pid, p, GLYPHS.core, "", false, "", p.name, r.depth);
      case "comm":
        return this.line(r, r.pid, p, GLYPHS.comm, "", false, "", `${r.oldComm} -> ${p.comm}`, r.depth);
      case "ptrace": {
        const by = r.tracerPid !== 0 ? ` (traced by ${r.tracerPid} ${r.tracer.name})` : "";
        return this.line(r, r.pid, p, GLYPHS.ptrace, r.tracerPid !== 0 ? "attach" : "detach", false, "", p.name + by, r.depth);
      }
      case "uid":
        return this.line(r, r.pid, p, GLYPHS.uid, "", false, "", `${p.name} (uid ${idName(r.ruid)}, euid ${idName(r.euid)})`, r.depth);
      case "gid":
        return this.line(r, r.pid, p, GLYPHS.gid, "", false, "", `${p.name} (gid ${r.rgid}, egid ${r.egid})`, r.depth);
      case "sid":
        return this.line(r, r.pid, p, GLYPHS.sid, String(r.pid), true, "", p.name, r.depth);
      case "lost":
        return this.line(
          r,
          "-",
          null,
          GLYPHS.lost,
          r.count >= 0 ? String(r.count) : "?",
          true,
          "",
          r.count >= 0 ? `${r.count} events lost (receive buffer overflow)` : "events lost (receive buffer overflow; count unknown with a kernel-side event filter)",
          0,
        );
    }
  }

  /** Lines per report, for counting a screenful. */
  static lines(r: Report): number {
    return r.kind === "fork" || r.kind === "clone" ? 2 : 1;
  }

  private line(
    r: Report,
    pid: number | string,
    p: ProcInfo | null,
    glyph: string,
    info: string,
    infoRight: boolean,
    duration: string,
    process: string,
    depth: number,
  ): string {
    const o = this.o;
    let s = o.time.format === "none" ? "" : o.time.text(r.ts) + " ";
    s += this.paint[r.kind](LABELS[r.kind]) + " " + String(pid).padStart(o.pidWidth);
    if (o.extra) {
      const uid = p && p.uid >= 0 ? userName(p.uid) : "?";
      const euid = p && p.euid >= 0 ? userName(p.euid) : "?";
      const tty = p && p.tty >= 0 ? ttyName(p.tty) : "?";
      s += " " + uid.padStart(USER_WIDTH) + " " + euid.padStart(USER_WIDTH) + " " + tty.padEnd(TTY_WIDTH);
    }
    s += " " + (o.glyphs ? glyph : "") + (infoRight ? info.padStart(INFO_WIDTH) : info.padEnd(INFO_WIDTH));
    s += " " + duration.padStart(DURATION_WIDTH) + " ";
    if (o.tree && depth > 0) s += "  ".repeat(Math.min(depth, 40));
    return s + process + "\n";
  }
}

function idName(id: number): string {
  const n = userName(id);
  return n === String(id) ? n : `${id} ${n}`;
}
