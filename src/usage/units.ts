/**
 * CPU seconds and byte counts as people read them at a glance (0.31s, 5m12s, 104M,
 * 3.2K), as strings for the tables and written straight into the output buffer for the
 * exit line, which allocates nothing per line. Both come from the same split of a figure
 * into parts, so they cannot disagree.
 */
import type { Writer } from "../output/writer";
import type { Usage } from "./record";

const DOT = 0x2e;
const CH_S = 0x73;
const CH_M = 0x6d;
const CH_H = 0x68;
const CH_B = 0x42;
/** K, M, G, T, P */
const UNITS = [0x4b, 0x4d, 0x47, 0x54, 0x50];

/** A figure split for printing: `int`; then `sep` and `frac` (`fracDigits` wide) when sep is not 0; then `unit` when not 0. */
interface Parts {
  int: number;
  sep: number;
  frac: number;
  fracDigits: number;
  unit: number;
}

const parts: Parts = { int: 0, sep: 0, frac: 0, fracDigits: 0, unit: 0 };

function set(int: number, sep: number, frac: number, fracDigits: number, unit: number): Parts {
  parts.int = int;
  parts.sep = sep;
  parts.frac = frac;
  parts.fracDigits = fracDigits;
  parts.unit = unit;
  return parts;
}

/** 0.31s below 10 s, 12.3s below 100 s, 5m12s below an hour, 2h05m beyond. */
function secondsParts(s: number): Parts {
  if (s < 9.995) {
    const c = Math.round(s * 100);
    return set(Math.floor(c / 100), DOT, c % 100, 2, CH_S);
  }
  if (s < 99.95) {
    const d = Math.round(s * 10);
    return set(Math.floor(d / 10), DOT, d % 10, 1, CH_S);
  }
  if (s < 3600) {
    const m = Math.floor(s / 60);
    return set(m, CH_M, Math.floor(s - m * 60), 2, CH_S);
  }
  const h = Math.floor(s / 3600);
  return set(h, CH_H, Math.floor((s - h * 3600) / 60), 2, CH_M);
}

/** Binary units, as top and ps show memory: 0, 512B, 3.2K, 104M, 1.5G. */
function bytesParts(n: number): Parts {
  if (n < 1024) return n === 0 ? set(0, 0, 0, 0, 0) : set(Math.round(n), 0, 0, 0, CH_B);
  let v = n / 1024;
  let u = 0;
  while (v >= 1023.5 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (v < 9.95) {
    const d = Math.round(v * 10);
    return set(Math.floor(d / 10), DOT, d % 10, 1, UNITS[u]!);
  }
  return set(Math.round(v), 0, 0, 0, UNITS[u]!);
}

function digits(v: number): number {
  let n = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) n++;
  return n;
}

function partsLength(p: Parts): number {
  return digits(p.int) + (p.sep === 0 ? 0 : 1 + p.fracDigits) + (p.unit === 0 ? 0 : 1);
}

function partsText(p: Parts): string {
  let s = String(p.int);
  if (p.sep !== 0) s += String.fromCharCode(p.sep) + String(p.frac).padStart(p.fracDigits, "0");
  if (p.unit !== 0) s += String.fromCharCode(p.unit);
  return s;
}

/** Writes the figure right-aligned in `width` columns. */
function writeParts(w: Writer, p: Parts, width: number): void {
  w.spaces(width - partsLength(p));
  w.uint(p.int);
  if (p.sep !== 0) {
    w.byte(p.sep);
    for (let d = digits(p.frac); d < p.fracDigits; d++) w.byte(0x30); // the 0 of 2h05m
    w.uint(p.frac);
  }
  if (p.unit !== 0) w.byte(p.unit);
}

export function formatSeconds(s: number): string {
  return partsText(secondsParts(s));
}

export function formatBytes(n: number): string {
  return partsText(bytesParts(n));
}

/** user + system seconds, or null when either is missing. */
export function cpuOf(u: Usage): number | null {
  return u.user !== null && u.system !== null ? u.user + u.system : null;
}

