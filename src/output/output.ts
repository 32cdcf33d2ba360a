import { closeSync, openSync, readFileSync } from "node:fs";
import type { Clock } from "../clock";
import type { Config } from "../config";
import { RuntimeError } from "../errors";
import { libc } from "../kernel/libc";
import type { Report } from "../report";
import { FORMATS } from "./formats";
import type { Formatter } from "./formatter";
import type { Summary } from "../usage/summary";
import type { Statistics } from "./statistics";
import { Writer } from "./writer";

/**
 * The last stage: the chosen formatter writing into a buffered writer, the heading again
 * every screenful on a terminal, and line buffering (-l).
 */
export class Output {
  readonly writer: Writer;
  private readonly terminal: boolean;
  private linesSinceHeading = 0;
  private screenRows = 0;
  private wroteEvents = false;
  private wroteStatistics = false;

  private constructor(
    private readonly fd: number,
    private readonly ownsFile: boolean,
    private readonly formatter: Formatter,
    private readonly lineBuffered: boolean,
    commandShares: boolean,
  ) {
    // In command mode the command writes to the same standard output: leave its mode alone.
    this.writer = new Writer(fd, ownsFile || !commandShares);
    this.terminal = libc.isatty(fd) === 1;
  }

  /** Opens -o FILE or takes standard output, with the format the configuration chose. */
  static open(cfg: Config, clock: Clock): Output {
    const fd = cfg.output === null ? 1 : openFile(cfg.output);
    const terminal = libc.isatty(fd) === 1;
    const formatter = FORMATS[cfg.format].make({
      clock,
      time: cfg.time,
      pidWidth: pidWidth(),
      glyphs: cfg.glyphs,
      extra: cfg.extra,
      color: wantColor(terminal),
      tree: cfg.tree,
      context: cfg.context,
      usage: cfg.usage,
    });
    return new Output(fd, cfg.output !== null, formatter, cfg.lineBuffered, cfg.command !== null);
  }

  heading(): void {
    const h = this.formatter.heading();
    if (h === "") return;
    this.writer.write(h);
    if (this.lineBuffered) this.writer.flush();
    this.linesSinceHeading = 0;
    if (this.terminal) this.screenRows = terminalRows(this.fd);
  }

  emit(r: Report): void {
    if (this.terminal && this.screenRows > 1) {
      this.linesSinceHeading += this.formatter.lines(r);
      if (this.linesSinceHeading >= this.screenRows - 1) this.heading();
    }
    this.formatter.event(r, this.writer);
    this.wroteEvents = true;
    if (this.lineBuffered) this.writer.flush();
  }

  statistics(s: Statistics, ts: number): void {
    this.formatter.statistics(s, ts, this.writer, this.wroteEvents);
    this.wroteStatistics = true;
  }

  summary(s: Summary, wall: number, ts: number): void {
    this.formatter.summary(s, wall, ts, this.writer, this.wroteEvents || this.wroteStatistics);
  }

  close(): void {
    if (this.ownsFile) closeSync(this.fd);
  }
}

function openFile(path: string): number {
  try {
    return openSync(path, "w", 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RuntimeError(
      `cannot open ${path} for output: ${code === "ENOENT" ? "no such directory" : code === "EACCES" ? "permission denied" : (e as Error).message}`,
    );
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

/** NO_COLOR (set and not empty) turns colour off, FORCE_COLOR (not "0" or "false") on; else only on a terminal. */
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
