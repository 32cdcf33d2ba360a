import { createColors } from "picocolors";
import type { ProcInfo } from "../proc/table";
import { ttyName } from "../proc/tty";
import { userName } from "../proc/users";
import type { TimeFormatter } from "./time";

/** The Event column's labels: five characters, as forkstat prints them. */
export type Label = "fork" | "clone" | "exec" | "exit" | "core" | "comm" | "ptrce" | "uid" | "gid" | "sid" | "lost";

const GLYPHS: Record<string, string> = {
  parent: "┬",
  child: "└",
  thread: "├",
  exec: "→",
  exit: "⇥",
  core: "☠",
  comm: "↻",
  ptrce: "⌖",
  uid: "⚷",
  gid: "⚷",
  sid: "⚑",
  lost: "⚠",
};

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
}

type Paint = (s: string) => string;

/**
 * Lays out one event per line in the seed's columns:
 * Time Event PID [UID EUID TTY] Info Duration Process.
 */
export class TextFormatter {
  private readonly paint: Record<Label, Paint>;
  private readonly infoWidth: number;

  constructor(private readonly o: TextOptions) {
    const c = createColors(o.color);
    this.paint = {
      fork: c.blue,
      clone: c.blue,
      exec: c.green,
      exit: (s) => s,
      core: (s) => c.bold(c.red(s)),
      comm: c.magenta,
      ptrce: c.yellow,
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

  /**
   * One line. `info` is left-aligned (labels such as "parent") unless `infoRight`
   * (numbers such as an exit code). `glyph` overrides the label's glyph (fork parent/child).
   */
  line(
    ts: number,
    label: Label,
    pid: number | string,
    info: string,
    infoRight: boolean,
    duration: string,
    process: string,
    p: ProcInfo | null,
    glyph?: string,
  ): string {
    const o = this.o;
    let s = o.time.format === "none" ? "" : o.time.text(ts) + " ";
    s += this.paint[label](label.padEnd(5)) + " " + String(pid).padStart(o.pidWidth);
    if (o.extra) {
      const uid = p && p.uid >= 0 ? userName(p.uid) : "?";
      const euid = p && p.euid >= 0 ? userName(p.euid) : "?";
      const tty = p && p.tty >= 0 ? ttyName(p.tty) : "?";
      s += " " + uid.padStart(USER_WIDTH) + " " + euid.padStart(USER_WIDTH) + " " + tty.padEnd(TTY_WIDTH);
    }
    const g = o.glyphs ? (glyph ?? GLYPHS[label] ?? " ") : "";
    s += " " + g + (infoRight ? info.padStart(INFO_WIDTH) : info.padEnd(INFO_WIDTH));
    s += " " + duration.padStart(DURATION_WIDTH) + " " + process + "\n";
    return s;
  }

  static glyphFor(role: string): string {
    return GLYPHS[role] ?? " ";
  }
}
