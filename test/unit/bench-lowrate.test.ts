// The bench's low-rate scenarios: their options, the paced load generator, the CPU clock
// they measure with (against a real process whose thread ends), and their summary.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileLoadgen, runLoad } from "../../scripts/bench/loadgen";
import { type LowRateResult, lowRateGroups, lowRateSchedule } from "../../scripts/bench/lowrate";
import type { Monitor, MonitorName } from "../../scripts/bench/monitors";
import { ALL_SCENARIOS, USAGE, parseOptions } from "../../scripts/bench/options";
import { idleWindowsText, summariseLowRate } from "../../scripts/bench/report";
import type { IdleResult } from "../../scripts/bench/run";
import type { Correctness } from "../../scripts/bench/score";
import { processCpuNs, threadRuntimeNs } from "../../scripts/bench/sys";

const dir = mkdtempSync(join(tmpdir(), "pstat-bench-lowrate-"));

describe("options", () => {
  test("low-rate scenarios and the paired storms run by default, with the issues' rates and lengths", () => {
    const o = parseOptions([]);
    expect(o.scenarios).toEqual(["fork", "exec", "idle", "trickle", "bursts", "usage-cost", "exec-pair"]);
    expect(o.lowRate).toEqual({
      warmupSeconds: 10,
      trickleRate: 20,
      trickleSeconds: 30,
      bursts: 5,
      burstN: 300,
      burstProducers: 2,
      burstGapSeconds: 4,
      quietWaitSeconds: 60,
      pairedN: 20000,
      pairedExecN: 5000,
      pairedProducers: 2,
      pairedWarmups: 1,
    });
  });

  test("usage-cost storms the size and producers of the fork storm", () => {
    expect(lowRateSchedule("usage-cost", parseOptions(["--n", "5000", "--producers", "1,2"]).lowRate)).toEqual({ n: 5000, producers: 1, schedule: {} });
  });

  test("exec-pair storms the size of the exec storm, from the first count of producers", () => {
    expect(lowRateSchedule("exec-pair", parseOptions(["--n", "8000", "--producers", "1,2"]).lowRate)).toEqual({ n: 2000, producers: 1, schedule: {} });
    expect(lowRateSchedule("exec-pair", parseOptions(["--exec-n", "700"]).lowRate)).toEqual({ n: 700, producers: 2, schedule: {} });
  });

  test("exec-pair pairs forkstat with pstat, then with each floor asked for, never three at once", () => {
    const m = (name: MonitorName) => ({ name }) as Monitor;
    const all = ["forkstat", "floor-bun", "floor-bun-source", "pstat", "pstat-usage"].map((n) => m(n as MonitorName));
    const together = all.filter((x) => !x.name.startsWith("floor"));
    const names = (groups: Monitor[][]) => groups.map((g) => g.map((x) => x.name));
    expect(names(lowRateGroups("exec-pair", together, all))).toEqual([
      ["forkstat", "pstat"],
      ["forkstat", "floor-bun-source"],
      ["forkstat", "floor-bun"],
    ]);
    expect(
      names(
        lowRateGroups(
          "exec-pair",
          together,
          all.filter((x) => !x.name.startsWith("floor")),
        ),
      ),
    ).toEqual([["forkstat", "pstat"]]);
    expect(names(lowRateGroups("exec-pair", [m("pstat")], [m("pstat"), m("floor-bun")]))).toEqual([["pstat"], ["floor-bun"]]);
    // the other scenarios run every monitor that runs together, at once
    expect(names(lowRateGroups("trickle", together, all))).toEqual([["forkstat", "pstat", "pstat-usage"]]);
  });

  test("--quick shortens them; each knob overrides", () => {
    const q = parseOptions(["--quick"]).lowRate;
    expect(q.warmupSeconds + q.trickleSeconds + q.bursts * q.burstGapSeconds).toBeLessThanOrEqual(15);
    const o = parseOptions(["--quick", "--warmup", "0", "--trickle-rate", "7", "--burst-gap", "1.5", "--scenarios", "trickle"]);
    expect(o.lowRate.warmupSeconds).toBe(0);
    expect(o.lowRate.trickleRate).toBe(7);
    expect(o.lowRate.burstGapSeconds).toBe(1.5);
    expect(o.scenarios).toEqual(["trickle"]);
    expect(parseOptions(["--paired-warmups", "2"]).lowRate.pairedWarmups).toBe(2);
    expect(parseOptions(["--paired-warmups", "0"]).lowRate.pairedWarmups).toBe(0);
  });

  test("unknown scenarios and bad numbers are refused", () => {
    expect(() => parseOptions(["--scenarios", "trickle,storm"])).toThrow(/unknown scenario storm/);
    expect(() => parseOptions(["--trickle-rate", "0"])).toThrow(/positive/);
    expect(() => parseOptions(["--warmup=-1"])).toThrow(/whole number/);
  });

  test("--help names every scenario and every low-rate flag", () => {
    for (const s of ALL_SCENARIOS) expect(USAGE).toMatch(new RegExp(`^  .*\\b${s}\\b`, "m"));
    for (const f of [
      "--scenarios",
      "--warmup",
      "--trickle-rate",
      "--trickle-seconds",
      "--bursts",
      "--burst-n",
      "--burst-producers",
      "--burst-gap",
      "--paired-warmups",
      "--quiet-wait",
    ])
      expect(USAGE).toContain(`  ${f} `);
  });
});

