import { LINE_KINDS, STAT_KINDS, type StatKind } from "../events/kinds";

/** Per-process event counts for -S, the lost-event count and malformed messages. */
const INDEX = Object.fromEntries(STAT_KINDS.map((k, i) => [k, i])) as Record<StatKind, number>;

export interface StatRow {
  process: string;
  counts: Record<StatKind, number>;
  total: number;
}

export class Statistics {
  private readonly byName = new Map<string, Uint32Array>();
  lost = 0;
  /** True when some loss could not be counted exactly (kernel-side filtering hides the gaps). */
  lostUncounted = false;
  /** Messages from the kernel that were not well-formed proc events (skipped). */
  malformed = 0;

  count(kind: StatKind, process: string): void {
    let c = this.byName.get(process);
    if (c === undefined) this.byName.set(process, (c = new Uint32Array(STAT_KINDS.length + 1)));
    c[INDEX[kind]]!++;
    c[STAT_KINDS.length]!++;
  }

  /** Rows sorted by total, most active first (then by name, for a stable order). */
  rows(): StatRow[] {
    const rows: StatRow[] = [];
    for (const [process, c] of this.byName) {
      const counts = {} as Record<StatKind, number>;
      STAT_KINDS.forEach((k, i) => (counts[k] = c[i]!));
      rows.push({ process, counts, total: c[STAT_KINDS.length]! });
    }
    return rows.sort((a, b) => b.total - a.total || (a.process < b.process ? -1 : a.process > b.process ? 1 : 0));
  }

  /** The table as text, forkstat-style. */
  render(): string {
    const rows = this.rows();
    const head = [...STAT_KINDS.map((k) => LINE_KINDS[k].stat), "Total"];
    const w = head.map((h) => Math.max(h.length, 6));
    const totals = new Array<number>(STAT_KINDS.length + 1).fill(0);
    let out = head.map((h, i) => h.padStart(w[i]!)).join(" ") + " Process\n";
    for (const r of rows) {
      const vals = [...STAT_KINDS.map((k) => r.counts[k]), r.total];
      vals.forEach((v, i) => (totals[i]! += v));
      out += vals.map((v, i) => String(v).padStart(w[i]!)).join(" ") + " " + r.process + "\n";
    }
    out += totals.map((v, i) => String(v).padStart(w[i]!)).join(" ") + " (total)\n";
    out += `Lost events: ${this.lost}${this.lostUncounted ? " (at least; some losses could not be counted)" : ""}\n`;
    if (this.malformed > 0) out += `Malformed messages skipped: ${this.malformed}\n`;
    return out;
  }
}
