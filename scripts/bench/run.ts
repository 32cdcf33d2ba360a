// One measured run: start a monitor, wait until it listens, run the load, drain, sample, stop, score.
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { type Load, type Mode, runLoad } from "./loadgen";
import { type Monitor, type MonitorName, loadEventsPerProcess } from "./monitors";
import { forEachLine } from "./parsers";
import { type Stopped, sleep, stop, track } from "./proc";
import { type Correctness, Scorer } from "./score";
import { alive, cpuTicks, forksSinceBoot, memory, processCpuNs, procConnectorSocket } from "./sys";

export type Sink = "file" | "null";

export interface Context {
  loadgen: string;
  tmp: string;
  loadTimeoutMs: number;
  /** Processes of an unmeasured storm each monitor sees before the measured one (0: none). */
  stormWarmup: number;
}

export interface RunResult {
  monitor: MonitorName | "none";
  mode: Mode;
  producers: number;
  sink: Sink;
  rep: number;
  n: number;
  error?: string;
  wallMs?: number;
  /** ms from spawn until /proc/net/netlink shows its socket bound to the proc connector */
  boundMs?: number;
  /** ms from spawn until the first probe process it reported was started (10 ms resolution) */
  subscribedMs?: number;
  probesSent?: number;
  probesSeen?: number;
  /** events the load created (fork + exit, + exec): the denominator of CPU per event */
  loadEvents?: number;
  /** monitor CPU (every thread's, ended ones included: its POSIX CPU clock) from just before the load until just before the stop signal */
  cpuSec?: number;
  cpuUsPerEvent?: number;
  /**
   * monitor CPU over every event line it printed (file runs): on a busy machine the
   * other processes' events cost CPU too, and differ from run to run
   */
  cpuUsPerPrinted?: number;
  rssPeakMiB?: number;
  kernelDrops?: number;
  drainMs?: number;
  stop?: Stopped;
  stderr?: string[];
  correctness?: Correctness;
}

const PROBE_INTERVAL_MS = 10;
/** after the socket is bound, the monitor still has to send its LISTEN request */
const SETTLE_MS = 300;
const START_TIMEOUT_MS = 10_000;
const DRAIN_MIN_MS = 1000;
const DRAIN_MAX_MS = 30_000;

export class MonitorStartError extends Error {}

export interface Started {
  proc: Subprocess;
  boundMs: number;
  /** probe PID -> ms after the monitor's spawn at which it was started */
  probes: Map<number, number>;
}

/** The kinds of complaint the monitor wrote to stderr, PIDs and counts blanked out, most frequent first. */
export function stderrLines(path: string, max = 5): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  const kinds = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const k = line.replace(/\d+/g, "N").slice(0, 160);
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  return [...kinds]
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([k, n]) => (n > 1 ? `${k} (×${n})` : k));
}

/**
 * Spawns the monitor and returns once it listens. While waiting, a `/bin/true`
 * probe is started every 10 ms; the earliest probe found in the output later
 * tells when the subscription really took effect, whatever the output buffering.
 */
