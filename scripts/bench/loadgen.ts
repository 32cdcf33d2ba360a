// Builds and runs scripts/bench/loadgen.c, and reads back the PIDs it made.
import { readFileSync } from "node:fs";
import { compileC } from "./cc";
import { join, resolve } from "node:path";
import { exitedWithin, track } from "./proc";

export type Mode = "fork" | "exec";

export interface Load {
  mode: Mode;
  n: number;
  producers: number;
  wallMs: number;
  /** forks that failed and were retried, or children that did not exit 0 */
  failed: number;
  mainPid: number;
  producerPids: number[];
  /** every process the load created, in creation order per producer */
  pids: number[];
  /** how a monitor should name a fork child: the load generator's command line */
  cmdline: string;
}

const SOURCE = resolve(import.meta.dir, "loadgen.c");

export function compileLoadgen(dir: string): string {
  return compileC(SOURCE, join(dir, "loadgen"), "load generator");
}

export function parsePidFile(text: string, cmdline: string): Load {
  const lines = text.split("\n");
  const header = lines[0] ?? "";
  const kv = Object.fromEntries([...header.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
  const load: Load = {
    mode: kv.mode === "exec" ? "exec" : "fork",
    n: Number(kv.n),
    producers: Number(kv.producers),
    wallMs: Number(kv.wall_ns) / 1e6,
    failed: Number(kv.failed),
    mainPid: 0,
    producerPids: [],
    pids: [],
    cmdline,
  };
  for (const line of lines.slice(1)) {
    const [kind, pid] = line.split(" ");
    if (pid === undefined) continue;
    if (kind === "main") load.mainPid = Number(pid);
    else if (kind === "producer") load.producerPids.push(Number(pid));
    else load.pids.push(Number(pid));
  }
  return load;
}

/**
 * A load spread over time instead of a storm (loadgen.c's optional arguments): the storm
 * of n processes from the producers repeated `bursts` times, one every `gapMs`, and/or
 * one more producer making `rate` processes a second on a fixed schedule, for `seconds`
 * (or as long as the bursts last). n = producers = 0 with a rate is a trickle alone.
 */
export interface Schedule {
  bursts?: number;
  gapMs?: number;
  rate?: number;
  seconds?: number;
}

function scheduleArgs(s: Schedule): string[] {
  const args: string[] = [];
  if (s.bursts !== undefined) args.push(`bursts=${s.bursts}`);
  if (s.gapMs !== undefined) args.push(`gap_ms=${Math.round(s.gapMs)}`);
  if (s.rate !== undefined) args.push(`rate=${s.rate}`);
  if (s.seconds !== undefined) args.push(`seconds=${s.seconds}`);
  return args;
}

/** Runs one load to completion; a hung load generator is killed after `timeoutMs`. */
export async function runLoad(
  bin: string,
  mode: Mode,
  n: number,
  producers: number,
  pidFile: string,
  timeoutMs: number,
  schedule: Schedule = {},
): Promise<Load> {
  const argv = [bin, mode, String(n), String(producers), pidFile, ...scheduleArgs(schedule)];
  const proc = track(Bun.spawn(argv, { stdin: "ignore", stdout: "inherit", stderr: "inherit" }));
  if (!(await exitedWithin(proc, timeoutMs))) {
    proc.kill("SIGKILL");
    throw new Error(`load generator did not finish within ${timeoutMs / 1000} s`);
  }
  if (proc.exitCode !== 0) throw new Error(`load generator failed (exit ${proc.exitCode})`);
  return parsePidFile(readFileSync(pidFile, "utf8"), argv.join(" "));
}
