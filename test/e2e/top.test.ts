// `pstat top` without a terminal, through the compiled binary on the real kernel: batch
// snapshots as text and JSON rank known spawners by their true rates, a fork storm is
// counted whole with nothing lost, a known CPU burner's children show their CPU and peak
// memory (root), an ordinary user can run it (accounting unavailable, said once), and
// usage errors are one line.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileLoadgen, runLoad } from "../../scripts/bench/loadgen";
import { jsonLines, PSTAT, runToEnd, startPstat } from "./helpers";
import { type Spawner, SpawnerDir } from "./spawner";

/** A uid nothing else on the machine runs as, so that -u leaves only the spawners. */
const UID = 47017;
const AS_UID = ["setpriv", `--reuid=${UID}`, `--regid=${UID}`, "--clear-groups"];
const NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"];

let dir: SpawnerDir;
let fast: Spawner;
let slow: Spawner;

beforeAll(async () => {
  dir = new SpawnerDir();
  fast = dir.start(`fast${process.pid}`, 50, AS_UID);
  slow = dir.start(`slow${process.pid}`, 10, AS_UID);
  await Promise.all([fast.sample(), slow.sample()]);
});

afterAll(() => dir?.close());

const top = (args: string[]) => runToEnd([PSTAT, "top", ...args]);

/** While `fn` runs, each spawner's true rate from its own count. */
async function truthDuring<T>(fn: () => Promise<T>): Promise<{ result: T; fast: number; slow: number }> {
  const [f0, s0] = [await fast.sample(), await slow.sample()];
  const result = await fn();
  const [f1, s1] = [await fast.sample(), await slow.sample()];
  const rate = (a: { n: number; us: number }, b: { n: number; us: number }) => ((b.n - a.n) * 1e6) / (b.us - a.us);
  return { result, fast: rate(f0, f1), slow: rate(s0, s1) };
}

const near = (value: number, truth: number) => Math.abs(value - truth) / truth <= 0.2;

const REFUSED = "the kernel gives per-task accounting (taskstats) only to root or CAP_NET_ADMIN";
/** Children the burner runs one after the other, each burning 0.3 s of CPU. */
const BURNS = 3;
/** Before the burner starts: the time pstat takes to subscribe (both sockets), with room to spare. */
const SUBSCRIBE_MS = 300;

/**
 * Runs `fn` (a pstat run) with a known burner going: a copy of bash named `burnerPID`
 * (the key of its row by parent) that runs `count` Python children in a row, each busy
 * for 0.3 s of its own CPU (system python: readable by every user) and then ending.
 */
async function whileBurning<T>(count: number, fn: (burner: { key: string }) => Promise<T>): Promise<T> {
  const exe = join(dir.path, `burner${process.pid}`);
  copyFileSync(join(dir.path, "bash"), exe);
  chmodSync(exe, 0o755);
  const burn = join(dir.path, "burn.py");
  writeFileSync(burn, "import time\nwhile time.process_time() < 0.3:\n    pass\n", { mode: 0o644 });
  // Nothing but the Python children: the loop's words are written out, not made by seq.
  const argv = [exe, "-c", `for i in ${Array.from({ length: count }, (_, i) => i + 1).join(" ")}; do /usr/bin/python3 ${burn}; done`];
  const running = fn({ key: argv.join(" ") });
  await Bun.sleep(SUBSCRIBE_MS);
  const burner = Bun.spawn(argv, { stdio: ["ignore", "ignore", "inherit"], env: { PATH: "/usr/bin:/bin", LANG: "C" } });
  try {
    return await running;
  } finally {
    burner.kill("SIGKILL");
  }
}

