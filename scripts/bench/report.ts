// Summarise the runs into one row per scenario × monitor, as text, Markdown and JSON.
import type { Mode } from "./loadgen";
import type { Monitor } from "./monitors";
import type { IdleResult, RunResult } from "./run";
import { type Spread, fmt, rounded, spread } from "./stats";

export interface Row {
  mode: Mode;
  producers: number;
  n: number;
  monitor: string;
  runs: number;
  failedRuns: number;
  lost?: Spread;
  lostPct?: Spread;
  kernelDrops?: Spread;
  reportedLost?: Spread;
  /** `lost` lines that carried no count (`?`) */
  reportedLostUncounted?: Spread;
  forkNameOkPct?: Spread;
  execOkPct?: Spread;
  execUnknownPct?: Spread;
  execWrongPct?: Spread;
  cpuUsPerEvent?: Spread;
  cpuUsPerEventNull?: Spread;
  cpuUsPerPrinted?: Spread;
  /** median of this monitor's CPU per event over forkstat's, same scenario and sink */
  cpuVsForkstat?: { file?: number; null?: number };
  rssPeakMiB?: Spread;
  wallS?: Spread;
  slowdown?: Spread;
  slowdownNull?: Spread;
  idleCpuPct?: Spread;
  subscribedMs?: Spread;
  boundMs?: Spread;
  notes: string[];
}

/** idle CPU is measured in ns of run time: 0.001 % is 10 µs per second */
const IDLE_DIGITS = 3;

const pct = (part: number, whole: number): number | undefined => (whole > 0 ? (100 * part) / whole : undefined);

function sum(rec: Partial<Record<string, number>>): number {
  return Object.values(rec).reduce<number>((a, b) => a + (b ?? 0), 0);
}

function notesFor(runs: RunResult[]): string[] {
  const notes = new Set<string>();
  for (const r of runs) {
    if (r.error) notes.add(`rep ${r.rep} ${r.sink}: ${r.error}`);
    if (r.stop && r.stop.how !== "SIGINT") notes.add(`${r.sink}: stopped by ${r.stop.how}`);
    if (r.stop && r.stop.how === "SIGINT" && r.stop.exitCode !== 0 && r.stop.exitCode !== null)
      notes.add(`${r.sink}: exit code ${r.stop.exitCode} after SIGINT`);
    if (r.sink === "file" && r.probesSent !== undefined && r.probesSeen === 0) notes.add("no start-up probe seen in output");
    if (r.correctness && r.correctness.unparsed > 0)
      notes.add(`${r.correctness.unparsed} unparsed lines, e.g. ${JSON.stringify(r.correctness.unparsedSample[0])}`);
    if (r.correctness && r.correctness.reportedLostUncounted > 0)
      notes.add(`rep ${r.rep}: ${r.correctness.reportedLostUncounted} "lost" lines without a count`);
    for (const w of r.correctness?.wrongNames ?? []) notes.add(`wrong ${w.kind} name ${JSON.stringify(w.name.slice(0, 60))}`);
    // counts differ from run to run; one note per kind of message is enough
    for (const l of r.stderr ?? []) notes.add(`stderr: ${l.replace(/ \(×\d+\)$/, "").slice(0, 120)}`);
  }
  return [...notes].slice(0, 12);
}

export function summarise(runs: RunResult[], idle: IdleResult[]): Row[] {
  const rows: Row[] = [];
  const keys = new Map<string, RunResult[]>();
  for (const r of runs) {
    const k = `${r.mode}|${r.producers}|${r.monitor}`;
    keys.set(k, [...(keys.get(k) ?? []), r]);
  }
  const baseline = new Map<string, number>();
  for (const [k, rs] of keys) {
    if (!k.endsWith("|none")) continue;
    const s = spread(rs.map((r) => r.wallMs));
    if (s) baseline.set(k.slice(0, -"|none".length), s.median);
  }
  for (const rs of keys.values()) {
    const first = rs[0] as RunResult;
    const base = baseline.get(`${first.mode}|${first.producers}`);
    const file = rs.filter((r) => r.sink === "file" && !r.error);
    const nul = rs.filter((r) => r.sink === "null" && !r.error);
    const scored = file.filter((r) => r.correctness);
    const slow = (list: RunResult[]) => spread(list.map((r) => (base && r.wallMs ? r.wallMs / base : undefined)));
    const row: Row = {
      mode: first.mode,
      producers: first.producers,
      n: first.n,
      monitor: first.monitor,
      runs: rs.length,
      failedRuns: rs.filter((r) => r.error).length,
      notes: notesFor(rs),
    };
    if (first.monitor === "none") {
      row.wallS = spread(rs.map((r) => (r.wallMs ?? Number.NaN) / 1000));
      row.slowdown = slow(rs);
    } else {
      row.lost = spread(scored.map((r) => r.correctness?.lost));
      row.lostPct = spread(scored.map((r) => (r.correctness ? pct(r.correctness.lost, sum(r.correctness.created)) : undefined)));
      row.kernelDrops = spread([...file, ...nul].map((r) => r.kernelDrops));
      row.reportedLost = spread(scored.map((r) => r.correctness?.reportedLost));
      row.reportedLostUncounted = spread(scored.map((r) => r.correctness?.reportedLostUncounted));
      const names = (pick: (r: RunResult) => number | undefined) => spread(scored.map(pick));
      row.forkNameOkPct = names((r) => (r.correctness ? pct(r.correctness.forkNames.right, r.correctness.received.fork ?? 0) : undefined));
      row.execOkPct = names((r) => (r.correctness ? pct(r.correctness.execNames.right, r.correctness.received.exec ?? 0) : undefined));
      row.execUnknownPct = names((r) => (r.correctness ? pct(r.correctness.execNames.unknown, r.correctness.received.exec ?? 0) : undefined));
      row.execWrongPct = names((r) => (r.correctness ? pct(r.correctness.execNames.wrong, r.correctness.received.exec ?? 0) : undefined));
      row.cpuUsPerEvent = spread(file.map((r) => r.cpuUsPerEvent));
      row.cpuUsPerEventNull = spread(nul.map((r) => r.cpuUsPerEvent));
      row.cpuUsPerPrinted = spread(file.map((r) => r.cpuUsPerPrinted));
      row.rssPeakMiB = spread(file.map((r) => r.rssPeakMiB));
      row.wallS = spread(file.map((r) => (r.wallMs ?? Number.NaN) / 1000));
      row.slowdown = slow(file);
      row.slowdownNull = slow(nul);
      row.idleCpuPct = rounded(spread(idle.filter((i) => i.monitor === first.monitor).map((i) => i.cpuPct)), IDLE_DIGITS);
      row.subscribedMs = spread(file.map((r) => r.subscribedMs));
      row.boundMs = spread([...file, ...nul].map((r) => r.boundMs));
    }
    rows.push(row);
  }
  for (const row of rows) {
    const fs = rows.find((r) => r.monitor === "forkstat" && r.mode === row.mode && r.producers === row.producers);
    if (!fs || row.monitor === "none") continue;
    const ratio = (a?: Spread, b?: Spread) => (a && b && b.median > 0 ? a.median / b.median : undefined);
    row.cpuVsForkstat = { file: ratio(row.cpuUsPerEvent, fs.cpuUsPerEvent), null: ratio(row.cpuUsPerEventNull, fs.cpuUsPerEventNull) };
  }
  const modeOrder: Mode[] = ["fork", "exec"];
  const monitorOrder = ["none", "forkstat", "extrace", "floor", "floor-bun", "pstat", "pstat-usage"];
  return rows.sort(
    (a, b) =>
      modeOrder.indexOf(a.mode) - modeOrder.indexOf(b.mode) || b.producers - a.producers || monitorOrder.indexOf(a.monitor) - monitorOrder.indexOf(b.monitor),
  );
}

