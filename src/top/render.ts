/**
 * The `pstat top` screen as lines of text, from a snapshot, the terminal's size and what
 * the user has chosen. Pure: no terminal, no clock. Every line fits the width it is given
 * (display columns); keys in the snapshot are escaped text already.
 */
import type { Colors } from "picocolors/types";
import { compileFilter, filterRows, sortRows, WINDOW, type GroupRow, type Grouping, type RecentCommand, type Snapshot, type SortColumn } from "./model";
import { cutToWidth, displayWidth, fitWidth, padStartWidth } from "./width";

export interface Size {
  rows: number;
  cols: number;
}

export interface Detail {
  grouping: Grouping;
  key: string | null;
  /** Newest first. */
  recent: RecentCommand[];
}

export interface ViewState {
  grouping: Grouping;
  sort: SortColumn;
  paused: boolean;
  /** The filter in force ("" for none). */
  filter: string;
  /** The `/` prompt's text while it is being edited, else null. */
  prompt: string | null;
  /** Index of the selected row among the rows shown (after filter and sort). */
  selected: number;
  help: boolean;
  detail: Detail | null;
  /** A one-off line for the status bar (e.g. why a filter was refused). */
  message: string | null;
}

export function initialState(): ViewState {
  return { grouping: "parent", sort: "rate", paused: false, filter: "", prompt: null, selected: 0, help: false, detail: null, message: null };
}

export const GROUPING_TITLE: Record<Grouping, string> = {
  parent: "PARENT",
  program: "PROGRAM",
  user: "USER",
  container: "CONTAINER/UNIT",
};

export const SORT_TITLE: Record<SortColumn, string> = {
  rate: "START/s",
  avg: "AVG/s",
  execs: "EXEC/s",
  exits: "EXITS",
  failed: "FAIL",
  live: "LIVE",
  cpu: "CPU",
  mem: "MAXRSS",
  key: "KEY",
};

const SPARKS = "▁▂▃▄▅▆▇█";

/** One character per value, scaled to the largest; a blank for an unknown (null) value. */
export function sparkline(values: readonly (number | null)[]): string {
  let max = 0;
  for (const v of values) if (v !== null && v > max) max = v;
  let s = "";
  for (const v of values) {
    if (v === null) s += " ";
    else s += SPARKS[max === 0 ? 0 : Math.min(7, Math.floor((v / max) * 7.999))];
  }
  return s;
}

export function formatRate(n: number | null): string {
  if (n === null) return "-";
  if (n === 0) return "0";
  if (n < 100) return n.toFixed(1);
  if (n < 100_000) return n.toFixed(0);
  return (n / 1000).toFixed(0) + "k";
}

export function formatCount(n: number): string {
  if (n < 100_000) return String(n);
  if (n < 100_000_000) return (n / 1000).toFixed(0) + "k";
  return (n / 1e6).toFixed(0) + "M";
}

export function formatBytes(n: number): string {
  const units = "BKMGTP";
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return (u > 0 && v < 10 ? v.toFixed(1) : v.toFixed(0)) + units[u];
}

export function formatCpu(s: number): string {
  if (s < 10) return s.toFixed(2) + "s";
  if (s < 1000) return s.toFixed(1) + "s";
  return s.toFixed(0) + "s";
}

interface Column {
  id: SortColumn;
  width: number;
  /** Lower keeps the column longer on a narrow terminal. */
  priority: number;
  cell(r: GroupRow, usage: boolean): string;
}

const UNAVAILABLE = "n/a";

