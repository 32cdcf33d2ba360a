import { createColors } from "picocolors";
import { ancestryText } from "../context/ancestry";
import type { ProcessContext } from "../context/read";
import { LINE_KINDS, PARENT_GLYPH, REPORT_KINDS, type ReportKind } from "../events/kinds";
import { signalName } from "../format/signals";
import { TimeFormatter } from "../format/time";
import type { ProcInfo } from "../proc/table";
import { ttyName } from "../proc/tty";
import { userName } from "../proc/users";
import type { Report } from "../report";
import type { Usage } from "../usage/record";
import type { Summary } from "../usage/summary";
import { USAGE_HEADING, writeUsageCell } from "../usage/units";
import type { FormatContext, Formatter } from "./formatter";
import type { Statistics } from "./statistics";
import type { Writer } from "./writer";

const LABEL_WIDTH = 5;
const INFO_WIDTH = 8;
const DURATION_WIDTH = 8;
const USER_WIDTH = 8;
const TTY_WIDTH = 7;
/** Everything on a line but the names, generously: time, columns, glyphs (3 bytes), colour codes. */
const FIXED_BYTES = 256;
const MAX_INDENT = 40;
/** Characters of the ancestry on the context line: the farthest and nearest parents stay, the middle is cut. */
const ANCESTRY_WIDTH = 60;

/**
 * The human format, one event per line in the seed's columns:
 * Time Event PID [UID EUID TTY] Info Duration Process.
 * Lines are appended field by field into the writer's buffer: no string per line.
 * With --context (or a --show-* flag), a second line under each event, starting in the
 * Process column, says where and who the process is:
 * `container=ID unit=NAME cgroup=PATH login=USER cwd=DIR via A › B › C`, leaving out what
 * is not known; none at all when nothing is.
 */
export class TextFormatter implements Formatter {
  private readonly label: Record<ReportKind, string>;
  private readonly infoWidth: number;
  private readonly time: TimeFormatter;
  private readonly contextOn: boolean;
  /** Where the Process column starts. */
  private readonly processColumn: number;

  constructor(private readonly o: FormatContext) {
    const c = createColors(o.color);
    this.label = {} as Record<ReportKind, string>;
    for (const k of REPORT_KINDS) {
      const spec: { label: string; color: string | null; bold?: boolean } = LINE_KINDS[k];
      let text = spec.label.padEnd(LABEL_WIDTH);
      if (spec.color !== null) text = c[spec.color as "blue"](text);
      if (spec.bold) text = c.bold(text);
      this.label[k] = text;
    }
    this.time = new TimeFormatter(o.time, o.clock);
    this.infoWidth = INFO_WIDTH + (o.glyphs ? 1 : 0);
    const f = o.context;
    this.contextOn = f.cgroup || f.ancestry || f.cwd || f.login;
    this.processColumn = this.heading().indexOf("Process");
  }

  heading(): string {
    const o = this.o;
    let h = this.time.heading ? this.time.heading + " " : "";
    h += "Event " + "PID".padStart(o.pidWidth);
    if (o.extra) h += " " + "UID".padStart(USER_WIDTH) + " " + "EUID".padStart(USER_WIDTH) + " " + "TTY".padEnd(TTY_WIDTH);
    h += " " + "Info".padStart(this.infoWidth) + " " + "Duration".padStart(DURATION_WIDTH);
    if (o.usage) h += " " + USAGE_HEADING;
    h += " Process\n";
    return h;
  }

  lines(r: Report): number {
    const context = this.contextOn && this.contextText(r) !== "" ? 1 : 0;
    return (r.kind === "fork" || r.kind === "clone" ? 2 : 1) + context;
  }

  statistics(s: Statistics, _ts: number, w: Writer, afterEvents: boolean): void {
    if (afterEvents) w.write("\n");
    w.write(s.render());
  }

  summary(s: Summary, wall: number, _ts: number, w: Writer, afterOutput: boolean): void {
    if (afterOutput) w.write("\n");
    w.write(s.renderText(wall));
  }

  event(r: Report, w: Writer): void {
    this.eventLines(r, w);
    if (this.contextOn) this.contextLine(r, w);
  }

