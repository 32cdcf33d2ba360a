// Summarise the runs into one row per scenario × monitor, as text, Markdown and JSON.
import type { Mode } from "./loadgen";
import type { LowRateResult } from "./lowrate";
import type { Monitor } from "./monitors";
import { ALL_MONITORS, LOW_RATE_NAMES, type LowRateName, type LowRateOptions } from "./options";
import type { IdleResult, RunResult } from "./run";
import type { Correctness } from "./score";
import { type Spread, fmt, rounded, spread } from "./stats";

/** Loss and names over the scored runs of one row, whatever the scenario. */
export interface CorrectnessSpreads {
  lost?: Spread;
  lostPct?: Spread;
  reportedLost?: Spread;
  /** `lost` lines that carried no count (`?`) */
  reportedLostUncounted?: Spread;
  forkNameOkPct?: Spread;
  execOkPct?: Spread;
  execUnknownPct?: Spread;
  execWrongPct?: Spread;
}

export interface Row extends CorrectnessSpreads {
  mode: Mode;
  producers: number;
  n: number;
  monitor: string;
  runs: number;
  failedRuns: number;
  kernelDrops?: Spread;
  cpuUsPerEvent?: Spread;
  cpuUsPerEventNull?: Spread;
  cpuUsPerPrinted?: Spread;
  /** median of this monitor's CPU per event over forkstat's, same scenario and sink */
  cpuVsForkstat?: { file?: number; null?: number };
  /** pstat with an option (pstat-usage): median CPU per event over plain pstat's, same scenario and sink */
  cpuVsPstat?: { file?: number; null?: number };
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

function correctnessSpreads(scored: readonly { correctness?: Correctness }[]): CorrectnessSpreads {
  const of = (pick: (c: Correctness) => number | undefined) => spread(scored.map((r) => (r.correctness ? pick(r.correctness) : undefined)));
  return {
    lost: of((c) => c.lost),
    lostPct: of((c) => pct(c.lost, sum(c.created))),
    reportedLost: of((c) => c.reportedLost),
    reportedLostUncounted: of((c) => c.reportedLostUncounted),
    forkNameOkPct: of((c) => pct(c.forkNames.right, c.received.fork ?? 0)),
    execOkPct: of((c) => pct(c.execNames.right, c.received.exec ?? 0)),
    execUnknownPct: of((c) => pct(c.execNames.unknown, c.received.exec ?? 0)),
    execWrongPct: of((c) => pct(c.execNames.wrong, c.received.exec ?? 0)),
  };
}

/** What notesFor reads of a storm run or of one monitor's part in a low-rate run. */
type Noted = Pick<RunResult, "rep" | "error" | "stop" | "probesSent" | "probesSeen" | "correctness" | "stderr"> & { sink?: RunResult["sink"] };

function notesFor(runs: readonly Noted[]): string[] {
  const notes = new Set<string>();
  for (const r of runs) {
    const where = r.sink ?? "file";
    if (r.error) notes.add(`rep ${r.rep} ${where}: ${r.error}`);
    if (r.stop && r.stop.how !== "SIGINT") notes.add(`${where}: stopped by ${r.stop.how}`);
    if (r.stop && r.stop.how === "SIGINT" && r.stop.exitCode !== 0 && r.stop.exitCode !== null)
      notes.add(`${where}: exit code ${r.stop.exitCode} after SIGINT`);
    if (where === "file" && r.probesSent !== undefined && r.probesSeen === 0) notes.add("no start-up probe seen in output");
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
      Object.assign(row, correctnessSpreads(scored));
      row.kernelDrops = spread([...file, ...nul].map((r) => r.kernelDrops));
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
  const ratio = (a?: Spread, b?: Spread) => (a && b && b.median > 0 ? a.median / b.median : undefined);
  const vs = (row: Row, base: Row) => ({ file: ratio(row.cpuUsPerEvent, base.cpuUsPerEvent), null: ratio(row.cpuUsPerEventNull, base.cpuUsPerEventNull) });
  for (const row of rows) {
    if (row.monitor === "none") continue;
    const same = (name: string) => rows.find((r) => r.monitor === name && r.mode === row.mode && r.producers === row.producers);
    const fs = same("forkstat");
    if (fs) row.cpuVsForkstat = vs(row, fs);
    const plain = row.monitor.startsWith("pstat-") ? same("pstat") : undefined;
    if (plain) row.cpuVsPstat = vs(row, plain);
  }
  const modeOrder: Mode[] = ["fork", "exec"];
  return rows.sort(
    (a, b) =>
      modeOrder.indexOf(a.mode) - modeOrder.indexOf(b.mode) || b.producers - a.producers || MONITOR_ORDER.indexOf(a.monitor) - MONITOR_ORDER.indexOf(b.monitor),
  );
}

interface Column<R> {
  title: string;
  cell: (r: R) => string;
}

const ratioText = (x?: number) => (x === undefined ? "–" : `${x.toFixed(2)}×`);

/** The loss and name columns, the same for every scenario. */
const CORRECTNESS_COLUMNS: Column<CorrectnessSpreads & { kernelDrops?: Spread }>[] = [
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
];

const COLUMNS: Column<Row>[] = [
  { title: "scenario", cell: (r) => `${r.mode} ×${r.producers} (${r.n})` },
  { title: "monitor", cell: (r) => r.monitor },
  ...CORRECTNESS_COLUMNS,
  { title: "CPU µs/event file", cell: (r) => fmt(r.cpuUsPerEvent, 2) },
  { title: "CPU µs/event null", cell: (r) => fmt(r.cpuUsPerEventNull, 2) },
  { title: "CPU µs/printed line", cell: (r) => fmt(r.cpuUsPerPrinted, 2) },
  { title: "CPU vs forkstat file/null", cell: (r) => (r.cpuVsForkstat ? `${ratioText(r.cpuVsForkstat.file)} / ${ratioText(r.cpuVsForkstat.null)}` : "–") },
  { title: "CPU vs pstat file/null", cell: (r) => (r.cpuVsPstat ? `${ratioText(r.cpuVsPstat.file)} / ${ratioText(r.cpuVsPstat.null)}` : "–") },
  { title: "peak RSS MiB", cell: (r) => fmt(r.rssPeakMiB) },
  { title: "load wall s", cell: (r) => fmt(r.wallS, 2) },
  { title: "slowdown file", cell: (r) => fmt(r.slowdown, 2) },
  { title: "slowdown null", cell: (r) => fmt(r.slowdownNull, 2) },
  { title: "idle CPU %", cell: (r) => fmt(r.idleCpuPct, IDLE_DIGITS) },
  { title: "start-up ms", cell: (r) => fmt(r.subscribedMs, 0) },
];

function renderText<R>(columns: readonly Column<R>[], rows: readonly R[]): string {
  const cells = [columns.map((c) => c.title), ...rows.map((r) => columns.map((c) => c.cell(r)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => (line[i] ?? "").length)));
  return cells
    .map((line) =>
      line
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function renderMarkdown<R>(columns: readonly Column<R>[], rows: readonly R[]): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/</g, "&lt;");
  const lines = [
    `| ${columns.map((c) => esc(c.title)).join(" | ")} |`,
    `|${columns.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${columns.map((c) => esc(c.cell(r))).join(" | ")} |`),
  ];
  return lines.join("\n");
}

export const textTable = (rows: readonly Row[]): string => renderText(COLUMNS, rows);
export const markdownTable = (rows: readonly Row[]): string => renderMarkdown(COLUMNS, rows);

/** One low-rate scenario × monitor, over the repetitions. */
export interface LowRateRow extends CorrectnessSpreads {
  scenario: LowRateName;
  monitor: string;
  runs: number;
  failedRuns: number;
  processes?: Spread;
  kernelDrops?: Spread;
  cpuMs?: Spread;
  nsPerProcess?: Spread;
  nsPerEvent?: Spread;
  /** this monitor's CPU over forkstat's in the same window, one ratio per repetition */
  vsForkstat?: Spread;
  /** this monitor's CPU over pstat's in the same window (usage-cost), one ratio per repetition */
  vsPstat?: Spread;
  /** share of cpuNs that threads which ended within the window used */
  endedThreadsPct?: Spread;
  threadsAtEnd?: Spread;
  otherForks?: Spread;
  rssPeakMiB?: Spread;
  notes: string[];
}

/**
 * Repetitions in which the rest of the machine started more processes than the load:
 * every monitor paid for those too, so that repetition measures the machine as much as
 * the load (the ratio to forkstat still compares like with like).
 */
function noisyWindows(rs: readonly LowRateResult[]): string[] {
  return rs
    .filter((r) => r.otherForks !== undefined && r.processes !== undefined && r.otherForks > r.processes)
    .map(
      (r) =>
        `rep ${r.rep}: the rest of the machine started ${r.otherForks} processes and threads in the window, ${((r.otherForks ?? 0) / (r.processes ?? 1)).toFixed(1)}× the load's`,
    );
}

const MONITOR_ORDER: readonly string[] = ["none", ...ALL_MONITORS];

export function summariseLowRate(results: readonly LowRateResult[]): LowRateRow[] {
  const groups = new Map<string, LowRateResult[]>();
  for (const r of results) {
    const k = `${r.scenario}|${r.monitor}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const rows: LowRateRow[] = [];
  for (const rs of groups.values()) {
    const first = rs[0] as LowRateResult;
    const ok = rs.filter((r) => !r.error);
    const of = (pick: (r: LowRateResult) => number | undefined) => spread(ok.map(pick));
    rows.push({
      scenario: first.scenario,
      monitor: first.monitor,
      runs: rs.length,
      failedRuns: rs.length - ok.length,
      ...correctnessSpreads(ok),
      processes: of((r) => r.processes),
      kernelDrops: of((r) => r.kernelDrops),
      cpuMs: of((r) => (r.cpuNs === undefined ? undefined : r.cpuNs / 1e6)),
      nsPerProcess: of((r) => r.nsPerProcess),
      nsPerEvent: of((r) => r.nsPerEvent),
      vsForkstat: of((r) => r.vsForkstat),
      vsPstat: of((r) => r.vsPstat),
      endedThreadsPct: of((r) => (r.cpuNs && r.endedThreadsNs !== undefined ? pct(r.endedThreadsNs, r.cpuNs) : undefined)),
      threadsAtEnd: of((r) => r.threadsAtEnd),
      otherForks: of((r) => r.otherForks),
      rssPeakMiB: of((r) => r.rssPeakMiB),
      notes: [...notesFor(rs), ...noisyWindows(rs)],
    });
  }
  return rows.sort(
    (a, b) => LOW_RATE_NAMES.indexOf(a.scenario) - LOW_RATE_NAMES.indexOf(b.scenario) || MONITOR_ORDER.indexOf(a.monitor) - MONITOR_ORDER.indexOf(b.monitor),
  );
}

const LOW_RATE_COLUMNS: Column<LowRateRow>[] = [
  { title: "scenario", cell: (r) => r.scenario },
  { title: "monitor", cell: (r) => r.monitor },
  { title: "processes", cell: (r) => fmt(r.processes, 0) },
  ...CORRECTNESS_COLUMNS,
  { title: "CPU ms", cell: (r) => fmt(r.cpuMs, 1) },
  { title: "CPU ns/process", cell: (r) => fmt(r.nsPerProcess, 0) },
  { title: "CPU ns/event", cell: (r) => fmt(r.nsPerEvent, 0) },
  { title: "CPU vs forkstat", cell: (r) => (r.vsForkstat ? `${fmt(r.vsForkstat, 2)}×` : "–") },
  { title: "CPU vs pstat", cell: (r) => (r.vsPstat ? `${fmt(r.vsPstat, 2)}×` : "–") },
  { title: "ended threads CPU %", cell: (r) => fmt(r.endedThreadsPct) },
  { title: "threads", cell: (r) => fmt(r.threadsAtEnd, 0) },
  { title: "peak RSS MiB", cell: (r) => fmt(r.rssPeakMiB) },
  { title: "other forks", cell: (r) => fmt(r.otherForks, 0) },
];

export const lowRateTextTable = (rows: readonly LowRateRow[]): string => renderText(LOW_RATE_COLUMNS, rows);
export const lowRateMarkdownTable = (rows: readonly LowRateRow[]): string => renderMarkdown(LOW_RATE_COLUMNS, rows);

/**
 * What the rest of the machine started in each idle window: a monitor pays for every
 * process, most when it comes alone, so the idle column reads against this.
 */
export function idleWindowsText(idle: readonly IdleResult[]): string {
  const byRep = new Map<number, number>();
  for (const r of idle) if (r.otherForks !== undefined) byRep.set(r.rep, r.otherForks);
  if (byRep.size === 0) return "";
  const list = [...byRep].sort((a, b) => a[0] - b[0]).map(([rep, n]) => `rep ${rep}: ${n}`);
  return `idle windows: processes and threads the rest of the machine started in each (${list.join(", ")})`;
}

/**
 * What each row of the table ran, one line per monitor. The table keeps short names;
 * this is where a reference that is not a product (the floors) says so.
 */
export function legendText(monitors: readonly Monitor[]): string {
  return monitors.map((m) => `- ${m.label ?? m.name}: \`${m.argv.join(" ")}\` (${m.version})`).join("\n");
}

export function notesText(rows: readonly (Row | LowRateRow)[]): string {
  return rows
    .filter((r) => r.notes.length > 0)
    .map((r) => `${r.monitor} ${"scenario" in r ? r.scenario : `${r.mode} ×${r.producers}`}:\n${r.notes.map((n) => `  - ${n}`).join("\n")}`)
    .join("\n");
}

/** What the low-rate table's columns mean, printed under it. */
export function lowRateLegend(o: LowRateOptions): string {
  return [
    `- trickle: ${o.trickleRate} execs of /bin/true a second for ${o.trickleSeconds} s, after ${o.warmupSeconds} s of the same trickle; every monitor at once on the same load.`,
    `- bursts: ${o.bursts} bursts of ${o.burstN} execs from ${o.burstProducers} producers, one every ${o.burstGapSeconds} s, over a trickle of ${o.trickleRate} a second, after the same warm-up.`,
    `- usage-cost: pstat and pstat --usage at once on one fork storm of ${o.pairedN} from ${o.pairedProducers} producers, after the warm-up and ${unmeasured(o.pairedWarmups)} of the same size; CPU vs pstat is --usage's cost, one ratio per repetition.`,
    `- exec-pair: forkstat and pstat at once on one exec storm of ${o.pairedExecN} from ${o.pairedProducers} producers, after the warm-up and ${unmeasured(o.pairedWarmups)} of the same size; CPU vs forkstat, one ratio per repetition; the floors listed in --monitors each beside forkstat the same way, one pair at a time (forkstat's row covers every pair).`,
    "- CPU: every thread of the monitor, ended ones included (its POSIX CPU clock, in ns), from the start of the measured load until it has drained; per process and per event (fork + exec + exit) of the load.",
    "- CPU vs forkstat: the monitor's CPU over forkstat's in the same window, one ratio per repetition. ended threads CPU %: the share of threads that ended within the window (the runtime's helper threads come and go). threads: how many it had at the end.",
    "- other forks: processes and threads the rest of the machine started in the window; every monitor saw and paid for them.",
  ].join("\n");
}

function unmeasured(k: number): string {
  return k === 0 ? "no unmeasured storm" : k === 1 ? "an unmeasured storm" : `${k} unmeasured storms`;
}