export async function startMonitor(m: Monitor, out: string | null, errPath: string, probe: boolean): Promise<Started> {
  const outFd = out === null ? "ignore" : openSync(out, "w");
  const errFd = openSync(errPath, "w");
  const t0 = performance.now();
  let proc: Subprocess;
  try {
    proc = track(Bun.spawn(m.argv, { stdin: "ignore", stdout: outFd, stderr: errFd }));
  } catch (e) {
    throw new MonitorStartError(`${m.name} failed to spawn: ${(e as Error).message}`);
  } finally {
    if (typeof outFd === "number") closeSync(outFd);
    closeSync(errFd);
  }
  const probes = new Map<number, number>();
  const probeExits: Promise<number>[] = [];
  let boundMs: number | undefined;
  for (;;) {
    const now = performance.now() - t0;
    if (probe) {
      const p = Bun.spawn(["/bin/true"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
      probes.set(p.pid, now);
      probeExits.push(p.exited);
    }
    if (boundMs === undefined && procConnectorSocket(proc.pid) !== undefined) boundMs = now;
    if (boundMs !== undefined && now - boundMs >= SETTLE_MS) break;
    if (!alive(proc.pid)) {
      await proc.exited;
      await Promise.all(probeExits);
      const why = stderrLines(errPath).join(" | ");
      throw new MonitorStartError(`${m.name} exited during start-up (code ${proc.exitCode}, signal ${proc.signalCode}): ${why}`);
    }
    if (now > START_TIMEOUT_MS) {
      await stop(proc);
      await Promise.all(probeExits);
      throw new MonitorStartError(`${m.name} did not bind a proc connector socket within ${START_TIMEOUT_MS / 1000} s`);
    }
    await sleep(PROBE_INTERVAL_MS);
  }
  await Promise.all(probeExits);
  return { proc, boundMs, probes };
}

/** Waits at least 1 s, then until the socket queue is empty and the monitor's CPU time stops growing. */
export async function drain(pid: number): Promise<number> {
  const t0 = performance.now();
  await sleep(DRAIN_MIN_MS);
  let last = cpuTicks(pid);
  let quiet = 0;
  while (performance.now() - t0 < DRAIN_MAX_MS && last !== undefined) {
    await sleep(100);
    const now = cpuTicks(pid);
    const queued = procConnectorSocket(pid)?.rmem ?? 0;
    quiet = queued === 0 && now === last ? quiet + 1 : 0;
    if (quiet >= 3) break;
    last = now;
  }
  return performance.now() - t0;
}

function outputPaths(ctx: Context, m: Monitor, mode: Mode, producers: number, sink: Sink) {
  const base = join(ctx.tmp, `${m.name}-${mode}-p${producers}-${sink}`);
  return { out: sink === "file" ? `${base}.out` : null, err: `${base}.err`, pids: `${base}.pids` };
}

export async function runBaseline(ctx: Context, mode: Mode, n: number, producers: number, rep: number): Promise<RunResult> {
  const r: RunResult = { monitor: "none", mode, producers, sink: "null", rep, n };
  try {
    const load = await runLoad(ctx.loadgen, mode, n, producers, join(ctx.tmp, `none-${mode}-p${producers}.pids`), ctx.loadTimeoutMs);
    r.wallMs = load.wallMs;
  } catch (e) {
    r.error = (e as Error).message;
  }
  return r;
}

/** Matches a monitor's output (file sink) against the load, and dates its subscription by the probes it printed. */
export function score(m: Monitor, load: Load, files: { out: string | null; err: string }, probes: Map<number, number>) {
  const scorer = new Scorer(load, m.kinds(load.mode), new Set(probes.keys()));
  if (files.out !== null)
    forEachLine(files.out, (l) => {
      const e = m.stdout(l);
      if (e) scorer.add(e);
    });
  const errParser = m.stderr;
  if (errParser)
    forEachLine(files.err, (l) => {
      const e = errParser(l);
      if (e) scorer.add(e);
    });
  const seen = [...scorer.probesSeen()].map((pid) => probes.get(pid) ?? Number.POSITIVE_INFINITY);
  return { correctness: scorer.finish(), probesSeen: seen.length, subscribedMs: seen.length > 0 ? Math.min(...seen) : undefined };
}

export async function runMonitored(ctx: Context, m: Monitor, mode: Mode, n: number, producers: number, sink: Sink, rep: number): Promise<RunResult> {
  const r: RunResult = { monitor: m.name, mode, producers, sink, rep, n };
  const files = outputPaths(ctx, m, mode, producers, sink);
  let started: Started;
  try {
    started = await startMonitor(m, files.out, files.err, sink === "file");
  } catch (e) {
    r.error = (e as Error).message;
    return r;
  }
  const { proc } = started;
  r.boundMs = started.boundMs;
  r.probesSent = started.probes.size;
  let load: Load | undefined;
  try {
    if (ctx.stormWarmup > 0) {
      // The steady state: the JIT has compiled what the storm runs, the tables have grown.
      await runLoad(ctx.loadgen, mode, ctx.stormWarmup, producers, `${files.pids}.warmup`, ctx.loadTimeoutMs);
      await drain(proc.pid);
    }
    const cpu0 = processCpuNs(proc.pid);
    load = await runLoad(ctx.loadgen, mode, n, producers, files.pids, ctx.loadTimeoutMs);
    r.wallMs = load.wallMs;
    r.drainMs = await drain(proc.pid);
    // sampled just before the stop signal, so shutdown work is not counted
    const cpu1 = processCpuNs(proc.pid);
    const mem = memory(proc.pid);
    r.kernelDrops = procConnectorSocket(proc.pid)?.drops;
    r.rssPeakMiB = mem ? mem.hwmKiB / 1024 : undefined;
    r.loadEvents = load.pids.length * loadEventsPerProcess(mode);
    if (cpu0 !== undefined && cpu1 !== undefined) {
      r.cpuSec = (cpu1 - cpu0) / 1e9;
      r.cpuUsPerEvent = (r.cpuSec * 1e6) / r.loadEvents;
    } else {
      r.error = `${m.name} was gone before the load ended`;
    }
  } catch (e) {
    r.error = (e as Error).message;
  } finally {
    r.stop = await stop(proc);
  }
  r.stderr = stderrLines(files.err);
  if (load && sink === "file") {
    const s = score(m, load, files, started.probes);
    r.correctness = s.correctness;
    // The warm-up's lines are in the file too: per printed line means nothing then.
    if (r.cpuSec !== undefined && s.correctness.printed > 0 && ctx.stormWarmup === 0) r.cpuUsPerPrinted = (r.cpuSec * 1e6) / s.correctness.printed;
    r.probesSeen = s.probesSeen;
    r.subscribedMs = s.subscribedMs;
  }
  return r;
}

export interface IdleResult {
  monitor: MonitorName;
  rep: number;
  seconds: number;
  /** scheduler run time of all its threads over the window */
  cpuNs?: number;
  /** cpuNs as a percentage of one CPU over the window (the summary rounds it to what it can tell) */
  cpuPct?: number;
  /**
   * processes and threads the rest of the machine started in the window (/proc/stat's
   * fork count): every monitor wakes for each, so a window with a few reads higher
   */
  otherForks?: number;
  error?: string;
}

/**
 * CPU each monitor uses with no load of ours. All of them run during the same window,
 * so the machine's own background activity (which still produces events) is the same
 * for each. The window opens `afterS` seconds after they have started: start-up's tail
 * (a runtime's first collections and JIT compilation) is not idling.
 */
export async function measureIdle(ctx: Context, monitors: readonly Monitor[], seconds: number, afterS: number, rep: number): Promise<IdleResult[]> {
  const slots: { r: IdleResult; s?: Started }[] = [];
  for (const m of monitors) {
    const r: IdleResult = { monitor: m.name, rep, seconds };
    try {
      slots.push({ r, s: await startMonitor(m, null, join(ctx.tmp, `${m.name}-idle.err`), false) });
    } catch (e) {
      r.error = (e as Error).message;
      slots.push({ r });
    }
  }
  try {
    await sleep(afterS * 1000);
    const forks0 = forksSinceBoot();
    const c0 = slots.map(({ s }) => (s ? processCpuNs(s.proc.pid) : undefined));
    await sleep(seconds * 1000);
    const forks1 = forksSinceBoot();
    slots.forEach(({ r, s }, i) => {
      if (forks0 !== undefined && forks1 !== undefined) r.otherForks = forks1 - forks0;
      const before = c0[i];
      const after = s && alive(s.proc.pid) ? processCpuNs(s.proc.pid) : undefined;
      if (before !== undefined && after !== undefined) {
        r.cpuNs = after - before;
        r.cpuPct = (r.cpuNs / (seconds * 1e9)) * 100;
      } else r.error ??= `${r.monitor} exited while idle`;
    });
  } finally {
    for (const { s } of slots) if (s) await stop(s.proc);
  }
  return slots.map(({ r }) => r);
}