describe("paced load generator", () => {
  test("a trickle keeps its rate: 40 a second for 2 s is 80 processes in 2 s", async () => {
    const load = await runLoad(compileLoadgen(dir), "exec", 0, 0, join(dir, "trickle.pids"), 30_000, { rate: 40, seconds: 2 });
    expect(load.pids.length).toBe(80);
    expect(load.producerPids.length).toBe(1);
    expect(load.failed).toBe(0);
    expect(load.wallMs).toBeGreaterThan(1950);
    expect(load.wallMs).toBeLessThan(2500);
  });

  test("bursts over a trickle: every burst's processes, the trickle's, and the quiet after the last burst", async () => {
    const load = await runLoad(compileLoadgen(dir), "exec", 50, 2, join(dir, "bursts.pids"), 30_000, { bursts: 3, gapMs: 500, rate: 10 });
    // 3 bursts of 50, and 10 a second over the 1.5 s the bursts last
    expect(load.pids.length).toBe(3 * 50 + 15);
    expect(new Set(load.pids).size).toBe(load.pids.length);
    expect(load.producerPids.length).toBe(3);
    expect(load.wallMs).toBeGreaterThanOrEqual(1500);
  });

  test("a storm without a schedule is unchanged", async () => {
    const load = await runLoad(compileLoadgen(dir), "fork", 100, 2, join(dir, "storm.pids"), 30_000);
    expect(load.pids.length).toBe(100);
    expect(load.producerPids.length).toBe(2);
  });
});

