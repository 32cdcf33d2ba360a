// An exec storm on both cores, against the compiled binary and the real kernel: pstat must
// still name the programs, whose command lines are gone half a millisecond after their exec.
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { rows, settle, startPstat } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "pstat-storm-"));
const loadgen = join(dir, "loadgen");
const N = 6000;
/**
 * Unnamed execs allowed. Measured here: 0.2 %; nice -20 alone (pstat before the short
 * scheduler slice) left 4.6 % unnamed on the same storm, and forkstat about 8 %.
 */
const MAX_UNNAMED = 0.01;

test(
  `exec storm of ${N} processes from 2 producers: every exec reported, at most ${MAX_UNNAMED * 100} % unnamed, none misnamed`,
  async () => {
    expect(Bun.spawnSync(["cc", "-O2", "-o", loadgen, resolve(import.meta.dir, "../scripts/bench/loadgen.c")]).exitCode).toBe(0);
    const run = await startPstat(["-e", "exec"]);
    const pidFile = join(dir, "pids");
    const load = Bun.spawn([loadgen, "exec", String(N), "2", pidFile], { stdout: "ignore", stderr: "inherit" });
    expect(await load.exited).toBe(0);
    await settle();
    const done = await run.stop();
    expect(done.code).toBe(0);
    const children = readFileSync(pidFile, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("exec "))
      .map((l) => l.slice(5));
    expect(children.length).toBe(N);
    const byPid = new Map(rows(done.stdout).filter((r) => r.event === "exec").map((r) => [r.pid, r.process]));
    let unnamed = 0;
    for (const pid of children) {
      const name = byPid.get(pid);
      expect(name).toBeDefined(); // reported at all
      if (name === "<unknown>") unnamed++;
      else expect(name).toBe("/bin/true");
    }
    console.log(`exec storm: ${unnamed} of ${N} execs unnamed (${((100 * unnamed) / N).toFixed(2)} %)`);
    expect(unnamed / N).toBeLessThanOrEqual(MAX_UNNAMED);
  },
  120_000,
);
