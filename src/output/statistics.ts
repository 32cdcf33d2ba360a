import { LINE_KINDS, STAT_KINDS, type StatKind } from "../events/kinds";
import type { Usage } from "../usage/record";
import { cpuOf, formatBytes, formatSeconds } from "../usage/units";

/** Per-process event counts for -S, the lost-event count and malformed messages. */
const INDEX = Object.fromEntries(STAT_KINDS.map((k, i) => [k, i])) as Record<StatKind, number>;
/** Each name's entry: a count per kind, the total, then (--usage) CPU seconds and peak RSS, NaN until a process of that name brings figures. */
const TOTAL = STAT_KINDS.length;
const CPU = TOTAL + 1;
const RSS = TOTAL + 2;
const ENTRY = TOTAL + 3;

export interface StatRow {
  process: string;
  counts: Record<StatKind, number>;
  total: number;
  /** --usage: the processes' CPU seconds added up, and the largest peak RSS; null when none had figures. */
  cpu: number | null;
  maxRss: number | null;
}

export class Statistics {
  private readonly byName = new Map<string, Float64Array>();
  lost = 0;
  /** True when some loss could not be counted exactly (kernel-side filtering hides the gaps). */
  lostUncounted = false;
  /** Messages from the kernel that were not well-formed proc events (skipped). */
  malformed = 0;
  /** --usage: CPU and peak-RSS columns. */
  usage = false;
  /** --usage or --summary: the taskstats records are counted (set with the reason when they could not be had). */
  records = false;
  usageUnavailable: string | null = null;
  /** Exit lines that went on without figures: their record never came (or came too late). */
  usageMissing = 0;
  /** Times the taskstats socket overflowed (the kernel does not say how many records it dropped). */
  usageOverflows = 0;
  /** Taskstats messages cut short or not decodable. */
  usageMalformed = 0;

  /** Counts one line; `usage`: a process's exit with its figures (for --usage's columns). */
  count(kind: StatKind, process: string, usage: Usage | null = null): void {
    let c = this.byName.get(process);
    if (c === undefined) {
      this.byName.set(process, (c = new Float64Array(ENTRY)));
      c[CPU] = c[RSS] = Number.NaN;
    }
    c[INDEX[kind]]!++;
    c[TOTAL]!++;
    if (usage !== null && this.usage) this.addFigures(c, usage);
  }

  private addFigures(c: Float64Array, u: Usage): void {
    const cpu = cpuOf(u);
    if (cpu !== null) c[CPU] = Number.isNaN(c[CPU]!) ? cpu : c[CPU]! + cpu;
    if (u.maxRss !== null) c[RSS] = Number.isNaN(c[RSS]!) ? u.maxRss : Math.max(c[RSS]!, u.maxRss);
  }

  /** Rows sorted by total, most active first (then by name, for a stable order). */
  rows(): StatRow[] {
    const rows: StatRow[] = [];
    for (const [process, c] of this.byName) {
      const counts = {} as Record<StatKind, number>;
      STAT_KINDS.forEach((k, i) => (counts[k] = c[i]!));
      const known = (v: number) => (Number.isNaN(v) ? null : v);
      rows.push({ process, counts, total: c[TOTAL]!, cpu: known(c[CPU]!), maxRss: known(c[RSS]!) });
    }
    return rows.sort((a, b) => b.total - a.total || (a.process < b.process ? -1 : a.process > b.process ? 1 : 0));
  }

  /** The table as text, forkstat-style; with --usage, CPU and MaxRSS columns after Total. */
  render(): string {
    const rows = this.rows();
    const figures = this.usage ? ["CPU", "MaxRSS"] : [];
    const head = [...STAT_KINDS.map((k) => LINE_KINDS[k].stat), "Total", ...figures];
    const w = head.map((h) => Math.max(h.length, 6));
    const counted = STAT_KINDS.length + 1;
    const totals = new Array<number>(counted).fill(0);
    let cpuTotal: number | null = null;
    let rssMax: number | null = null;
    const cells = (vals: number[], cpu: number | null, rss: number | null) => {
      const out = vals.map((v, i) => String(v).padStart(w[i]!));
      if (this.usage) out.push(opt(cpu, formatSeconds).padStart(w[counted]!), opt(rss, formatBytes).padStart(w[counted + 1]!));
      return out.join(" ");
    };
    let out = head.map((h, i) => h.padStart(w[i]!)).join(" ") + " Process\n";
    for (const r of rows) {
      const vals = [...STAT_KINDS.map((k) => r.counts[k]), r.total];
      vals.forEach((v, i) => (totals[i]! += v));
      if (r.cpu !== null) cpuTotal = (cpuTotal ?? 0) + r.cpu;
      if (r.maxRss !== null) rssMax = Math.max(rssMax ?? 0, r.maxRss);
      out += cells(vals, r.cpu, r.maxRss) + " " + r.process + "\n";
    }
    out += cells(totals, cpuTotal, rssMax) + " (total)\n";
    out += `Lost events: ${this.lost}${this.lostUncounted ? " (at least; some losses could not be counted)" : ""}\n`;
    if (this.malformed > 0) out += `Malformed messages skipped: ${this.malformed}\n`;
    if (this.records) out += this.recordsText();
    return out;
  }

  /**
   * JSON fields of a row with --usage (`,"cpu":…,"max_rss":…`), else "". The usage figures'
   * JSON is written beside their text, as the exit's usage object and the summary are
   * written by src/usage (docs/usage.md lists the fields).
   */
  rowUsageJson(row: StatRow): string {
    if (!this.usage) return "";
    return `,"cpu":${row.cpu === null ? "null" : Number(row.cpu.toFixed(6))},"max_rss":${row.maxRss ?? "null"}`;
  }

  /** JSON fields counting the taskstats records (with --usage or --summary), else "". */
  recordsJson(): string {
    if (!this.records) return "";
    return (
      `,"usage_missing":${this.usageMissing},"usage_overflows":${this.usageOverflows},"usage_malformed":${this.usageMalformed}` +
      `,"usage_unavailable":${this.usageUnavailable === null ? "null" : JSON.stringify(this.usageUnavailable)}`
    );
  }

  private recordsText(): string {
    // The reason was said when pstat started (JSON statistics carry it).
    if (this.usageUnavailable !== null) return "Usage figures unavailable (no taskstats records)\n";
    let out = `Exits without usage figures: ${this.usageMissing}\n`;
    if (this.usageOverflows > 0)
      out += `Usage records lost: the taskstats socket overflowed ${this.usageOverflows} time${this.usageOverflows === 1 ? "" : "s"}\n`;
    if (this.usageMalformed > 0) out += `Malformed usage records skipped: ${this.usageMalformed}\n`;
    return out;
  }
}

function opt(v: number | null, f: (v: number) => string): string {
  return v === null ? "n/a" : f(v);
}