  private eventLines(r: Report, w: Writer): void {
    const p = r.proc;
    switch (r.kind) {
      case "fork":
      case "clone":
        this.start(w, r, r.kind === "fork" ? r.ppid : r.tgid, r.parent, r.parent.name.length);
        this.info(w, PARENT_GLYPH, "parent", false);
        this.process(w, r.parent.name, r.depth - 1);
        this.start(w, r, r.pid, p, p.name.length);
        this.info(w, LINE_KINDS[r.kind].glyph, r.kind === "fork" ? "child" : "thread", false);
        return this.process(w, p.name, r.depth);
      case "exec":
        this.start(w, r, r.pid, p, p.name.length);
        this.info(w, LINE_KINDS.exec.glyph, "", false);
        return this.process(w, p.name, r.depth);
      case "exit": {
        this.start(w, r, r.pid, p, p.name.length);
        if (r.replaced) this.info(w, LINE_KINDS.exit.glyph, "replaced", true);
        else if (r.signal === null) {
          if (this.o.glyphs) w.utf8(LINE_KINDS.exit.glyph);
          w.uint(r.exitCode ?? 0, INFO_WIDTH);
          w.byte(0x20);
        } else this.info(w, LINE_KINDS.exit.glyph, signalName(r.signal) + (r.coreDumped ? "*" : ""), true);
        if (Number.isNaN(r.duration)) w.spaces(DURATION_WIDTH);
        else this.seconds(w, r.duration);
        return this.process(w, p.name, r.depth, true, r.usage);
      }
      case "core":
        this.start(w, r, r.pid, p, p.name.length);
        this.info(w, LINE_KINDS.core.glyph, "", false);
        return this.process(w, p.name, r.depth);
      case "comm":
        // As forkstat: who renamed itself (its name as shown until now), then the new comm.
        this.start(w, r, r.pid, p, r.oldName.length + p.comm.length + 4);
        this.info(w, LINE_KINDS.comm.glyph, "", false);
        return this.process(w, `${r.oldName} -> ${p.comm}`, r.depth);
      case "ptrace": {
        const by = r.tracerPid !== 0 ? ` (traced by ${r.tracerPid} ${r.tracer.name})` : "";
        this.start(w, r, r.pid, p, p.name.length + by.length);
        this.info(w, LINE_KINDS.ptrace.glyph, r.tracerPid !== 0 ? "attach" : "detach", false);
        return this.process(w, p.name + by, r.depth);
      }
      case "uid": {
        const text = `${p.name} (uid ${idName(r.ruid)}, euid ${idName(r.euid)})`;
        this.start(w, r, r.pid, p, text.length);
        this.info(w, LINE_KINDS.uid.glyph, "", false);
        return this.process(w, text, r.depth);
      }
      case "gid": {
        const text = `${p.name} (gid ${r.rgid}, egid ${r.egid})`;
        this.start(w, r, r.pid, p, text.length);
        this.info(w, LINE_KINDS.gid.glyph, "", false);
        return this.process(w, text, r.depth);
      }
      case "sid":
        this.start(w, r, r.pid, p, p.name.length);
        this.info(w, LINE_KINDS.sid.glyph, String(r.pid), true);
        return this.process(w, p.name, r.depth);
      case "lost": {
        const text =
          r.lostSource === "usage"
            ? "usage records lost (taskstats receive buffer overflow; exits without figures are counted in -S)"
            : r.count >= 0
              ? `${r.count} events lost (receive buffer overflow)`
              : "events lost (receive buffer overflow; count unknown with a kernel-side event filter)";
        this.start(w, r, -1, null, text.length);
        this.info(w, LINE_KINDS.lost.glyph, r.count >= 0 ? String(r.count) : "?", true);
        return this.process(w, text, 0);
      }
    }
  }

  /** The context line's text: what is known of the fields asked for; "" for none, and for lost events. */
  contextText(r: Report): string {
    if (r.kind === "lost") return "";
    const c = r.proc.ctx;
    const where = c === null ? "" : this.where(c);
    if (!this.o.context.ancestry || r.ancestors.length === 0) return where;
    const via = `via ${ancestryText(r.ancestors, ANCESTRY_WIDTH)}`;
    return where === "" ? via : `${where} ${via}`;
  }