/** The short figures of an exit: `cpu 0.31s rss 104M` (n/a for each missing). */
export function usageText(u: Usage | null): string {
  const cpu = u === null ? null : cpuOf(u);
  const rss = u === null ? null : u.maxRss;
  return `cpu ${cpu === null ? "n/a" : formatSeconds(cpu)} rss ${rss === null ? "n/a" : formatBytes(rss)}`;
}

/** Columns the CPU and RSS figures take in the exit line's cell: 59m59s and 1023K fit. */
const CPU_WIDTH = 6;
const RSS_WIDTH = 5;
/** The exit line's usage cell: `cpu  0.31s rss  104M`, figures right-aligned, 20 columns. */
export const USAGE_CELL_WIDTH = 4 + CPU_WIDTH + 5 + RSS_WIDTH;
export const USAGE_HEADING = "Usage".padEnd(USAGE_CELL_WIDTH);

/**
 * The cell for one line, always USAGE_CELL_WIDTH columns (a CPU time of 100 hours or more
 * takes one more): blank for a line that is not an exit (`u` undefined), n/a for each
 * figure of an exit that has none.
 */
export function writeUsageCell(w: Writer, u: Usage | null | undefined): void {
  if (u === undefined) return w.spaces(USAGE_CELL_WIDTH);
  const cpu = u === null ? null : cpuOf(u);
  const rss = u === null ? null : u.maxRss;
  const last = lastCell;
  // The same peak RSS and CPU in the same hundredth of a second: the same cell, told without its parts.
  if (cpu !== null && rss !== null && rss === last.rssValue && cpu > last.cpuAbove && cpu < last.cpuBelow) return w.bytes(last.bytes, last.length);
  // The figures as printed: processes alike differ by microseconds and a few pages.
  const cpuParts = cpu === null ? null : secondsParts(cpu);
  const cpuKey = cpuParts === null ? -1 : partsKey(cpuParts);
  // The hundredth printed (NaN when it shows no hundredths: the bounds then hold nothing).
  const hundredths = cpuParts !== null && cpuParts.fracDigits === 2 && cpuParts.sep === DOT ? cpuParts.int * 100 + cpuParts.frac : NaN;
  const rssKey = rss === null ? -1 : partsKey(bytesParts(rss));
  last.rssValue = rss === null ? NaN : rss;
  // Clear of the rounding boundaries by far more than the float error of cpu * 100.
  last.cpuAbove = (hundredths - 0.5) / 100 + 1e-9;
  last.cpuBelow = (hundredths + 0.5) / 100 - 1e-9;
  if (cpuKey === last.cpu && rssKey === last.rss) return w.bytes(last.bytes, last.length);
  const from = w.position;
  w.ascii("cpu ");
  if (cpu === null) {
    w.spaces(CPU_WIDTH - 3);
    w.ascii("n/a");
  } else writeParts(w, secondsParts(cpu), CPU_WIDTH);
  w.ascii(" rss ");
  if (rss === null) {
    w.spaces(RSS_WIDTH - 3);
    w.ascii("n/a");
  } else writeParts(w, bytesParts(rss), RSS_WIDTH);
  lastCell.length = w.copySince(from, lastCell.bytes);
  lastCell.cpu = cpuKey;
  lastCell.rss = rssKey;
}

/** One number per printed figure: every field of its parts (sep and unit are ASCII, frac below 100, fracDigits below 4). */
function partsKey(p: Parts): number {
  return (((p.int * 128 + p.sep) * 100 + p.frac) * 4 + p.fracDigits) * 128 + p.unit;
}

/**
 * The last cell written, with the figures it shows. A storm's exits mostly show the same
 * (0.00s and one peak RSS): the next such cell is copied instead of worked out again.
 * `rssValue` and the CPU bounds (below 10 s: the hundredth printed) tell most of them
 * without splitting the figures into parts.
 */
const lastCell = { cpu: NaN, rss: NaN, length: 0, bytes: new Uint8Array(USAGE_CELL_WIDTH + 8), rssValue: NaN, cpuAbove: NaN, cpuBelow: NaN };

/** The functions an exit line's cell passes through, for limitJit (see src/jit.ts). */
export const CELL_FUNCTIONS = [writeUsageCell, writeParts, secondsParts, bytesParts, digits, partsLength, set, cpuOf, partsKey];
