/**
 * The command-mode summary (`pstat --summary -- CMD`): what each program in the job cost,
 * and the job's totals, as an aligned text table and as one JSON object. Pure: it is fed
 * process exits and renders; names and command lines come in already escaped.
 */
import type { Usage } from "./record";
import { formatBytes, formatSeconds } from "./units";

/** One process that ended, as the summary needs it. */
export interface SummaryExit {
  pid: number;
  /** The executable's name (escaped). */
  program: string;
  /** The command line (escaped), or null when it could not be read. */
  cmdline: string | null;
  exitCode: number | null;
  signal: number | null;
  /** Its figures (group totals for a multi-threaded process), or null when none came. */
  usage: Usage | null;
}

export interface ProgramRow {
  program: string;
  processes: number;
  /** Processes that exited non-zero or were killed by a signal. */
  failures: number;
  signaled: number;
  /** Processes whose figures did not come (their columns add up the rest). */
  withoutUsage: number;
  /** user + system seconds; null when no process of it has figures. */
  cpu: number | null;
  maxRss: number | null;
  /** Storage I/O, read + write bytes. */
  io: number | null;
}

export interface Heavy {
  pid: number;
  program: string;
  cmdline: string | null;
  cpu: number;
  maxRss: number | null;
}

/** How many of the heaviest processes the summary names. */
const HEAVIEST = 3;

interface Acc {
  processes: number;
  failures: number;
  signaled: number;
  withUsage: number;
  cpu: number;
  cpuKnown: boolean;
  maxRss: number;
  rssKnown: boolean;
  io: number;
  ioKnown: boolean;
}

export class Summary {
  private readonly programs = new Map<string, Acc>();
  private readonly heavy: Heavy[] = [];
  private processes = 0;
  private failures = 0;

  /**
   * `usageReason`: why there are no figures at all (no privilege, no CONFIG_TASKSTATS), or
   * null when taskstats is on; then CPU, memory and I/O show as unavailable, never 0.
   */
  constructor(readonly usageReason: string | null = null) {}

  get usageAvailable(): boolean {
    return this.usageReason === null;
  }

  add(e: SummaryExit): void {
    let a = this.programs.get(e.program);
    if (a === undefined) {
      a = { processes: 0, failures: 0, signaled: 0, withUsage: 0, cpu: 0, cpuKnown: false, maxRss: 0, rssKnown: false, io: 0, ioKnown: false };
      this.programs.set(e.program, a);
    }
    a.processes++;
    this.processes++;
    const failed = e.signal !== null || (e.exitCode !== null && e.exitCode !== 0);
    if (failed) {
      a.failures++;
      this.failures++;
    }
    if (e.signal !== null) a.signaled++;
    const u = this.usageAvailable ? e.usage : null;
    if (u === null) return;
    a.withUsage++;
    const cpu = u.user !== null && u.system !== null ? u.user + u.system : null;
    if (cpu !== null) {
      a.cpu += cpu;
      a.cpuKnown = true;
      this.noteHeavy(e, cpu, u.maxRss);
    }
    if (u.maxRss !== null) {
      a.maxRss = Math.max(a.maxRss, u.maxRss);
      a.rssKnown = true;
    }
    if (u.readBytes !== null && u.writeBytes !== null) {
      a.io += u.readBytes + u.writeBytes;
      a.ioKnown = true;
    }
  }

  private noteHeavy(e: SummaryExit, cpu: number, maxRss: number | null): void {
    const h = this.heavy;
    if (h.length === HEAVIEST && cpu <= h[h.length - 1]!.cpu) return;
    h.push({ pid: e.pid, program: e.program, cmdline: e.cmdline, cpu, maxRss });
    h.sort((x, y) => y.cpu - x.cpu);
    if (h.length > HEAVIEST) h.length = HEAVIEST;
  }

  /** Per program, most CPU first (most processes first without figures), then by name. */
  rows(): ProgramRow[] {
    const rows: ProgramRow[] = [];
    for (const [program, a] of this.programs) {
      rows.push({
        program,
        processes: a.processes,
        failures: a.failures,
        signaled: a.signaled,
        withoutUsage: this.usageAvailable ? a.processes - a.withUsage : a.processes,
        cpu: a.cpuKnown ? a.cpu : null,
        maxRss: a.rssKnown ? a.maxRss : null,
        io: a.ioKnown ? a.io : null,
      });
    }
    return rows.sort((x, y) => (y.cpu ?? -1) - (x.cpu ?? -1) || y.processes - x.processes || (x.program < y.program ? -1 : x.program > y.program ? 1 : 0));
  }

  /** The job's totals over every program. */
  totals(): { processes: number; failures: number; withoutUsage: number; cpu: number | null; maxRss: number | null; io: number | null } {
    let cpu: number | null = null;
    let maxRss: number | null = null;
    let io: number | null = null;
    let withoutUsage = 0;
    for (const r of this.rows()) {
      withoutUsage += r.withoutUsage;
      if (r.cpu !== null) cpu = (cpu ?? 0) + r.cpu;
      if (r.maxRss !== null) maxRss = Math.max(maxRss ?? 0, r.maxRss);
      if (r.io !== null) io = (io ?? 0) + r.io;
    }
    return { processes: this.processes, failures: this.failures, withoutUsage, cpu, maxRss, io };
  }

