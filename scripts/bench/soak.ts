// `--soak`: pstat alone under about a million forked processes. Checks that its memory
// stays flat (RSS at the end within 8 MiB of RSS after the first 10k processes) and
// that it loses nothing.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { type Load, runLoad } from "./loadgen";
import type { Monitor } from "./monitors";
import { forEachLine } from "./parsers";
import { type Stopped, sleep, stop } from "./proc";
import { type Context, drain, startMonitor } from "./run";
import { type Correctness, type NameCounts, Scorer } from "./score";
import { spread } from "./stats";
import { clkTck, cpuTicks, memory, procConnectorSocket } from "./sys";

const WARMUP = 10_000;
const BUDGET_MIB = 8;
const SAMPLE_MS = 5000;

export interface SoakResult {
  processes: number;
  /** fork + exit per process */
  events: number;
  wallS?: number;
  processesPerS?: number;
  rssAfterWarmupMiB?: number;
  rssEndMiB?: number;
  growthMiB?: number;
  withinBudget?: boolean;
  peakRssMiB?: number;
  /** [seconds into the long phase, RSS MiB] */
  rssSamples: [number, number][];
  created?: number;
  received?: number;
  lost?: number;
  reportedLost?: number;
  /** pstat's `lost` lines without a count (`?`: kernel-side filter) */
  reportedLostLinesUncounted?: number;
  kernelDrops?: number;
  forkNames?: NameCounts;
  wrongNames?: Correctness["wrongNames"];
  unparsed?: number;
  cpuSec?: number;
  cpuUsPerEvent?: number;
  stop?: Stopped;
  error?: string;
}

const mib = (kib: number | undefined) => (kib === undefined ? undefined : kib / 1024);

/**
 * RSS of an idle monitor, as the median of 5 samples 0.5 s apart: a garbage-collected
 * runtime's RSS moves by several MiB from one instant to the next, which would
 * otherwise decide the 8 MiB check. Both checkpoints are measured this way.
 */
async function settledRss(pid: number): Promise<number | undefined> {
  const samples: (number | undefined)[] = [];
  for (let i = 0; i < 5; i++) {
    if (i > 0) await sleep(500);
    samples.push(mib(memory(pid)?.rssKiB));
  }
  return spread(samples)?.median;
}

