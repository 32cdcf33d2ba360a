// Command-line flags of `npm run bench`.
import { parseArgs } from "node:util";
import type { MonitorName } from "./monitors";
import { DEFAULT_PSTAT } from "./monitors";

export interface Options {
  reps: number;
  /** processes per fork-storm run */
  n: number;
  /** processes per exec-storm run (an exec costs about 4 forks) */
  execN: number;
  producers: number[];
  monitors: MonitorName[];
  idleSeconds: number;
  pstat: string;
  out: string;
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
(scripts/bench/floor.ts), compiled like pstat. Needs root and a C compiler.

  --reps N            repetitions of every run (default 3)
  --n N               processes per fork-storm run (default 20000)
  --exec-n N          processes per exec-storm run (default n/4)
  --producers LIST    producer processes in parallel, e.g. 2 or 2,1 (default 2,1)
  --monitors LIST     any of forkstat,extrace,floor,floor-bun,pstat,pstat-usage
                      (default all; pstat-usage is pstat --usage)
  --idle-seconds S    length of the idle CPU measurement (default 10)
  --pstat PATH        pstat binary (default dist/pstat)
  --out DIR           results directory (default bench-results)
  --quick             1 rep, 5000 forks, 1500 execs, 2 producers, 3 s idle
  --soak              pstat only: ~1M forked processes, RSS after 10k vs at the end
  --soak-n N          processes in the soak run (default 1000000)
  -h, --help          this text`;

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} wants a positive integer, got ${v}`);
  return n;
}

const ALL_MONITORS: MonitorName[] = ["forkstat", "extrace", "floor", "floor-bun", "pstat", "pstat-usage"];

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      reps: { type: "string" },
      n: { type: "string" },
      "exec-n": { type: "string" },
      producers: { type: "string" },
      monitors: { type: "string" },
      "idle-seconds": { type: "string" },
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
  const monitors = (values.monitors ?? ALL_MONITORS.join(",")).split(",").map((m) => {
    if (!ALL_MONITORS.includes(m as MonitorName)) throw new Error(`unknown monitor ${m}`);
    return m as MonitorName;
  });
  return {
    reps: positiveInt("reps", values.reps, quick ? 1 : 3),
    n,
    execN: positiveInt("exec-n", values["exec-n"], quick ? 1500 : Math.max(1, Math.round(n / 4))),
    producers,
    monitors,
    idleSeconds: positiveInt("idle-seconds", values["idle-seconds"], quick ? 3 : 10),
    pstat: values.pstat ?? DEFAULT_PSTAT,
    out: values.out ?? "bench-results",
    soak: values.soak === true,
    soakN: positiveInt("soak-n", values["soak-n"], 1_000_000),
    help: values.help === true,
  };
}