/** The figure columns, in screen order; the key column follows them and takes the rest. */
const COLUMNS: readonly Column[] = [
  { id: "rate", width: 8, priority: 0, cell: (r) => formatRate(r.rate) },
  { id: "avg", width: 7, priority: 5, cell: (r) => formatRate(r.avg) },
  { id: "execs", width: 7, priority: 2, cell: (r) => formatRate(r.execRate) },
  { id: "exits", width: 6, priority: 3, cell: (r) => formatCount(r.exits) },
  { id: "failed", width: 5, priority: 4, cell: (r) => formatCount(r.failed) },
  { id: "live", width: 5, priority: 1, cell: (r) => formatCount(r.live) },
  { id: "cpu", width: 7, priority: 6, cell: (r, u) => (!u ? UNAVAILABLE : r.cpu === null ? "-" : formatCpu(r.cpu)) },
  { id: "mem", width: 7, priority: 7, cell: (r, u) => (!u ? UNAVAILABLE : r.maxRss === null ? "-" : formatBytes(r.maxRss)) },
];

/** Narrowest key column before figure columns are dropped. */
const MIN_KEY = 16;
/** The selection marker column. */
const MARK = 2;

function columnsFor(cols: number, sort: SortColumn): Column[] {
  const byPriority = [...COLUMNS].sort((a, b) => a.priority - b.priority);
  const keep = new Set<Column>();
  let used = MARK;
  for (const c of byPriority) {
    if (c.id === sort || used + c.width + 1 + MIN_KEY <= cols) {
      keep.add(c);
      used += c.width + 1;
    }
  }
  return COLUMNS.filter((c) => keep.has(c));
}

/** The last filter compiled, so that a redraw does not compile it again. */
let filterCache: { text: string; re: RegExp | null } = { text: "", re: null };

/** The rows shown for the current grouping: filtered (an invalid filter hides nothing), then sorted. */
export function visibleRows(snap: Snapshot, state: Pick<ViewState, "grouping" | "sort" | "filter">): GroupRow[] {
  if (filterCache.text !== state.filter) {
    const re = compileFilter(state.filter);
    filterCache = { text: state.filter, re: re instanceof Error ? null : re };
  }
  return sortRows(filterRows(snap.rows[state.grouping] ?? [], filterCache.re), state.sort);
}

function headingTitle(id: SortColumn, grouping: Grouping): string {
  return id === "key" ? GROUPING_TITLE[grouping] : SORT_TITLE[id];
}

function headings(columns: readonly Column[], state: ViewState, c: Colors): string {
  let s = " ".repeat(MARK);
  for (const col of columns) {
    const t = headingTitle(col.id, state.grouping) + (col.id === state.sort ? "▼" : "");
    const cell = padStartWidth(t, col.width);
    s += (col.id === state.sort ? c.underline(cell) : cell) + " ";
  }
  const key = GROUPING_TITLE[state.grouping] + (state.sort === "key" ? "▲" : "");
  return s + (state.sort === "key" ? c.underline(key) : key);
}

function rowLine(r: GroupRow, columns: readonly Column[], usage: boolean, selected: boolean, cols: number, c: Colors): string {
  let s = selected ? "> " : "  ";
  for (const col of columns) {
    const cell = padStartWidth(col.cell(r, usage), col.width);
    s += (col.id === "failed" && r.failed > 0 ? c.red(cell) : cell) + " ";
  }
  s += r.key === null ? c.dim("(none)") : r.key;
  return selected && Number.isFinite(cols) ? c.inverse(fitWidth(s, cols)) : s;
}

function totalsLine(snap: Snapshot | null, cols: number, c: Colors): string {
  if (snap === null) return cutToWidth(c.bold("pstat top") + "  waiting for the first interval...", cols);
  const t = snap.totals;
  const lost = t.lost > 0 || t.lostUnknown ? c.red(`lost ${t.lost}${t.lostUnknown ? "+" : ""}`) : `lost 0`;
  const head =
    `${c.bold("pstat top")}  ${formatRate(t.rate)} procs/s  ${formatRate(t.execRate)} execs/s  ` +
    `${formatRate(t.eventRate)} events/s  ${lost}  live ${t.live}`;
  const room = cols - displayWidth(head) - 2;
  if (room < 10) return cutToWidth(head, cols);
  const history = snap.history.slice(-Math.min(room, WINDOW));
  return head + "  " + c.cyan(sparkline(history));
}