export async function runSoak(ctx: Context, m: Monitor, total: number, log: (s: string) => void): Promise<SoakResult> {
  if (total <= WARMUP) throw new Error(`--soak-n must be above the ${WARMUP}-process warm-up`);
  const r: SoakResult = { processes: total, events: total * 2, rssSamples: [] };
  const out = join(ctx.tmp, "soak.out");
  const started = await startMonitor(m, out, join(ctx.tmp, "soak.err"), true);
  const { proc } = started;
  const loads: Load[] = [];
  try {
    const cpu0 = cpuTicks(proc.pid);
    const t0 = performance.now();
    loads.push(await runLoad(ctx.loadgen, "fork", WARMUP, 2, join(ctx.tmp, "soak-1.pids"), ctx.loadTimeoutMs));
    await drain(proc.pid);
    r.rssAfterWarmupMiB = await settledRss(proc.pid);
    log(`soak: RSS after ${WARMUP} processes: ${r.rssAfterWarmupMiB?.toFixed(1)} MiB; now ${total - WARMUP} more`);
    const tLong = performance.now();
    const sampler = setInterval(() => {
      const rss = mib(memory(proc.pid)?.rssKiB);
      if (rss === undefined) return;
      const at = (performance.now() - tLong) / 1000;
      r.rssSamples.push([Math.round(at), Number(rss.toFixed(1))]);
      log(`soak: ${at.toFixed(0)} s, RSS ${rss.toFixed(1)} MiB`);
    }, SAMPLE_MS);
    try {
      loads.push(await runLoad(ctx.loadgen, "fork", total - WARMUP, 2, join(ctx.tmp, "soak-2.pids"), ctx.loadTimeoutMs));
    } finally {
      clearInterval(sampler);
    }
    r.wallS = (performance.now() - t0) / 1000;
    r.processesPerS = total / ((loads[0]?.wallMs ?? 0) / 1000 + (loads[1]?.wallMs ?? 0) / 1000);
    await drain(proc.pid);
    const cpu1 = cpuTicks(proc.pid);
    r.kernelDrops = procConnectorSocket(proc.pid)?.drops;
    r.rssEndMiB = await settledRss(proc.pid);
    r.peakRssMiB = mib(memory(proc.pid)?.hwmKiB);
    if (r.rssEndMiB !== undefined && r.rssAfterWarmupMiB !== undefined) {
      r.growthMiB = r.rssEndMiB - r.rssAfterWarmupMiB;
      r.withinBudget = r.growthMiB <= BUDGET_MIB;
    }
    if (cpu0 !== undefined && cpu1 !== undefined) {
      r.cpuSec = (cpu1 - cpu0) / clkTck();
      r.cpuUsPerEvent = (r.cpuSec * 1e6) / r.events;
    }
  } catch (e) {
    r.error = (e as Error).message;
  } finally {
    r.stop = await stop(proc);
  }
  if (loads.length === 2) {
    const [a, b] = loads as [Load, Load];
    // PIDs wrap many times in a million processes; the scorer credits each PID as often as the load made it.
    const all: Load = { ...b, n: a.n + b.n, pids: [...a.pids, ...b.pids], producerPids: [...a.producerPids, ...b.producerPids] };
    const scorer = new Scorer(all, ["fork", "exit"], new Set(), new Set([a.cmdline, b.cmdline]));
    log("soak: scoring the output");
    forEachLine(out, (line) => {
      const e = m.stdout(line);
      if (e) scorer.add(e);
    });
    const c = scorer.finish();
    r.created = (c.created.fork ?? 0) + (c.created.exit ?? 0);
    r.received = (c.received.fork ?? 0) + (c.received.exit ?? 0);
    r.lost = c.lost;
    r.reportedLost = c.reportedLost;
    r.reportedLostLinesUncounted = c.reportedLostUncounted;
    r.forkNames = c.forkNames;
    r.wrongNames = c.wrongNames;
    r.unparsed = c.unparsed;
  }
  rmSync(out, { force: true }); // a million processes print about 300 MB
  return r;
}

export function soakText(r: SoakResult): string {
  const f = (x: number | undefined, d = 1) => (x === undefined ? "–" : x.toFixed(d));
  return [
    `pstat soak: ${r.processes} forked processes (${r.events} fork+exit events) in ${f(r.wallS, 0)} s (${f(r.processesPerS, 0)} processes/s)`,
    `RSS after ${WARMUP}: ${f(r.rssAfterWarmupMiB)} MiB; at the end: ${f(r.rssEndMiB)} MiB; growth ${f(r.growthMiB)} MiB (budget ${BUDGET_MIB} MiB: ${r.withinBudget === undefined ? "–" : r.withinBudget ? "OK" : "EXCEEDED"}); peak ${f(r.peakRssMiB)} MiB`,
    `events: created ${r.created ?? "–"}, received ${r.received ?? "–"}, lost ${r.lost ?? "–"}; pstat's own lost count ${r.reportedLost ?? "–"} (+ ${r.reportedLostLinesUncounted ?? "–"} "lost ?" lines); kernel socket drops ${r.kernelDrops ?? "–"}; unparsed lines ${r.unparsed ?? "–"}`,
    `fork child names: ${r.forkNames ? `${r.forkNames.right} right, ${r.forkNames.unknown} <unknown>, ${r.forkNames.wrong} wrong` : "–"}${(r.wrongNames ?? []).map((w) => `; ${w.count}× ${JSON.stringify(w.name.slice(0, 80))}`).join("")}`,
    `CPU ${f(r.cpuSec, 2)} s = ${f(r.cpuUsPerEvent, 2)} µs/event; stopped by ${r.stop?.how ?? "–"} (exit ${r.stop?.exitCode ?? "–"})`,
    ...(r.error ? [`error: ${r.error}`] : []),
    `RSS samples (s, MiB): ${r.rssSamples.map(([t, v]) => `${t}:${v}`).join(" ")}`,
  ].join("\n");
}
