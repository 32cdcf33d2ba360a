// A soak of a million events in the compiled binary: memory stays flat and nothing is lost.
import { expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileLoadgen } from "../../scripts/bench/loadgen";
import { PSTAT } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "pstat-soak-"));
const loadgen = join(dir, "loadgen");
const soakgen = join(dir, "soakgen");
const WARMUP = 10_000;
const TOTAL = 500_000; // processes: a fork and an exit each, a million events
const BUDGET_KIB = 8 * 1024;

function rssKiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "latin1"))![1]);
}

/** RSS of a settled pstat: the median of 5 samples, since a garbage-collected heap moves a little. */
async function settledRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    await Bun.sleep(400);
    samples.push(rssKiB(pid));
  }
  return samples.sort((a, b) => a - b)[2]!;
}

async function load(n: number): Promise<void> {
  const p = Bun.spawn([soakgen, "fork", String(n), "2", join(dir, `pids-${n}`)], { stdout: "ignore", stderr: "inherit" });
  expect(await p.exited).toBe(0);
}

test(`${TOTAL * 2} events: RSS within 8 MiB of where it was after ${WARMUP} processes, every event reported`, async () => {
  expect(compileLoadgen(dir)).toBe(loadgen);
  // A name of its own: the machine is shared, and other loads (the bench) run loadgen too.
  copyFileSync(loadgen, soakgen);
  // Short names (-s -d) and statistics only (-q -j): every fork and exit is counted per name.
  const pstat = Bun.spawn([PSTAT, "-q", "-j", "-s", "-d", "-e", "fork,exit"], { stdout: "pipe", stderr: "pipe" });
  await Bun.sleep(500);
  await load(WARMUP);
  const early = await settledRss(pstat.pid);
  await load(TOTAL - WARMUP);
  const late = await settledRss(pstat.pid);
  pstat.kill("SIGINT");
  const out = await new Response(pstat.stdout).text();
  expect(await pstat.exited).toBe(0);
  const stats = JSON.parse(out.trim().split("\n").at(-1)!) as { event: string; lost: number; processes: { process: string; fork: number; exit: number }[] };
  expect(stats.event).toBe("statistics");
  expect(stats.lost).toBe(0);
  const lg = stats.processes.find((p) => p.process === "soakgen")!;
  // Each run: main forks 2 producers, they fork the children; every one of them exits.
  expect(lg.fork).toBe(TOTAL + 2 * 2);
  expect(lg.exit).toBe(TOTAL + 2 * 2 + 2);
  console.log(`soak: RSS ${(early / 1024).toFixed(1)} MiB after ${WARMUP}, ${(late / 1024).toFixed(1)} MiB after ${TOTAL}`);
  expect(late - early).toBeLessThanOrEqual(BUDGET_KIB);
}, 300_000);