function modeLine(snap: Snapshot | null, state: ViewState, c: Colors): string {
  let s = `by ${state.grouping}  sort ${headingTitle(state.sort, state.grouping)}`;
  if (state.filter !== "") s += `  filter /${state.filter}/`;
  if (snap !== null) s += `  every ${snap.interval.toFixed(1)}s`;
  if (snap !== null && !snap.usageAvailable) s += "  CPU/MAXRSS unavailable";
  if (state.paused) s += "  " + c.yellow(c.bold("PAUSED"));
  return s;
}

const HINTS = "q quit  s sort  g group  p pause  / filter  Enter detail  ? help";

function statusLine(state: ViewState, c: Colors): string {
  if (state.prompt !== null) return "/" + state.prompt + c.inverse(" ") + (state.message !== null ? "  " + c.red(state.message) : "");
  if (state.message !== null) return c.yellow(state.message);
  if (state.help) return "any key: back";
  if (state.detail !== null) return "Esc or Enter: back  q quit";
  return c.dim(HINTS);
}

export const HELP_LINES: readonly string[] = [
  "Keys",
  "  q, Ctrl-C      quit",
  "  s, S           next, previous sort column (marked with ▼ in the headings)",
  "  g, G           next, previous grouping: parent, program, user, container/unit",
  "  p, space       pause or resume the display (counting goes on)",
  "  /              filter the groups by a regular expression on their key;",
  "                 Enter applies, Esc cancels, an empty filter shows all",
  "  Enter          the recent command lines of the selected group",
  "  ↑ ↓ j k        move the selection; PgUp PgDn Home End",
  "  Ctrl-L         redraw",
  "  ?, h           this help",
  "",
  "Columns (per interval unless said)",
  "  START/s        processes started (forks) per second",
  "  AVG/s          processes started per second over the last minute",
  "  EXEC/s         programs run (execs) per second",
  "  EXITS, FAIL    processes that ended; of them, with a non-zero status or a signal",
  "  LIVE           processes started since pstat began that are still running",
  "  CPU, MAXRSS    CPU time and largest peak memory of the group's processes that",
  "                 ended (task accounting, needs root); n/a when unavailable",
];

/** The whole screen: at most `size.rows` lines, each at most `size.cols` columns wide. */
export function renderScreen(snap: Snapshot | null, size: Size, state: ViewState, c: Colors): string[] {
  const { rows, cols } = size;
  if (rows <= 0 || cols <= 0) return [];
  const lines: string[] = [totalsLine(snap, cols, c), modeLine(snap, state, c)];
  const bodyRows = rows - lines.length - 1;
  if (state.help) lines.push(...HELP_LINES.slice(0, Math.max(bodyRows, 0)));
  else if (state.detail !== null) lines.push(...detailLines(snap, state.detail, Math.max(bodyRows, 0), c));
  else if (snap !== null && bodyRows > 0) {
    const usage = snap.usageAvailable;
    const columns = columnsFor(cols, state.sort);
    lines.push(c.bold(headings(columns, state, c)));
    const all = visibleRows(snap, state);
    const room = bodyRows - 1;
    const selected = Math.min(state.selected, all.length - 1);
    const first = Math.max(0, selected - room + 1);
    for (let i = first; i < all.length && i < first + room; i++) lines.push(rowLine(all[i]!, columns, usage, i === selected, cols, c));
  }
  // The status line sits on the bottom row.
  lines.length = Math.min(lines.length, rows - 1);
  while (lines.length < rows - 1) lines.push("");
  lines.push(statusLine(state, c));
  return lines.map((l) => cutToWidth(l, cols));
}