interface Column {
  title: string;
  cell: (r: Row) => string;
}

const ratioText = (x?: number) => (x === undefined ? "–" : `${x.toFixed(2)}×`);

const COLUMNS: Column[] = [
  { title: "scenario", cell: (r) => `${r.mode} ×${r.producers} (${r.n})` },
  { title: "monitor", cell: (r) => r.monitor },
  { title: "lost events", cell: (r) => fmt(r.lost, 0) },
  { title: "kernel drops", cell: (r) => fmt(r.kernelDrops, 0) },
  {
    title: "self-reported lost",
    cell: (r) => {
      const unc = r.reportedLostUncounted;
      return fmt(r.reportedLost, 0) + (unc && unc.max > 0 ? ` + ${fmt(unc, 0)} lines "?"` : "");
    },
  },
  { title: "fork name ok %", cell: (r) => fmt(r.forkNameOkPct) },
  { title: "exec ok %", cell: (r) => fmt(r.execOkPct) },
  { title: "exec <unknown> %", cell: (r) => fmt(r.execUnknownPct) },
  { title: "exec wrong %", cell: (r) => fmt(r.execWrongPct) },
  { title: "CPU µs/event file", cell: (r) => fmt(r.cpuUsPerEvent, 2) },
  { title: "CPU µs/event null", cell: (r) => fmt(r.cpuUsPerEventNull, 2) },
  { title: "CPU µs/printed line", cell: (r) => fmt(r.cpuUsPerPrinted, 2) },
  { title: "CPU vs forkstat file/null", cell: (r) => (r.cpuVsForkstat ? `${ratioText(r.cpuVsForkstat.file)} / ${ratioText(r.cpuVsForkstat.null)}` : "–") },
  { title: "peak RSS MiB", cell: (r) => fmt(r.rssPeakMiB) },
  { title: "load wall s", cell: (r) => fmt(r.wallS, 2) },
  { title: "slowdown file", cell: (r) => fmt(r.slowdown, 2) },
  { title: "slowdown null", cell: (r) => fmt(r.slowdownNull, 2) },
  { title: "idle CPU %", cell: (r) => fmt(r.idleCpuPct, IDLE_DIGITS) },
  { title: "start-up ms", cell: (r) => fmt(r.subscribedMs, 0) },
];

export function textTable(rows: Row[]): string {
  const cells = [COLUMNS.map((c) => c.title), ...rows.map((r) => COLUMNS.map((c) => c.cell(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((line) => (line[i] ?? "").length)));
  return cells
    .map((line) =>
      line
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function markdownTable(rows: Row[]): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/</g, "&lt;");
  const lines = [
    `| ${COLUMNS.map((c) => esc(c.title)).join(" | ")} |`,
    `|${COLUMNS.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${COLUMNS.map((c) => esc(c.cell(r))).join(" | ")} |`),
  ];
  return lines.join("\n");
}

/**
 * What each row of the table ran, one line per monitor. The table keeps short names;
 * this is where a reference that is not a product (the floors) says so.
 */
export function legendText(monitors: readonly Monitor[]): string {
  return monitors.map((m) => `- ${m.label ?? m.name}: \`${m.argv.join(" ")}\` (${m.version})`).join("\n");
}

export function notesText(rows: Row[]): string {
  return rows
    .filter((r) => r.notes.length > 0)
    .map((r) => `${r.monitor} ${r.mode} ×${r.producers}:\n${r.notes.map((n) => `  - ${n}`).join("\n")}`)
    .join("\n");
}