describe("CPU clock", () => {
  // A thread burns 200 ms of CPU and ends; the main thread then waits to be measured.
  const SOURCE = `#include <pthread.h>
#include <time.h>
#include <unistd.h>
static void *burn(void *x) {
  struct timespec a, b;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
  do clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b); while ((b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec < 200000000L);
  return x;
}
int main(void) { pthread_t t; pthread_create(&t, 0, burn, 0); pthread_join(t, 0); write(1, "x", 1); sleep(10); return 0; }
`;

  test("counts the run time of a thread that has ended, which /proc/PID/task no longer lists", async () => {
    const src = join(dir, "ended-thread.c");
    writeFileSync(src, SOURCE);
    const bin = join(dir, "ended-thread");
    const r = Bun.spawnSync(["cc", "-O2", "-pthread", "-o", bin, src], { stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(r.stderr.toString());
    const proc = Bun.spawn([bin], { stdout: "pipe" });
    try {
      await proc.stdout.getReader().read(); // the thread has ended
      const all = processCpuNs(proc.pid);
      const live = [...(threadRuntimeNs(proc.pid)?.values() ?? [])].reduce((a, b) => a + b, 0);
      expect(all).toBeGreaterThanOrEqual(200e6);
      expect(live).toBeLessThan(100e6);
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
    }
    expect(processCpuNs(proc.pid)).toBeUndefined();
  });
});

describe("idle windows", () => {
  test("one count per repetition, in order, shared by the monitors of that window; none when not counted", () => {
    const r = (monitor: "forkstat" | "pstat", rep: number, otherForks?: number): IdleResult => ({ monitor, rep, seconds: 10, otherForks });
    expect(idleWindowsText([r("pstat", 2, 6), r("forkstat", 2, 6), r("pstat", 1, 0), r("forkstat", 1, 0)])).toBe(
      "idle windows: processes and threads the rest of the machine started in each (rep 1: 0, rep 2: 6)",
    );
    expect(idleWindowsText([r("pstat", 1)])).toBe("");
  });
});

describe("summary", () => {
  const correctness = (lost: number): Correctness => ({
    created: { fork: 100, exec: 100, exit: 100 },
    received: { fork: 100, exec: 100 - lost, exit: 100 },
    lost,
    reportedLost: 0,
    reportedLostUncounted: 0,
    forkNames: { right: 100, unknown: 0, wrong: 0 },
    execNames: { right: 90 - lost, unknown: 10, wrong: 0 },
    wrongNames: [],
    unparsed: 0,
    unparsedSample: [],
    printed: 300,
  });
  const run = (monitor: "forkstat" | "pstat", rep: number, cpuNs: number, vsForkstat: number, lost = 0): LowRateResult => ({
    scenario: "trickle",
    monitor,
    rep,
    processes: 100,
    loadEvents: 300,
    cpuNs,
    endedThreadsNs: monitor === "pstat" ? cpuNs / 4 : 0,
    nsPerProcess: cpuNs / 100,
    nsPerEvent: cpuNs / 300,
    vsForkstat,
    correctness: correctness(lost),
  });

  test("one row per scenario and monitor, the ratio to forkstat per repetition with its spread", () => {
    const rows = summariseLowRate([
      run("pstat", 1, 20e6, 2.0),
      run("forkstat", 1, 10e6, 1),
      run("pstat", 2, 18e6, 1.5, 2),
      run("forkstat", 2, 12e6, 1),
      run("pstat", 3, 33e6, 3.0),
      run("forkstat", 3, 11e6, 1),
    ]);
    expect(rows.map((r) => r.monitor)).toEqual(["forkstat", "pstat"]);
    const p = rows[1]!;
    expect(p.vsForkstat).toEqual({ median: 2, min: 1.5, max: 3, n: 3 });
    expect(p.nsPerProcess?.median).toBe(200_000);
    expect(p.cpuMs?.max).toBe(33);
    expect(p.endedThreadsPct?.median).toBe(25);
    expect(p.lost).toEqual({ median: 0, min: 0, max: 2, n: 3 });
    expect(p.execUnknownPct?.median).toBe(10);
  });

  test("usage-cost: pstat --usage's CPU over pstat's in the same window, per repetition", () => {
    const pair = (rep: number, plain: number, usage: number): LowRateResult[] => [
      { ...run("pstat", rep, plain, 0), scenario: "usage-cost", vsForkstat: undefined },
      { ...run("pstat", rep, usage, 0), monitor: "pstat-usage", scenario: "usage-cost", vsForkstat: undefined, vsPstat: usage / plain },
    ];
    const rows = summariseLowRate([...pair(1, 10e6, 14e6), ...pair(2, 20e6, 30e6), ...pair(3, 10e6, 13e6)]);
    expect(rows.map((r) => [r.scenario, r.monitor])).toEqual([
      ["usage-cost", "pstat"],
      ["usage-cost", "pstat-usage"],
    ]);
    expect(rows[0]!.vsPstat).toBeUndefined();
    expect(rows[1]!.vsPstat).toEqual({ median: 1.4, min: 1.3, max: 1.5, n: 3 });
  });
});
