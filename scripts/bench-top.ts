// What `pstat top` costs, beside the event log writing to /dev/null (the yardstick).
//
//   sudo node_modules/.bin/bun scripts/bench-top.ts [--windows N] [--window S] [--reps N] [--n N] [--exec-n N] [--idle-only | --storms-only]
//
// Needs root, tmux, cc and `npm run build` (dist/pstat). Two parts, each running the
// programs it compares at the same time, so that they see the same events:
//
// - idle: `pstat top` full screen in a tmux pane (120x40, redrawn every second), the same
//   with -d 0.1, `pstat top -j` into a file (its snapshots count the events received) and
//   `pstat` (the event log) into /dev/null, for N windows of S seconds (default 5 x 30 s). Per window: each one's CPU as a share of
//   one CPU, from the scheduler's run time of all its threads
//   (/proc/PID/task/TID/schedstat, sampled every second so that short-lived runtime
//   threads are counted too), and the machine's forks in the window (/proc/stat
//   `processes`): an idle machine is rare, and what the event log costs in the same window
//   is the price of those events. The -d 0.1 screen sees the same events and draws nine
//   more snapshots a second: the difference is the CPU one snapshot costs, events aside
//   (an upper bound: waking ten times a second also takes the events in smaller batches).
// - storms: scripts/bench/loadgen.c (the bench's load generator), a fork storm of N and an
//   exec storm of exec-N processes from 2 producers, R repetitions each, with `pstat top
//   -j -d 1` (into a file, to read its loss count) and `pstat` into /dev/null running. CPU
//   per event: each one's run time from just before the load until it has drained,
//   divided by the events the load made (fork + exit, + exec).
//
// Prints a table per part and writes the raw numbers to bench-results/top.json.
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { compileLoadgen, runLoad, type Mode } from "./bench/loadgen";
import { installCleanup, sleep, stop, track } from "./bench/proc";
import { procConnectorSocket, threadRuntimeNs } from "./bench/sys";

const ROOT = resolve(import.meta.dir, "..");
const PSTAT = join(ROOT, "dist/pstat");

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
}

const WINDOWS = arg("--windows", 5);
const WINDOW_S = arg("--window", 30);
const REPS = arg("--reps", 3);
const FORK_N = arg("--n", 20_000);
const EXEC_N = arg("--exec-n", 5_000);
const IDLE = !process.argv.includes("--storms-only");
const STORMS = !process.argv.includes("--idle-only");

/**
 * A process's CPU time in ns, summed over its threads, including threads that ended
 * since the last sample (up to their last sample): sample it often.
 */
class CpuMeter {
  private last = new Map<number, number>();
  private total = 0;

  constructor(readonly pid: number) {
    this.sample();
  }

  sample(): number {
    const now = threadRuntimeNs(this.pid);
    if (now === undefined) return this.total;
    for (const [tid, ns] of now) this.total += ns - (this.last.get(tid) ?? 0);
    this.last = now;
    return this.total;
  }
}

function forksSoFar(): number {
  const m = /^processes (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"));
  return m ? Number(m[1]) : Number.NaN;
}

async function waitBound(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (procConnectorSocket(pid) !== undefined) return;
    await sleep(25);
  }
  throw new Error(`pid ${pid} never subscribed`);
}

function spawnTo(argv: string[], out: string): Subprocess {
  const fd = openSync(out, "w");
  return track(Bun.spawn(argv, { stdin: "ignore", stdout: fd, stderr: "inherit", env: { ...process.env, NO_COLOR: "1" } }));
}

const TMUX = ["tmux", "-L", `pstat-bench-top-${process.pid}`];

