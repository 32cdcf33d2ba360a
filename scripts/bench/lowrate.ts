// The scenarios where monitors run at once on one load, unlike the storms: the low rates
// (a steady trickle, and short bursts over a trickle), where the rest of the machine's
// events are not negligible, and the paired storms, where the storm's own variation would
// otherwise be in the ratio: usage-cost (pstat with and without --usage on one fork
// storm) and exec-pair (forkstat and pstat on one exec storm).
import { join } from "node:path";
import { type Load, type Mode, type Schedule, runLoad } from "./loadgen";
import { type Monitor, type MonitorName, loadEventsPerProcess } from "./monitors";
import type { LowRateName, LowRateOptions } from "./options";
import { type Stopped, sleep, stop } from "./proc";
import { type Context, type Started, drain, score, startMonitor, stderrLines } from "./run";
import type { Correctness } from "./score";
import { alive, forksSinceBoot, memory, procConnectorSocket, processCpuNs, threadRuntimeNs } from "./sys";

export type { LowRateName } from "./options";

/**
 * A machine starting fewer processes a second than this, or than twice the trickle, counts
 * as quiet: an idle server's own background (cron, shells, health checks) stays below it,
 * another test run's storm (hundreds to thousands a second) does not.
 */
const QUIET_MIN_PER_S = 50;

/** The low-rate loads exec /bin/true, as a shell loop or a service starting helpers does; usage-cost forks (issue 15's storm). */
function modeOf(name: LowRateName): Mode {
  return name === "usage-cost" ? "fork" : "exec";
}

/**
 * exec-pair's partners for forkstat, each in a pair of its own: pstat, and the floors of
 * its design when --monitors lists them, so the target and the floor are read the same way.
 */
const EXEC_PAIR_PARTNERS: readonly MonitorName[] = ["pstat", "floor-bun-source", "floor-bun"];

/**
 * The paired storms compare two monitors; the others sit them out (more at once would
 * compete for the two CPUs with the load and each other, and batch differently).
 */
const PAIRED: Partial<Record<LowRateName, readonly MonitorName[]>> = {
  "usage-cost": ["pstat", "pstat-usage"],
  "exec-pair": ["forkstat", ...EXEC_PAIR_PARTNERS],
};

/**
 * The groups of monitors that run at once in one repetition of a scenario: every
 * monitor that runs together for most; the pair for usage-cost; forkstat beside each
 * partner in turn for exec-pair (each partner alone without forkstat). `together` runs
 * at once with the others; `all` adds the monitors that run alone or in a pair only (the
 * floors).
 */
export function lowRateGroups(name: LowRateName, together: readonly Monitor[], all: readonly Monitor[]): Monitor[][] {
  if (name !== "exec-pair") return [[...together]];
  const forkstat = all.find((m) => m.name === "forkstat");
  // Without forkstat each partner still runs on the storm, alone (no ratio to take).
  return EXEC_PAIR_PARTNERS.flatMap((p) => all.filter((m) => m.name === p).map((m) => (forkstat ? [forkstat, m] : [m])));
}

export interface LowRateResult {
  scenario: LowRateName;
  monitor: MonitorName;
  rep: number;
  /** processes the measured load made (the warm-up's are not counted) */
  processes?: number;
  /** fork + exec + exit per process of the measured load */
  loadEvents?: number;
  /** seconds from the first CPU sample to the last: the load, then the drain */
  windowS?: number;
  /** CPU of every thread in the window, ended ones included (POSIX CPU clock), ns */
  cpuNs?: number;
  /** of cpuNs, what threads that ended within the window used */
  endedThreadsNs?: number;
  threadsAtStart?: number;
  threadsAtEnd?: number;
  nsPerProcess?: number;
  nsPerEvent?: number;
  /**
   * processes and threads the rest of the machine started in the window (/proc/stat's
   * fork count less the load's): every monitor saw them too, and paid for them
   */
  otherForks?: number;
  /** cpuNs over forkstat's in the same window, when forkstat ran */
  vsForkstat?: number;
  /** cpuNs over pstat's in the same window (usage-cost: what --usage costs) */
  vsPstat?: number;
  kernelDrops?: number;
  rssPeakMiB?: number;
  probesSent?: number;
  probesSeen?: number;
  subscribedMs?: number;
  correctness?: Correctness;
  stop?: Stopped;
  stderr?: string[];
  error?: string;
}

