// Command-line flags of `npm run bench`.
import { parseArgs } from "node:util";
import type { MonitorName } from "./monitors";
import { DEFAULT_PSTAT } from "./monitors";

/**
 * The storms (fork, exec), the idle window, the low-rate loads (trickle, bursts), and two
 * paired storms: --usage's cost, pstat with and without it on one fork storm (usage-cost),
 * and pstat beside forkstat on one exec storm (exec-pair).
 */
export type ScenarioName = "fork" | "exec" | "idle" | LowRateName;

/** The scenarios scripts/bench/lowrate.ts runs, in the order they run and are reported. */
export const LOW_RATE_NAMES = ["trickle", "bursts", "usage-cost", "exec-pair"] as const;
export type LowRateName = (typeof LOW_RATE_NAMES)[number];

export const ALL_SCENARIOS: ScenarioName[] = ["fork", "exec", "idle", ...LOW_RATE_NAMES];

/** The scenarios where every monitor watches the same load at the same time. */
export interface LowRateOptions {
  /** seconds of trickle before the measured window, so no monitor is measured cold */
  warmupSeconds: number;
  /** processes a second of the trickle, alone and under the bursts */
  trickleRate: number;
  trickleSeconds: number;
  bursts: number;
  /** processes per burst, from burstProducers producers back to back */
  burstN: number;
  burstProducers: number;
  /** seconds from the start of one burst to the start of the next (the rest is quiet) */
  burstGapSeconds: number;
  /** longest wait, before each low-rate run, for the rest of the machine to go quiet */
  quietWaitSeconds: number;
  /** usage-cost: processes of its fork storm (--n); exec-pair: of its exec storm (--exec-n) */
  pairedN: number;
  pairedExecN: number;
  /** producers of both paired storms (the first of --producers) */
  pairedProducers: number;
  /** unmeasured storms of the same size before a paired storm's measured one */
  pairedWarmups: number;
}

export interface Options {
  scenarios: ScenarioName[];
  lowRate: LowRateOptions;
  reps: number;
  /** processes per fork-storm run */
  n: number;
  /** processes per exec-storm run (an exec costs about 4 forks) */
  execN: number;
  producers: number[];
  monitors: MonitorName[];
  idleSeconds: number;
  /** Seconds between the monitors' start and the idle window. */
  idleAfter: number;
  pstat: string;
  out: string;
  /** Processes of an unmeasured storm before each measured one. */
  stormWarmup: number;
  soak: boolean;
  soakN: number;
  help: boolean;
}

export const USAGE = `usage: npm run bench -- [flags]   (or: bun scripts/bench.ts [flags])

Runs the same synthetic fork and exec storms with no monitor, forkstat, extrace
and pstat, and compares their lost events, names, CPU per event, memory,
slowdown of the load, idle CPU and start-up time. "floor" is a reference, not a
product: scripts/bench/floor.c, the least an exec monitor must do (one wakeup
and one command-line read per exec); "floor-bun" is the same loop in Bun
(scripts/bench/floor.ts), compiled like pstat. The whole job's floors, a line
per fork, exec and exit at pstat's priority: "floor-bun-all" from one queue, a
wakeup per datagram; "floor-bun-source" from pstat's own event source (exec
watch, bulk in batches), pstat's design without its work per event. Needs root
and a C compiler.

Scenarios (--scenarios):
  fork, exec   storms: --n forks or --exec-n execs from each count of --producers,
               as fast as they go; each monitor alone, output to a file and to
               /dev/null
  idle         every monitor at once, no load, for --idle-seconds
  trickle      the rate most servers see: every monitor at once, on one load of
               --trickle-rate execs of /bin/true a second (a fixed schedule) for
               --trickle-seconds, after --warmup seconds of the same trickle
  bursts       --bursts bursts of --burst-n execs from --burst-producers
               producers, one every --burst-gap seconds (quiet in between), over
               a background trickle of --trickle-rate a second, after the warm-up
  usage-cost   pstat and pstat --usage at once on one fork storm of --n from the
               first of --producers, after the warm-up and --paired-warmups
               unmeasured storms:
               --usage's cost as a ratio per repetition, both monitors under the
               same load and machine (alone, each storm's noise is in the ratio)
  exec-pair    forkstat and pstat at once on one exec storm of --exec-n from the
               first of --producers, after the warm-up and --paired-warmups
               unmeasured storms:
               pstat's CPU over forkstat's per repetition, as usage-cost; then
               forkstat beside floor-bun-source and beside floor-bun the same
               way, one pair at a time, when --monitors lists them
  These four report CPU in ns of every thread the monitor had in the window,
  ended ones included (its POSIX CPU clock), per process and per event of the
  measured load, and each monitor's CPU over forkstat's (over pstat's, for
  usage-cost) in the same window; loss and names are scored as for the storms.

  --scenarios LIST    any of fork,exec,idle,trickle,bursts,usage-cost,exec-pair
                      (default all)
  --reps N            repetitions of every run (default 3)
  --n N               processes per fork-storm run (default 20000)
  --exec-n N          processes per exec-storm run (default n/4)
  --producers LIST    producer processes in parallel, e.g. 2 or 2,1 (default 2,1)
  --monitors LIST     any of forkstat,extrace,floor,floor-bun,floor-bun-all,
                      floor-bun-source,pstat,pstat-usage (default all;
                      pstat-usage is pstat --usage)
  --idle-seconds S    length of the idle CPU measurement (default 10)
  --idle-after S      seconds from the monitors' start to the idle window: the
                      tail of start-up is not idling (default 10; --quick 1)
  --pstat PATH        pstat binary (default dist/pstat)
  --out DIR           results directory (default bench-results)
  --warmup S          seconds of trickle before a low-rate window (default 10)
  --trickle-rate R    processes a second in trickle and under bursts (default 20)
  --trickle-seconds S length of the measured trickle (default 30)
  --bursts K          bursts in the bursts scenario (default 5)
  --burst-n N         processes per burst (default 300)
  --burst-producers P producers per burst (default 2)
  --burst-gap S       seconds from one burst's start to the next (default 4)
  --paired-warmups K  unmeasured storms before usage-cost's and exec-pair's
                      measured one (default 1; --usage's path is still being
                      compiled in the second storm after start, so 2 gives its
                      steady state)
  --quiet-wait S      before each low-rate run, wait up to S seconds until the
                      rest of the machine starts fewer than 50 processes a
                      second (or twice the trickle): a monitor pays for every
                      process on the machine (default 60; 0: do not wait)
  --storm-warmup N    before each measured storm, an unmeasured one of N
                      processes (same mode and producers): the figures are
                      then the steady state, JIT warm-up left out (default 0)
  --quick             1 rep, 5000 forks, 1500 execs, 2 producers, 3 s idle;
                      low rates: 2 s warm-up, 6 s trickle, 2 bursts 3 s apart
  --soak              pstat only: ~1M forked processes, RSS after 10k vs at the end
  --soak-n N          processes in the soak run (default 1000000)
  -h, --help          this text`;

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} wants a positive integer, got ${v}`);
  return n;
}

function positiveNumber(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} wants a positive number, got ${v}`);
  return n;
}

function nonNegativeInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} wants a whole number, got ${v}`);
  return n;
}

/** Every monitor, in the order they are reported. */
export const ALL_MONITORS: MonitorName[] = ["forkstat", "extrace", "floor", "floor-bun", "floor-bun-all", "floor-bun-source", "pstat", "pstat-usage"];

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenarios: { type: "string" },
      warmup: { type: "string" },
      "trickle-rate": { type: "string" },
      "trickle-seconds": { type: "string" },
      bursts: { type: "string" },
      "burst-n": { type: "string" },
      "burst-producers": { type: "string" },
      "burst-gap": { type: "string" },
      "quiet-wait": { type: "string" },
      "storm-warmup": { type: "string" },
      "paired-warmups": { type: "string" },
      reps: { type: "string" },
      n: { type: "string" },
      "exec-n": { type: "string" },
      producers: { type: "string" },
      monitors: { type: "string" },
      "idle-seconds": { type: "string" },
      "idle-after": { type: "string" },
      pstat: { type: "string" },
      out: { type: "string" },
      quick: { type: "boolean", default: false },
      soak: { type: "boolean", default: false },
      "soak-n": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const n = positiveInt("n", values.n, quick ? 5000 : 20000);
  const producers = (values.producers ?? (quick ? "2" : "2,1")).split(",").map((p) => positiveInt("producers", p, 2));
  const execN = positiveInt("exec-n", values["exec-n"], quick ? 1500 : Math.max(1, Math.round(n / 4)));
  const monitors = (values.monitors ?? ALL_MONITORS.join(",")).split(",").map((m) => {
    if (!ALL_MONITORS.includes(m as MonitorName)) throw new Error(`unknown monitor ${m}`);
    return m as MonitorName;
  });
  const scenarios = (values.scenarios ?? ALL_SCENARIOS.join(",")).split(",").map((s) => {
    if (!ALL_SCENARIOS.includes(s as ScenarioName)) throw new Error(`unknown scenario ${s} (have ${ALL_SCENARIOS.join(", ")})`);
    return s as ScenarioName;
  });
  const lowRate: LowRateOptions = {
    warmupSeconds: nonNegativeInt("warmup", values.warmup, quick ? 2 : 10),
    trickleRate: positiveInt("trickle-rate", values["trickle-rate"], 20),
    trickleSeconds: positiveInt("trickle-seconds", values["trickle-seconds"], quick ? 6 : 30),
    bursts: positiveInt("bursts", values.bursts, quick ? 2 : 5),
    burstN: positiveInt("burst-n", values["burst-n"], 300),
    burstProducers: positiveInt("burst-producers", values["burst-producers"], 2),
    burstGapSeconds: positiveNumber("burst-gap", values["burst-gap"], quick ? 3 : 4),
    quietWaitSeconds: nonNegativeInt("quiet-wait", values["quiet-wait"], quick ? 10 : 60),
    pairedN: n,
    pairedExecN: execN,
    pairedProducers: producers[0] ?? 2,
    pairedWarmups: nonNegativeInt("paired-warmups", values["paired-warmups"], 1),
  };
  if (lowRate.burstProducers > 64) throw new Error("--burst-producers is at most 64");
  return {
    scenarios,
    lowRate,
    reps: positiveInt("reps", values.reps, quick ? 1 : 3),
    n,
    execN,
    producers,
    monitors,
    idleSeconds: positiveInt("idle-seconds", values["idle-seconds"], quick ? 3 : 10),
    idleAfter: nonNegativeInt("idle-after", values["idle-after"], quick ? 1 : 10),
    pstat: values.pstat ?? DEFAULT_PSTAT,
    out: values.out ?? "bench-results",
    stormWarmup: nonNegativeInt("storm-warmup", values["storm-warmup"], 0),
    soak: values.soak === true,
    soakN: positiveInt("soak-n", values["soak-n"], 1_000_000),
    help: values.help === true,
  };
}