function detailLines(snap: Snapshot | null, d: Detail, room: number, c: Colors): string[] {
  const title = `Recent commands, ${d.grouping} ${d.key === null ? "(none)" : d.key}`;
  const out = [c.bold(title), c.bold("     AGE      PID  COMMAND")];
  if (d.recent.length === 0) out.push("  (no exec seen in this group)");
  for (const r of d.recent) {
    const age = snap === null ? "" : (Math.max(snap.ts - r.ts, 0) / 1000).toFixed(1) + "s";
    out.push(`${age.padStart(8)} ${String(r.pid).padStart(8)}  ${r.cmdline}`);
  }
  return out.slice(0, room);
}

export interface BatchOptions {
  grouping: Grouping;
  sort: SortColumn;
  filter: string;
  /** Cut lines to this many columns (none when absent, like `top -b` into a file). */
  cols?: number;
  /** Rows to print at most. */
  limit?: number;
}

/** One plain-text snapshot for `pstat top -b`: a totals line, the headings, the rows, a blank line. */
export function renderBatchText(snap: Snapshot, opts: BatchOptions, c: Colors): string {
  const t = snap.totals;
  const state = { grouping: opts.grouping, sort: opts.sort, filter: opts.filter };
  const lines = [
    `pstat top: ${formatRate(t.rate)} procs/s, ${formatRate(t.execRate)} execs/s, ${t.exits} exits, ${t.failed} failed, ` +
      `${formatRate(t.eventRate)} events/s, ${t.lost}${t.lostUnknown ? "+" : ""} lost, ${t.live} live; ` +
      `interval ${snap.interval.toFixed(1)}s, by ${opts.grouping}` +
      (opts.filter !== "" ? `, filter /${opts.filter}/` : "") +
      (snap.usageAvailable ? "" : ", CPU/MAXRSS unavailable"),
  ];
  const view: ViewState = { ...initialState(), ...state };
  lines.push(c.bold(headings(COLUMNS, view, c)));
  let rows = visibleRows(snap, state);
  if (opts.limit !== undefined) rows = rows.slice(0, opts.limit);
  for (const r of rows) lines.push(rowLine(r, COLUMNS, snap.usageAvailable, false, Infinity, c));
  const cols = opts.cols;
  return (cols === undefined ? lines : lines.map((l) => cutToWidth(l, cols))).join("\n") + "\n\n";
}

/** One JSON object (one line) per snapshot for `pstat top -b --json`. */
export function renderBatchJson(snap: Snapshot, opts: BatchOptions & { time?: string | null }): string {
  const t = snap.totals;
  let rows = visibleRows(snap, opts);
  if (opts.limit !== undefined) rows = rows.slice(0, opts.limit);
  const obj = {
    event: "top",
    time: opts.time ?? null,
    interval: round(snap.interval, 3),
    grouping: opts.grouping,
    sort: opts.sort,
    filter: opts.filter === "" ? null : opts.filter,
    usage_available: snap.usageAvailable,
    totals: {
      started: t.started,
      procs_per_sec: round(t.rate, 2),
      execs: t.execs,
      execs_per_sec: round(t.execRate, 2),
      exits: t.exits,
      failed: t.failed,
      events: t.events,
      events_per_sec: round(t.eventRate, 2),
      lost: t.lost,
      lost_unknown: t.lostUnknown,
      lost_total: t.lostTotal,
      live: t.live,
    },
    history: snap.history,
    groups: rows.map((r) => ({
      key: r.key,
      started: r.started,
      procs_per_sec: round(r.rate, 2),
      avg_procs_per_sec: r.avg === null ? null : round(r.avg, 2),
      execs: r.execs,
      execs_per_sec: round(r.execRate, 2),
      exits: r.exits,
      failed: r.failed,
      live: r.live,
      cpu_seconds: r.cpu === null ? null : round(r.cpu, 6),
      max_rss: r.maxRss,
      usage_missing: r.usageMissing,
    })),
  };
  return JSON.stringify(obj) + "\n";
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
