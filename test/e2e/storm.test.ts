// An exec storm on both cores, against the compiled binary and the real kernel: pstat must
// still name the programs, whose command lines are gone half a millisecond after their exec.
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileLoadgen, runLoad } from "../../scripts/bench/loadgen";
import { compileFloor } from "../../scripts/bench/monitors";
import { procConnectorSocket } from "../../scripts/bench/sys";
import { rows, settle, startPstat } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "pstat-storm-"));
const N = 6000;
/**
 * Unnamed execs allowed on a quiet machine. Measured here: 0.1–0.3 % (and 0.1–0.2 %
 * from a scratch build that skips raising its priority, 0.6 % from one without the
 * read-ahead: on this storm the exec's own turn still finds most command lines).
 */
const MAX_UNNAMED = 0.01;
/**
 * When the machine is not quiet (a VM whose host takes its CPUs away for milliseconds: a
 * fresh-clone CI run once saw 1.27 %, and three runs just after it 4–7 %), no monitor can
 * name programs that live half a millisecond, and the bound says nothing about pstat. A
 * reference on the same storm tells: the bench's C floor (a wakeup and a /proc read per
 * exec) at nice -20, which leaves 0.9–2.9 % unnamed on a quiet machine. A storm where it
 * leaves more than NOISY is run again, up to STORMS in all, and the first quiet one is
 * judged by MAX_UNNAMED. If none is quiet, pstat must come within NOISY_FACTOR of the
 * reference on the last: measured side by side with CPU hogs at SCHED_FIFO taking 1–3 ms
 * of every 2–8 on each CPU, pstat left 2.1–16.2 % unnamed and the floor 4.8–17.9 %, ratios
 * 0.27–1.09 (the more the hogs take, the closer: they stop both alike).
 */
const NOISY = 0.035;
const STORMS = 3;
const NOISY_FACTOR = 1.25;

/** The C floor at nice -20, subscribed before the storm; `stop` ends it and gives its lines. */
async function startReference(floor: string): Promise<{ stop: () => Promise<Map<string, string>> }> {
  const out = join(dir, "floor.out");
  const proc = Bun.spawn(["nice", "-n", "-20", floor], { stdin: "ignore", stdout: Bun.file(out), stderr: "inherit" });
  for (let i = 0; i < 200 && procConnectorSocket(proc.pid) === undefined; i++) await Bun.sleep(10);
  expect(procConnectorSocket(proc.pid)).toBeDefined();
  return {
    stop: async () => {
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(0);
      const names = new Map<string, string>();
      for (const line of readFileSync(out, "latin1").split("\n")) {
        const m = /^exec (\d+) (.*)$/.exec(line);
        if (m) names.set(m[1]!, m[2]!);
      }
      return names;
    },
  };
}

/** One storm under pstat and the reference: every exec reported and none misnamed (asserted), and how many each left unnamed. */
async function storm(loadgen: string, floor: string): Promise<{ unnamed: number; refUnnamed: number }> {
  const reference = await startReference(floor);
  const run = await startPstat(["-e", "exec"]);
  const load = await runLoad(loadgen, "exec", N, 2, join(dir, "pids"), 60_000);
  await settle();
  const done = await run.stop();
  const refNames = await reference.stop();
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
  const refUnnamed = children.filter((pid) => refNames.get(pid) !== "/bin/true").length;
  const pct = (n: number) => `${((100 * n) / N).toFixed(2)} %`;
  console.log(`exec storm: ${unnamed} of ${N} execs unnamed (${pct(unnamed)}); the C reader at nice -20: ${refUnnamed} (${pct(refUnnamed)})`);
  return { unnamed, refUnnamed };
}

test(`exec storm of ${N} processes from 2 producers: every exec reported, none misnamed, at most ${MAX_UNNAMED * 100} % unnamed on a quiet machine`, async () => {
  const loadgen = compileLoadgen(dir);
  const floor = compileFloor(dir);
  for (let k = 1; ; k++) {
    const { unnamed, refUnnamed } = await storm(loadgen, floor);
    if (refUnnamed / N <= NOISY) {
      expect(unnamed / N).toBeLessThanOrEqual(MAX_UNNAMED);
      return;
    }
    if (k === STORMS) {
      console.log(`no quiet storm in ${STORMS}: pstat is held to the C reader's figure`);
      expect(unnamed).toBeLessThanOrEqual(NOISY_FACTOR * refUnnamed);
      return;
    }
    console.log("the machine is noisy (the C reader missed more than it does on a quiet one): again");
  }
}, 300_000);

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