  /**
   * The context's fields as text, made once per context: a process's context object is
   * shared by its forks and all its events, and it is never changed once read.
   */
  private readonly described = new WeakMap<ProcessContext, string>();

  private where(c: ProcessContext): string {
    let text = this.described.get(c);
    if (text !== undefined) return text;
    const f = this.o.context;
    const parts: string[] = [];
    if (f.cgroup) {
      if (c.containerShort !== null) parts.push(`container=${c.containerShort}`);
      if (c.unit !== null) parts.push(`unit=${c.unit}`);
      if (c.cgroup !== null) parts.push(`cgroup=${c.cgroup}`);
    }
    if (f.login && c.loginUser !== null) parts.push(`login=${c.loginUser}`);
    if (f.cwd && c.cwd !== null) parts.push(`cwd=${c.cwd}`);
    text = parts.join(" ");
    this.described.set(c, text);
    return text;
  }

  /** The context line, under the process's name (indented as it is with --tree). */
  private contextLine(r: Report, w: Writer): void {
    const text = this.contextText(r);
    if (text === "") return;
    const indent = this.processColumn + (this.o.tree && r.depth > 0 ? 2 * Math.min(r.depth, MAX_INDENT) : 0);
    w.reserve(indent + text.length * 3 + 1);
    w.spaces(indent);
    w.utf8(text);
    w.byte(0x0a);
  }

  /** Time, Event, PID and the -x columns; reserves room for the line. */
  private start(w: Writer, r: Report, pid: number, p: ProcInfo | null, nameLength: number): void {
    const o = this.o;
    w.reserve(FIXED_BYTES + 2 * MAX_INDENT + nameLength * 3);
    if (this.time.format !== "none") {
      w.ascii(this.time.text(r.ts));
      w.byte(0x20);
    }
    w.ascii(this.label[r.kind]);
    w.byte(0x20);
    if (pid < 0) {
      w.spaces(o.pidWidth - 1);
      w.byte(0x2d); // "-"
    } else w.uint(pid, o.pidWidth);
    if (o.extra) {
      const uid = p && p.uid >= 0 ? userName(p.uid) : "?";
      const euid = p && p.euid >= 0 ? userName(p.euid) : "?";
      const tty = p && p.tty >= 0 ? ttyName(p.tty) : "?";
      w.utf8(" " + uid.padStart(USER_WIDTH) + " " + euid.padStart(USER_WIDTH) + " " + tty.padEnd(TTY_WIDTH));
    }
    w.byte(0x20);
  }

  /** The Info column (glyph first with -g), then the separating space. */
  private info(w: Writer, glyph: string, info: string, right: boolean): void {
    if (this.o.glyphs) w.utf8(glyph);
    if (right) w.spaces(INFO_WIDTH - info.length);
    w.ascii(info);
    if (!right) w.spaces(INFO_WIDTH - info.length);
    w.byte(0x20);
  }

  /** Seconds with three decimals, right-aligned in the Duration column. */
  private seconds(w: Writer, s: number): void {
    const ms = Math.round(s * 1000);
    const whole = Math.floor(ms / 1000);
    const frac = ms - whole * 1000;
    let digits = 1;
    for (let x = whole; x >= 10; x = Math.floor(x / 10)) digits++;
    w.spaces(DURATION_WIDTH - digits - 4);
    w.uint(whole);
    w.byte(0x2e); // "."
    if (frac < 100) w.byte(0x30);
    if (frac < 10) w.byte(0x30);
    w.uint(frac);
  }

  /**
   * The Duration column (blank unless already written), with --usage the usage cell (an
   * exit's figures, `usage` null when none came; blank for other lines), and the Process column.
   */
  private process(w: Writer, name: string, depth: number, durationDone = false, usage?: Usage | null): void {
    if (!durationDone) w.spaces(DURATION_WIDTH);
    w.byte(0x20);
    if (this.o.usage) {
      writeUsageCell(w, usage);
      w.byte(0x20);
    }
    if (this.o.tree && depth > 0) w.spaces(2 * Math.min(depth, MAX_INDENT));
    w.utf8(name);
    w.byte(0x0a);
  }
}

function idName(id: number): string {
  const n = userName(id);
  return n === String(id) ? n : `${id} ${n}`;
}