/** The measured load of each scenario; the warm-up before it is the trickle alone. */
export function lowRateSchedule(name: LowRateName, o: LowRateOptions): { n: number; producers: number; schedule: Schedule } {
  if (name === "trickle") return { n: 0, producers: 0, schedule: { rate: o.trickleRate, seconds: o.trickleSeconds } };
  if (name === "usage-cost") return { n: o.pairedN, producers: o.pairedProducers, schedule: {} };
  if (name === "exec-pair") return { n: o.pairedExecN, producers: o.pairedProducers, schedule: {} };
  return { n: o.burstN, producers: o.burstProducers, schedule: { bursts: o.bursts, gapMs: o.burstGapSeconds * 1000, rate: o.trickleRate } };
}

/**
 * Waits until the rest of the machine starts fewer than `maxPerS` processes a second
 * (over one second), for at most `maxS` seconds. Every monitor wakes for every process
 * on the machine: on a machine busy with other work a trickle window measures that work.
 * Returns the seconds waited, and the rate last seen.
 */
export async function waitForQuietMachine(maxS: number, maxPerS: number): Promise<{ waitedS: number; perS?: number }> {
  const t0 = performance.now();
  let perS: number | undefined;
  for (;;) {
    const a = forksSinceBoot();
    await sleep(1000);
    const b = forksSinceBoot();
    perS = a !== undefined && b !== undefined ? b - a : undefined;
    const waitedS = (performance.now() - t0) / 1000;
    if (perS === undefined || perS < maxPerS || waitedS >= maxS) return { waitedS, perS };
  }
}

interface Sample {
  cpuNs?: number;
  threads?: Map<number, number>;
}

function sample(pid: number): Sample {
  // threads first: the clock read after them covers at least what they add up to
  const threads = threadRuntimeNs(pid);
  return { threads, cpuNs: processCpuNs(pid) };
}

/**
 * Run time of threads that ended between the samples: the process clock's growth
 * minus the growth of every thread still listed at the end (from 0 if it started
 * in between). Negative values are reading skew between the files and the clock.
 */
function endedThreadsNs(a: Sample, b: Sample): number | undefined {
  if (a.cpuNs === undefined || b.cpuNs === undefined || !a.threads || !b.threads) return undefined;
  let live = 0;
  for (const [tid, ns] of b.threads) live += ns - (a.threads.get(tid) ?? 0);
  return Math.max(0, b.cpuNs - a.cpuNs - live);
}

interface Slot {
  m: Monitor;
  r: LowRateResult;
  files: { out: string; err: string };
  s?: Started;
  before?: Sample;
}

/**
 * One repetition of one low-rate scenario: start every monitor, warm them up with the
 * trickle, sample their CPU clocks, run the load, wait until each has drained its
 * socket and gone quiet, sample again, stop them, score each one's output.
 */