function tmux(...args: string[]): string {
  const r = Bun.spawnSync([...TMUX, ...args], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

const pct = (ns: number, seconds: number) => (100 * ns) / 1e9 / seconds;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const spread = (xs: number[], digits: number) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

interface IdleWindow {
  seconds: number;
  forksPerSec: number;
  /** Events top received per second (every kind), from its own JSON snapshots. */
  eventsPerSec: number;
  topScreenPct: number;
  topBatchPct: number;
  logPct: number;
  /** The screen redrawn ten times as often: (its CPU - topScreen's) / 9 snapshots a second. */
  msPerSnapshot: number;
}

/** The events top -j counted in the snapshots it wrote since `from` (a byte offset); returns the new offset too. */
function eventsSince(file: string, from: number): { events: number; offset: number } {
  const text = readFileSync(file, "utf8");
  const end = text.lastIndexOf("\n") + 1;
  let events = 0;
  for (const line of text.slice(from, end).split("\n")) if (line !== "") events += (JSON.parse(line) as { totals: { events: number } }).totals.events;
  return { events, offset: end };
}

async function idle(tmp: string): Promise<IdleWindow[]> {
  const pane = (name: string, args: string) => {
    tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40", `${PSTAT} top ${args}`);
    return Number(tmux("display", "-p", "-t", name, "#{pane_pid}").trim());
  };
  const screen = pane("top", "");
  const fast = pane("fast", "-d 0.1");
  const snapshots = join(tmp, "idle.json");
  const batch = spawnTo([PSTAT, "top", "-j"], snapshots);
  const log = spawnTo([PSTAT], "/dev/null");
  const windows: IdleWindow[] = [];
  try {
    await Promise.all([screen, fast, batch.pid, log.pid].map(waitBound));
    // Start-up (preload, the first snapshots, the JIT warming up) is not what is measured.
    await sleep(5000);
    const meters = [screen, fast, batch.pid, log.pid].map((pid) => new CpuMeter(pid));
    for (let w = 0; w < WINDOWS; w++) {
      const t0 = performance.now();
      const f0 = forksSoFar();
      const e0 = eventsSince(snapshots, 0).offset;
      const start = meters.map((m) => m.sample());
      while (performance.now() - t0 < WINDOW_S * 1000) {
        await sleep(1000);
        for (const m of meters) m.sample();
      }
      const seconds = (performance.now() - t0) / 1000;
      const [onScreen, onFast, inBatch, inLog] = meters.map((m, i) => m.sample() - start[i]!) as [number, number, number, number];
      const win = {
        seconds,
        forksPerSec: (forksSoFar() - f0) / seconds,
        eventsPerSec: eventsSince(snapshots, e0).events / seconds,
        topScreenPct: pct(onScreen, seconds),
        topBatchPct: pct(inBatch, seconds),
        logPct: pct(inLog, seconds),
        msPerSnapshot: (onFast - onScreen) / 1e6 / (9 * seconds),
      };
      console.error(`idle window ${w + 1}/${WINDOWS}: ${JSON.stringify(win)}`);
      windows.push(win);
    }
  } finally {
    tmux("kill-server");
    await stop(batch);
    await stop(log);
  }
  return windows;
}

interface StormRun {
  mode: Mode;
  rep: number;
  events: number;
  topUsPerEvent: number;
  logUsPerEvent: number;
  ratio: number;
  topLost: number;
  topLostUnknown: boolean;
  topStarted: number;
}

async function storm(loadgen: string, tmp: string, mode: Mode, rep: number): Promise<StormRun> {
  const n = mode === "fork" ? FORK_N : EXEC_N;
  const out = join(tmp, `top-${mode}-${rep}.json`);
  const top = spawnTo([PSTAT, "top", "-j", "-d", "1"], out);
  const log = spawnTo([PSTAT], "/dev/null");
  try {
    await Promise.all([waitBound(top.pid), waitBound(log.pid)]);
    await sleep(1500);
    const meters = [new CpuMeter(top.pid), new CpuMeter(log.pid)];
    const sampler = setInterval(() => {
      for (const m of meters) m.sample();
    }, 200);
    const start = meters.map((m) => m.sample());
    const load = await runLoad(loadgen, mode, n, 2, join(tmp, "pids"), 120_000);
    // Until both have drained (their sockets are empty), and one more snapshot.
    for (let i = 0; i < 100 && [top.pid, log.pid].some((p) => (procConnectorSocket(p)?.rmem ?? 0) > 0); i++) await sleep(50);
    await sleep(1200);
    clearInterval(sampler);
    const used = meters.map((m, i) => m.sample() - start[i]!);
    const events = load.pids.length * (mode === "exec" ? 3 : 2);
    await stop(top);
    await stop(log);
    const snaps = readFileSync(out, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { totals: { lost: number; lost_unknown: boolean; lost_total: number }; groups: { key: string; started: number }[] });
    const topStarted = snaps.reduce((s, o) => s + (o.groups.find((g) => g.key === load.cmdline)?.started ?? 0), 0);
    const run = {
      mode,
      rep,
      events,
      topUsPerEvent: used[0]! / 1e3 / events,
      logUsPerEvent: used[1]! / 1e3 / events,
      ratio: used[0]! / used[1]!,
      topLost: snaps.at(-1)?.totals.lost_total ?? Number.NaN,
      topLostUnknown: snaps.some((o) => o.totals.lost_unknown),
      topStarted,
    };
    console.error(`${mode} storm ${rep + 1}/${REPS}: ${JSON.stringify(run)}`);
    return run;
  } finally {
    await stop(top);
    await stop(log);
  }
}

function report(windows: IdleWindow[], storms: StormRun[]): void {
  function line<T>(label: string, rows: T[], key: keyof T, digits: number): void {
    const values = rows.map((r) => r[key] as number);
    console.log(`  ${label.padEnd(30)} ${spread(values, digits)}`);
  }
  if (windows.length > 0) {
    console.log(`\nIdle, ${windows.length} windows of ${WINDOW_S} s: median (min–max)`);
    line("forks/s on the machine", windows, "forksPerSec", 1);
    line("events/s received", windows, "eventsPerSec", 1);
    line("pstat top (screen), % of a CPU", windows, "topScreenPct", 3);
    line("pstat top -j, % of a CPU", windows, "topBatchPct", 3);
    line("pstat > /dev/null, % of a CPU", windows, "logPct", 3);
    line("one snapshot drawn, ms of CPU", windows, "msPerSnapshot", 3);
  }
  for (const mode of ["fork", "exec"] as const) {
    const runs = storms.filter((s) => s.mode === mode);
    if (runs.length === 0) continue;
    console.log(`\n${mode} storm of ${mode === "fork" ? FORK_N : EXEC_N} from 2 producers, ${runs.length} runs: median (min–max)`);
    line("pstat top -j, µs/event", runs, "topUsPerEvent", 2);
    line("pstat > /dev/null, µs/event", runs, "logUsPerEvent", 2);
    line("ratio top / event log", runs, "ratio", 2);
    const lost = runs.map((r) => r.topLost + (r.topLostUnknown ? "+?" : ""));
    console.log(`  top lost: ${lost.join(", ")}; starts counted: ${runs.map((r) => r.topStarted).join(", ")}`);
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("run as root (pstat's priority and receive buffer are root's)");
  installCleanup();
  const tmp = mkdtempSync(join(tmpdir(), "pstat-bench-top-"));
  try {
    const windows = IDLE ? await idle(tmp) : [];
    const storms: StormRun[] = [];
    if (STORMS) {
      const loadgen = compileLoadgen(tmp);
      for (let rep = 0; rep < REPS; rep++) for (const mode of ["fork", "exec"] as const) storms.push(await storm(loadgen, tmp, mode, rep));
    }
    report(windows, storms);
    mkdirSync(join(ROOT, "bench-results"), { recursive: true });
    writeFileSync(join(ROOT, "bench-results/top.json"), JSON.stringify({ windowS: WINDOW_S, windows, storms }, null, 2) + "\n");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