  heaviest(): readonly Heavy[] {
    return this.heavy;
  }

  /** The summary as an aligned table, for a terminal; `wall` is the job's wall time in seconds. */
  renderText(wall: number): string {
    const rows = this.rows();
    const t = this.totals();
    const partial = this.usageAvailable && t.withoutUsage > 0;
    // "*" after a figure that leaves out some processes; a space after the others keeps the digits aligned.
    const mark = (r: { withoutUsage: number; processes: number }) => (!partial ? "" : r.withoutUsage > 0 && r.withoutUsage < r.processes ? "*" : " ");
    const head = ["Procs", "CPU", "Max RSS", "Storage I/O", "Failed"];
    const cells = rows.map((r) => [
      String(r.processes),
      opt(r.cpu, formatSeconds) + mark(r),
      opt(r.maxRss, formatBytes) + mark(r),
      opt(r.io, formatBytes) + mark(r),
      String(r.failures),
    ]);
    const tm = partial ? "*" : "";
    const total = [String(t.processes), opt(t.cpu, formatSeconds) + tm, opt(t.maxRss, formatBytes) + tm, opt(t.io, formatBytes) + tm, String(t.failures)];
    const w = head.map((h, i) => Math.max(h.length, total[i]!.length, ...cells.map((c) => c[i]!.length)));
    const line = (c: string[], name: string) => c.map((v, i) => v.padStart(w[i]!)).join("  ") + "  " + name + "\n";
    let out = line(head, "Program");
    rows.forEach((r, k) => (out += line(cells[k]!, r.program)));
    out += line(total, "(total)");
    out += "\n";
    out += `Wall time ${formatSeconds(wall)}, CPU ${opt(t.cpu, formatSeconds)}`;
    if (t.cpu !== null && wall > 0) out += ` (${(t.cpu / wall).toFixed(2)} CPUs busy on average)`;
    out += `, ${t.processes} process${t.processes === 1 ? "" : "es"}, ${t.failures} failed\n`;
    if (!this.usageAvailable) {
      out += `CPU, memory and I/O unavailable: ${this.usageReason}\n`;
    } else {
      if (partial) out += `* without the figures of ${t.withoutUsage} process${t.withoutUsage === 1 ? "" : "es"} (their records did not come)\n`;
      if (this.heavy.length > 0) {
        out += "Heaviest (CPU, max RSS, PID, command line):\n";
        const cw = Math.max(...this.heavy.map((h) => formatSeconds(h.cpu).length));
        const rw = Math.max(...this.heavy.map((h) => opt(h.maxRss, formatBytes).length));
        const pw = Math.max(...this.heavy.map((h) => String(h.pid).length));
        for (const h of this.heavy) {
          out += `  ${formatSeconds(h.cpu).padStart(cw)}  ${opt(h.maxRss, formatBytes).padStart(rw)}  ${String(h.pid).padStart(pw)}  ${h.cmdline ?? h.program}\n`;
        }
      }
    }
    return out;
  }

  /**
   * The summary as one JSON object (`"event":"summary"`); `before` and `after` let the
   * caller put its own fields around "event" (such as "time" before and "version" after).
   */
  renderJson(wall: number, before = "", after = ""): string {
    const t = this.totals();
    const programs = this.rows().map(
      (r) =>
        `{"program":${str(r.program)},"processes":${r.processes},"failures":${r.failures},"signaled":${r.signaled}` +
        `,"cpu":${num(r.cpu, 6)},"max_rss":${num(r.maxRss)},"io_bytes":${num(r.io)},"without_usage":${r.withoutUsage}}`,
    );
    const heaviest = this.usageAvailable
      ? "[" +
        this.heavy
          .map(
            (h) =>
              `{"pid":${h.pid},"program":${str(h.program)},"cmdline":${h.cmdline === null ? "null" : str(h.cmdline)},"cpu":${num(h.cpu, 6)},"max_rss":${num(h.maxRss)}}`,
          )
          .join(",") +
        "]"
      : "null";
    return (
      `{${before}"event":"summary",${after}"wall":${num(wall, 6)},"processes":${t.processes},"failures":${t.failures}` +
      `,"cpu":${num(t.cpu, 6)},"max_rss":${num(t.maxRss)},"io_bytes":${num(t.io)},"without_usage":${t.withoutUsage}` +
      `,"usage_unavailable":${this.usageReason === null ? "null" : str(this.usageReason)}` +
      `,"programs":[${programs.join(",")}],"heaviest":${heaviest}}\n`
    );
  }
}

const str = JSON.stringify;

function num(v: number | null, digits?: number): string {
  if (v === null) return "null";
  return digits === undefined ? String(v) : String(Number(v.toFixed(digits)));
}

function opt(v: number | null, f: (v: number) => string): string {
  return v === null ? "n/a" : f(v);
}