describe("batch mode", () => {
  test("-b -n 2 -u UID: two plain-text snapshots, the spawners ranked by their true rates", async () => {
    const { result: r, fast: fastRate, slow: slowRate } = await truthDuring(() => top(["-b", "-n", "2", "-d", "1", "-u", String(UID)]));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).not.toContain("\x1b");
    const snaps = r.stdout.trimEnd().split("\n\n");
    expect(snaps.length).toBe(2);
    for (const s of snaps) {
      const lines = s.split("\n");
      // As root the accounting is there: no "unavailable" note, nothing on stderr.
      expect(lines[0]).toMatch(/^pstat top: .* 0 lost, .*by parent$/);
      expect(lines[1]).toMatch(/^ +START\/s▼ +AVG\/s +EXEC\/s +EXITS +FAIL +LIVE +CPU +MAXRSS PARENT$/);
      expect(lines.length).toBe(4);
      expect(lines[2]!.endsWith(fast.key)).toBe(true);
      expect(lines[3]!.endsWith(slow.key)).toBe(true);
      const [fastShown, slowShown] = [lines[2]!, lines[3]!].map((l) => Number(l.trim().split(/\s+/)[0]));
      expect(near(fastShown!, fastRate)).toBe(true);
      expect(near(slowShown!, slowRate)).toBe(true);
      // CPU and MAXRSS of the /bin/true children that ended in the interval.
      expect(lines[2]).toMatch(/ \d+\.\d\ds +[\d.]+[KM] /);
    }
  }, 30_000);

  test("-j -n 2 --pid: one JSON object per snapshot that parses, the spawners first and second", async () => {
    const {
      result: r,
      fast: fastRate,
      slow: slowRate,
    } = await truthDuring(() => top(["-j", "-n", "2", "-d", "1", "--pid", `${fast.proc.pid},${slow.proc.pid}`]));
    expect(r.code).toBe(0);
    // biome-ignore lint/suspicious/noExplicitAny: the JSON is checked field by field
    const objs = jsonLines(r.stdout) as any[];
    expect(objs.length).toBe(2);
    for (const o of objs) {
      expect(o).toMatchObject({ event: "top", grouping: "parent", sort: "rate", filter: null, usage_available: true });
      expect(Number.isNaN(Date.parse(o.time))).toBe(false);
      expect(o.interval).toBeGreaterThan(0.9);
      expect(o.totals).toMatchObject({ lost: 0, lost_unknown: false, lost_total: 0 });
      expect(o.history.length).toBe(60);
      expect(o.groups.map((g: { key: string }) => g.key)).toEqual([fast.key, slow.key]);
      const [f, s] = o.groups;
      expect(near(f.procs_per_sec, fastRate)).toBe(true);
      expect(near(s.procs_per_sec, slowRate)).toBe(true);
      // Each start is an exec of /bin/true and an exit with status 0.
      expect(Math.abs(f.execs - f.started)).toBeLessThanOrEqual(1);
      expect(f.failed).toBe(0);
      // /bin/true costs next to no CPU (a few ms a second in all), but measured: a number, never null.
      expect(f.cpu_seconds).toBeGreaterThanOrEqual(0);
      expect(f.cpu_seconds).toBeLessThan(0.5);
      expect(f.max_rss).toBeGreaterThan(0);
    }
  }, 30_000);

  test("a fork storm is counted whole, nothing lost", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "pstat-top-storm-"));
    try {
      const loadgen = compileLoadgen(tmp);
      const run = await startPstat(["top", "-j", "-d", "1"], { ready: '"event":"top"' });
      const load = await runLoad(loadgen, "fork", 20_000, 2, join(tmp, "pids"), 60_000);
      // Two more snapshots: everything the load did is in one of them.
      await Bun.sleep(2200);
      const done = await run.stop("SIGINT");
      expect(done.code).toBe(0);
      // biome-ignore lint/suspicious/noExplicitAny: the JSON is checked field by field
      const objs = jsonLines(done.stdout) as any[];
      expect(objs.length).toBeGreaterThanOrEqual(4);
      let started = 0;
      let exits = 0;
      let missing = 0;
      for (const o of objs) {
        expect(o.totals).toMatchObject({ lost: 0, lost_unknown: false });
        const g = o.groups.find((x: { key: string }) => x.key === load.cmdline);
        started += g?.started ?? 0;
        exits += g?.exits ?? 0;
        missing += g?.usage_missing ?? 0;
      }
      expect(objs.at(-1).totals.lost_total).toBe(0);
      // The producers and their children, all started by the load generator's command line.
      console.log(
        `fork storm: ${started} starts and ${exits} exits counted of ${load.n + load.producers}, ${missing} without accounting, in ${load.wallMs.toFixed(0)} ms`,
      );
      expect(started).toBe(load.n + load.producers);
      expect(exits).toBe(load.n + load.producers);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);

  test("an ordinary user runs it: the same view, accounting unavailable", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "pstat-top-unpriv-"));
    try {
      chmodSync(tmp, 0o755);
      const pstat = join(tmp, "pstat");
      copyFileSync(PSTAT, pstat);
      chmodSync(pstat, 0o755);
      const r = await runToEnd([...NOBODY, pstat, "top", "-j", "-n", "2", "-d", "1", "-u", String(UID)], { env: { PATH: "/usr/bin:/bin", HOME: "/" } });
      expect(r.code).toBe(0);
      // Without root the receive buffer is capped; said once, not fatal.
      const complaints = r.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("pstat: warning: "));
      expect(complaints).toEqual([]);
      // biome-ignore lint/suspicious/noExplicitAny: the JSON is checked field by field
      const objs = jsonLines(r.stdout) as any[];
      expect(objs.length).toBe(2);
      for (const o of objs) {
        expect(o.usage_available).toBe(false);
        expect(o.groups.map((g: { key: string }) => g.key)).toEqual([fast.key, slow.key]);
        expect(o.groups[0].procs_per_sec).toBeGreaterThan(30);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 30_000);

  test("-j -n 2 -d 1 while a known burner runs: its children's CPU and peak memory", async () => {
    const r = await whileBurning(BURNS, (burner) => top(["-j", "-n", "2", "-d", "1"]).then((r) => ({ r, key: burner.key })));
    expect(r.r.code).toBe(0);
    expect(r.r.stderr).toBe("");
    // biome-ignore lint/suspicious/noExplicitAny: the JSON is checked field by field
    const objs = jsonLines(r.r.stdout) as any[];
    expect(objs.length).toBe(2);
    let exits = 0;
    let cpu = 0;
    for (const o of objs) {
      expect(o.usage_available).toBe(true);
      const g = o.groups.find((x: { key: string }) => x.key === r.key);
      if (g === undefined || g.exits === 0) continue;
      console.log(`burner: ${g.exits} exits, cpu_seconds ${g.cpu_seconds}, max_rss ${(g.max_rss / 1048576).toFixed(1)} MiB, usage_missing ${g.usage_missing}`);
      // Each child burned 0.3 s of its own CPU before it ended.
      expect(g.cpu_seconds).toBeGreaterThan(0.2 * g.exits);
      expect(g.cpu_seconds).toBeLessThan(0.6 * g.exits);
      expect(g.max_rss).toBeGreaterThan(1048576); // a Python interpreter: several MiB
      expect(g.usage_missing).toBe(0);
      exits += g.exits;
      cpu += g.cpu_seconds;
    }
    expect(exits).toBeGreaterThanOrEqual(1);
    expect(cpu).toBeGreaterThan(0.2);
  }, 30_000);

  test("the same as nobody: CPU and memory null, said once on stderr, the view as usual", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "pstat-top-unpriv-"));
    try {
      chmodSync(tmp, 0o755);
      const pstat = join(tmp, "pstat");
      copyFileSync(PSTAT, pstat);
      chmodSync(pstat, 0o755);
      const r = await whileBurning(BURNS, (burner) =>
        runToEnd([...NOBODY, pstat, "top", "-j", "-n", "2", "-d", "1"], { env: { PATH: "/usr/bin:/bin", HOME: "/" } }).then((r) => ({ r, key: burner.key })),
      );
      expect(r.r.code).toBe(0);
      const lines = r.r.stderr.split("\n").filter((l) => l !== "");
      expect(lines.filter((l) => l === `pstat: warning: no CPU or memory figures: ${REFUSED}`).length).toBe(1);
      // The rest: the receive buffer's cap, said once, not fatal.
      expect(lines.filter((l) => !l.startsWith("pstat: warning: ")).length).toBe(0);
      // biome-ignore lint/suspicious/noExplicitAny: the JSON is checked field by field
      const objs = jsonLines(r.r.stdout) as any[];
      expect(objs.length).toBe(2);
      let exits = 0;
      for (const o of objs) {
        expect(o.usage_available).toBe(false);
        for (const g of o.groups) expect([g.cpu_seconds, g.max_rss, g.usage_missing]).toEqual([null, null, 0]);
        exits += o.groups.find((x: { key: string }) => x.key === r.key)?.exits ?? 0;
      }
      // The burner's children were seen ending all the same.
      expect(exits).toBeGreaterThanOrEqual(1);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 30_000);

  test("a reader that goes away ends it quietly", async () => {
    const r = await runToEnd(["bash", "-c", `${PSTAT} top -b -d 0.1 | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`]);
    expect(r.stdout.trim()).toBe("0");
    expect(r.stderr).toBe("");
  }, 30_000);
});

describe("usage errors: exit 2, one line on stderr, nothing on stdout, before subscribing", () => {
  test("bad command lines", async () => {
    const bad = [["-d", "0"], ["-d"], ["-n", "0"], ["-x"], ["foo"], ["-u", "no-such-user-pstat-test"], ["--comm", "("], ["--batch=1"]];
    const results = await Promise.all(bad.map((args) => top(args)));
    for (const r of results) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^pstat: [^\n]+ \(see pstat top --help\)\n$/);
    }
  }, 30_000);

  test("--help: top's own options on stdout, status 0", async () => {
    const r = await top(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("Usage: pstat top [OPTIONS]");
    expect(r.stdout).toContain("-d, --delay SECONDS");
  });
});