export async function runLowRate(
  ctx: Context,
  monitors: readonly Monitor[],
  name: LowRateName,
  o: LowRateOptions,
  rep: number,
  log: (s: string) => void,
): Promise<LowRateResult[]> {
  const mode = modeOf(name);
  const slots: Slot[] = [];
  const paired = PAIRED[name];
  for (const m of monitors.filter((x) => x.modes.includes(mode) && (paired === undefined || paired.includes(x.name)))) {
    const base = join(ctx.tmp, `${m.name}-${name}`);
    const slot: Slot = { m, r: { scenario: name, monitor: m.name, rep }, files: { out: `${base}.out`, err: `${base}.err` } };
    try {
      slot.s = await startMonitor(m, slot.files.out, slot.files.err, true);
      slot.r.probesSent = slot.s.probes.size;
    } catch (e) {
      slot.r.error = (e as Error).message;
    }
    slots.push(slot);
  }
  const running = () => slots.filter((x): x is Slot & { s: Started } => x.s !== undefined && alive(x.s.proc.pid));
  let load: Load | undefined;
  let t0 = 0;
  try {
    if (o.quietWaitSeconds > 0) {
      const limit = Math.max(QUIET_MIN_PER_S, 2 * o.trickleRate);
      const q = await waitForQuietMachine(o.quietWaitSeconds, limit);
      const busy = q.perS !== undefined && q.perS >= limit;
      log(
        `rep ${rep} ${name}: ${busy ? `machine still busy after ${q.waitedS.toFixed(0)} s` : `machine quiet after ${q.waitedS.toFixed(0)} s`} (${q.perS ?? "?"} other processes a second)`,
      );
    }
    if (o.warmupSeconds > 0) {
      await runLoad(ctx.loadgen, mode, 0, 0, join(ctx.tmp, `warmup-${name}.pids`), ctx.loadTimeoutMs, { rate: o.trickleRate, seconds: o.warmupSeconds });
    }
    const { n, producers, schedule } = lowRateSchedule(name, o);
    // A storm's paths warm on a storm: its first one after start is not what it costs.
    if (paired !== undefined)
      for (let k = 0; k < o.pairedWarmups; k++) await runLoad(ctx.loadgen, mode, n, producers, join(ctx.tmp, `warmup-${name}-storm.pids`), ctx.loadTimeoutMs);
    t0 = performance.now();
    const forks0 = forksSinceBoot();
    for (const x of running()) x.before = sample(x.s.proc.pid);
    load = await runLoad(ctx.loadgen, mode, n, producers, join(ctx.tmp, `${name}.pids`), ctx.loadTimeoutMs, schedule);
    await Promise.all(running().map((x) => drain(x.s.proc.pid)));
    const windowS = (performance.now() - t0) / 1000;
    const forks1 = forksSinceBoot();
    // the load's own: its processes, its producers and its main process
    const other = forks0 !== undefined && forks1 !== undefined ? forks1 - forks0 - load.pids.length - load.producerPids.length - 1 : undefined;
    for (const x of slots) {
      const { r, s, before } = x;
      if (!s) continue;
      const pid = s.proc.pid;
      const after = alive(pid) ? sample(pid) : undefined;
      if (before?.cpuNs === undefined || after?.cpuNs === undefined) {
        r.error ??= `${r.monitor} was gone before the load ended`;
        continue;
      }
      r.windowS = windowS;
      r.otherForks = other;
      r.processes = load.pids.length;
      r.loadEvents = load.pids.length * loadEventsPerProcess(mode);
      r.cpuNs = after.cpuNs - before.cpuNs;
      r.endedThreadsNs = endedThreadsNs(before, after);
      r.threadsAtStart = before.threads?.size;
      r.threadsAtEnd = after.threads?.size;
      r.nsPerProcess = r.processes > 0 ? r.cpuNs / r.processes : undefined;
      r.nsPerEvent = r.loadEvents > 0 ? r.cpuNs / r.loadEvents : undefined;
      r.kernelDrops = procConnectorSocket(pid)?.drops;
      const mem = memory(pid);
      r.rssPeakMiB = mem ? mem.hwmKiB / 1024 : undefined;
    }
  } catch (e) {
    for (const x of slots) x.r.error ??= (e as Error).message;
  } finally {
    for (const x of slots) if (x.s) x.r.stop = await stop(x.s.proc);
  }
  const forkstatNs = slots.find((x) => x.m.name === "forkstat")?.r.cpuNs;
  const pstatNs = slots.find((x) => x.m.name === "pstat")?.r.cpuNs;
  for (const { m, r, s, files } of slots) {
    if (!s) continue;
    r.stderr = stderrLines(files.err);
    if (forkstatNs !== undefined && forkstatNs > 0 && r.cpuNs !== undefined) r.vsForkstat = r.cpuNs / forkstatNs;
    // pstat with an option (pstat-usage) over pstat: what the option costs at this load.
    if (pstatNs !== undefined && pstatNs > 0 && r.cpuNs !== undefined && m.name.startsWith("pstat-")) r.vsPstat = r.cpuNs / pstatNs;
    if (!load) continue;
    const sc = score(m, load, files, s.probes);
    r.correctness = sc.correctness;
    r.probesSeen = sc.probesSeen;
    r.subscribedMs = sc.subscribedMs;
    log(
      `rep ${rep} ${name}: ${m.name}: ` +
        (r.error ? `ERROR ${r.error}` : `cpu ${((r.cpuNs ?? 0) / 1e6).toFixed(1)} ms over ${r.windowS?.toFixed(1)} s`) +
        (r.vsForkstat !== undefined ? ` (${r.vsForkstat.toFixed(2)}× forkstat)` : "") +
        (r.vsPstat !== undefined ? ` (${r.vsPstat.toFixed(2)}× pstat)` : "") +
        `, lost ${sc.correctness.lost}, kernel drops ${r.kernelDrops ?? "?"}, other forks ${r.otherForks ?? "?"}`,
    );
  }
  return slots.map((x) => x.r);
}
