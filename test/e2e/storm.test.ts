// An exec storm on both cores, against the compiled binary and the real kernel: pstat must
// still name the programs, whose command lines are gone half a millisecond after their exec.
import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileLoadgen, runLoad } from "../../scripts/bench/loadgen";
import { rows, settle, startPstat } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "pstat-storm-"));
const N = 6000;
/**
 * Unnamed execs allowed. Measured here: 0.2 %; nice -20 alone (pstat before the short
 * scheduler slice) left 4.6 % unnamed on the same storm, and forkstat about 8 %.
 */
const MAX_UNNAMED = 0.01;

test(`exec storm of ${N} processes from 2 producers: every exec reported, at most ${MAX_UNNAMED * 100} % unnamed, none misnamed`, async () => {
  const loadgen = compileLoadgen(dir);
  const run = await startPstat(["-e", "exec"]);
  const load = await runLoad(loadgen, "exec", N, 2, join(dir, "pids"), 60_000);
  await settle();
  const done = await run.stop();
  expect(done.code).toBe(0);
  const children = load.pids.map(String);
  expect(children.length).toBe(N);
  const byPid = new Map(
    rows(done.stdout)
      .filter((r) => r.event === "exec")
      .map((r) => [r.pid, r.process]),
  );
  let unnamed = 0;
  for (const pid of children) {
    const name = byPid.get(pid);
    expect(name).toBeDefined(); // reported at all
    if (name === "<unknown>") unnamed++;
    else expect(name).toBe("/bin/true");
  }
  console.log(`exec storm: ${unnamed} of ${N} execs unnamed (${((100 * unnamed) / N).toFixed(2)} %)`);
  expect(unnamed / N).toBeLessThanOrEqual(MAX_UNNAMED);
}, 120_000);

test("pstat leaves out its own helper threads (the runtime's GC and JIT workers a storm starts)", async () => {
  // A storm and the collection a second after it make the runtime start threads in pstat;
  // the build before this rule reported 4 of their clone, comm and exit events here.
  const loadgen = compileLoadgen(dir);
  const run = await startPstat(["--json", "-e", "all"], { probe: true });
  await runLoad(loadgen, "exec", 4000, 2, join(dir, "pids-self"), 60_000);
  await Bun.sleep(2500);
  const done = await run.stop();
  expect(done.code).toBe(0);
  const self = run.proc.pid;
  const events = done.stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { event: string; pid: number; tgid: number });
  expect(events.length).toBeGreaterThan(12_000);
  expect(events.filter((e) => e.tgid === self && e.pid !== self)).toEqual([]);
}, 120_000);
