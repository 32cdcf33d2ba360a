// What --context costs on an exec storm. One pstat per configuration runs at the same time
// as the others, so all receive the same events (the load's, and whatever else the machine
// runs meanwhile); the difference in their CPU (utime + stime of the whole thread group,
// from /proc/PID/stat) over the load is what the option adds. Method and results:
// docs/context.md.
//
//   bun scripts/bench/context.ts [N=20000] [REPS=5] [BASELINE,CONFIG,...]   (default: plain,context)
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { compileLoadgen, runLoad } from "./loadgen";
import { clkTck, cpuTicks } from "./sys";

const PSTAT = resolve(import.meta.dir, "../../dist/pstat");
const N = Number(process.argv[2] ?? 20000);
const REPS = Number(process.argv[3] ?? 5);

/** The configurations, written to a file as a log would be kept. */
const CONFIGS: Record<string, string[]> = {
  plain: [],
  context: ["--context"],
  "show-cgroup": ["--show-cgroup"],
  "show-ancestry": ["--show-ancestry"],
  "show-cwd": ["--show-cwd"],
  "show-login": ["--show-login"],
  // Reads and parses the cgroup at every exec and excludes nothing: the read's cost alone.
  "exclude-cgroup": ["--exclude-cgroup", "/pstat-bench-no-such-cgroup/**"],
  json: ["-j"],
  "json-context": ["-j", "--context"],
};
const NAMES = (process.argv[4] ?? "plain,context").split(",");
for (const n of NAMES) if (!(n in CONFIGS)) throw new Error(`unknown configuration ${n} (${Object.keys(CONFIGS).join(", ")})`);

interface Sample {
  cpuMs: number;
  /** Event lines (context lines not counted) the baseline wrote over the same time, and the execs among them. */
  events: number;
  execs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
};

async function rep(dir: string, loadgen: string, r: number): Promise<Record<string, Sample>> {
  const outs = NAMES.map((name) => join(dir, `${name.replace(/\W/g, "")}-${r}.txt`));
  const procs: Subprocess[] = NAMES.map((name, i) => Bun.spawn([PSTAT, ...CONFIGS[name]!, "-o", outs[i]!], { stdio: ["ignore", "ignore", "inherit"] }));
  try {
    // Subscribed once a probe's exec is written by the baseline (the others get a pause more).
    for (let i = 0; i < 200 && !/ exec |"exec"/.test(text(outs[0]!)); i++) {
      await Bun.spawn(["/bin/true"]).exited;
      await sleep(20);
    }
    await sleep(500);
    const lines0 = text(outs[0]!).split("\n").length;
    const before = procs.map((p) => cpuTicks(p.pid)!);
    const load = await runLoad(loadgen, "exec", N, 1, join(dir, "pids"), 300_000);
    // Drained: the baseline has written the load generator's own exit (the last of its
    // processes to end); then a moment for the others, which received the same events.
    const done = new RegExp(` exit +${load.mainPid} |"exit","pid":${load.mainPid},`);
    for (let i = 0; i < 600 && !done.test(text(outs[0]!)); i++) await sleep(100);
    await sleep(500);
    const after = procs.map((p) => cpuTicks(p.pid)!);
    const window = text(outs[0]!)
      .split("\n")
      .slice(lines0 - 1)
      .filter((l) => /^\d{4}\/|^\{/.test(l));
    const events = window.length;
    const execs = window.filter((l) => /^\S+ \S+ exec |^\{"time":"[^"]*","event":"exec"/.test(l)).length;
    const result: Record<string, Sample> = {};
    NAMES.forEach((name, i) => {
      result[name] = { cpuMs: ((after[i]! - before[i]!) / clkTck()) * 1000, events, execs };
    });
    return result;
  } finally {
    for (const p of procs) p.kill("SIGINT");
    await Promise.all(procs.map((p) => p.exited));
    for (const o of outs) rmSync(o, { force: true });
  }
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return `${median.toFixed(1)} (${s[0]!.toFixed(1)} to ${s.at(-1)!.toFixed(1)})`;
}

const dir = mkdtempSync(join(tmpdir(), "pstat-bench-context-"));
try {
  const loadgen = compileLoadgen(dir);
  const reps: Record<string, Sample>[] = [];
  for (let r = 0; r < REPS; r++) {
    const s = await rep(dir, loadgen, r);
    reps.push(s);
    const base = s[NAMES[0]!]!;
    console.log(
      `rep ${r}: ${base.events} event lines, ${base.execs} execs; CPU ms: ${NAMES.map((n) => `${n} ${s[n]!.cpuMs.toFixed(0)}`).join(", ")}; added µs per load process: ${NAMES.slice(
        1,
      )
        .map((n) => `${n} ${(((s[n]!.cpuMs - base.cpuMs) * 1000) / N).toFixed(1)}`)
        .join(", ")}`,
    );
  }
  console.log(`\n${N} execs of /bin/true per repetition, ${REPS} repetitions; median (min to max)`);
  const base = NAMES[0]!;
  console.log(
    `${base.padEnd(14)} CPU per load process ${stats(reps.map((s) => (s[base]!.cpuMs * 1000) / N))} µs; per event line ${stats(reps.map((s) => (s[base]!.cpuMs * 1000) / s[base]!.events))} µs`,
  );
  for (const n of NAMES.slice(1)) {
    const added = reps.map((s) => ((s[n]!.cpuMs - s[base]!.cpuMs) * 1000) / N);
    const perEvent = reps.map((s) => ((s[n]!.cpuMs - s[base]!.cpuMs) * 1000) / s[base]!.events);
    const perExec = reps.map((s) => ((s[n]!.cpuMs - s[base]!.cpuMs) * 1000) / s[base]!.execs);
    const ratio = reps.map((s) => (s[n]!.cpuMs / s[base]!.cpuMs - 1) * 100);
    console.log(
      `${n.padEnd(14)} added per load process ${stats(added)} µs; per exec seen ${stats(perExec)} µs; per event line ${stats(perEvent)} µs; ${stats(ratio)} % over ${base}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
