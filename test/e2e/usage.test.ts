// --usage and --summary with the compiled binary on the real kernel: the figures an exit
// line carries (against what the child measured itself), a threaded process's group total,
// a fork storm with nothing lost on either socket, the summary of a known tree, and an
// ordinary user's run, where the figures are missing and the reason is said once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileLoadgen, runLoad } from "../../scripts/bench/loadgen";
import { PSTAT, settle, startPstat } from "./helpers";

const PYTHON = "/usr/bin/python3";
const MiB = 1048576;
const NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"];
const REFUSED = "the kernel gives per-task accounting (taskstats) only to root or CAP_NET_ADMIN";

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pstat-usage-"));
  chmodSync(dir, 0o755);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Usage {
  user: number;
  system: number;
  max_rss: number;
  read_bytes: number;
  write_bytes: number;
  read_chars: number;
  write_chars: number;
  voluntary_switches: number;
  involuntary_switches: number;
  minor_faults: number | null;
  major_faults: number | null;
  cpu_delay: number | null;
}

interface Json {
  event: string;
  pid: number;
  tgid: number;
  thread?: boolean;
  exit_code?: number | null;
  usage?: Usage | null;
  [k: string]: unknown;
}

async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = Bun.spawn(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", ...env } });
  const [stdout, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  await p.exited;
  return { code: p.exitCode, stdout, stderr };
}

function json(stdout: string): Json[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Json);
}

/** A Python child that writes, to `report`, its own pid and CPU seconds (os.times: what getrusage says) just before it exits. */
function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `import os, sys, threading, time\nreport = sys.argv[1]\n${body}`);
  return path;
}

const FINISH = `t = os.times()
with open(report, "w") as f:
    f.write(f"{os.getpid()} {t.user + t.system}")
`;

function measured(report: string): { pid: number; cpu: number } {
  const [pid, cpu] = readFileSync(report, "utf8").split(" ");
  return { pid: Number(pid), cpu: Number(cpu) };
}

const cpuOf = (u: Usage) => u.user + u.system;

describe("an exit's figures", () => {
  const child = () =>
    script(
      "child.py",
      `buf = bytearray(100 * 1024 * 1024)
for i in range(0, len(buf), 4096):
    buf[i] = 1
while time.process_time() < 0.3:
    pass
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
chunk = b"x" * (1024 * 1024)
for _ in range(10):
    os.write(fd, chunk)
os.fsync(fd)
os.close(fd)
${FINISH}os._exit(3)
`,
    );

  test("a child burning 0.3 s of CPU, touching 100 MiB, writing 10 MiB with fsync and exiting 3 (JSON)", async () => {
    const report = join(dir, "child.report");
    const r = await run([PSTAT, "-j", "--usage", "--", PYTHON, child(), report, join(dir, "out.bin")]);
    expect(r.code).toBe(3);
    const me = measured(report);
    const exit = json(r.stdout).find((e) => e.event === "exit" && e.pid === me.pid)!;
    expect(exit).toBeDefined();
    expect(exit.exit_code).toBe(3);
    const u = exit.usage!;
    expect(u).not.toBeNull();
    console.log(
      `[usage] child measured ${me.cpu.toFixed(3)} s CPU, pstat says ${cpuOf(u).toFixed(3)} s; max_rss ${(u.max_rss / MiB).toFixed(1)} MiB; write_bytes ${(u.write_bytes / MiB).toFixed(1)} MiB`,
    );
    expect(me.cpu).toBeGreaterThan(0.25);
    expect(Math.abs(cpuOf(u) - me.cpu) / me.cpu).toBeLessThan(0.2);
    expect(u.max_rss).toBeGreaterThanOrEqual(100 * MiB);
    expect(u.write_bytes).toBeGreaterThanOrEqual(10 * MiB);
    expect(u.write_chars).toBeGreaterThanOrEqual(10 * MiB);
    expect(u.minor_faults!).toBeGreaterThan(25_000); // 100 MiB of 4 KiB pages
    expect(Object.keys(u).sort()).toEqual(
      [
        "user",
        "system",
        "max_rss",
        "read_bytes",
        "write_bytes",
        "read_chars",
        "write_chars",
        "voluntary_switches",
        "involuntary_switches",
        "minor_faults",
        "major_faults",
        "cpu_delay",
      ].sort(),
    );
    // Lines other than exits carry no usage.
    expect(json(r.stdout).filter((e) => e.event !== "exit" && "usage" in e)).toEqual([]);
  }, 30_000);

  test("text: the exit line shows cpu and rss in their own columns, the Process column stays aligned", async () => {
    const report = join(dir, "child-text.report");
    const r = await run([PSTAT, "--usage", "--", PYTHON, child(), report, join(dir, "out2.bin")]);
    expect(r.code).toBe(3);
    const me = measured(report);
    const lines = r.stdout.split("\n");
    const heading = lines.find((l) => l.startsWith("Time"))!;
    expect(heading).toMatch(/ Duration Usage {16}Process$/);
    const at = heading.indexOf("Process");
    const exit = lines.find((l) => / exit +\d+/.test(l) && l.includes(` ${me.pid} `))!;
    const exec = lines.find((l) => / exec +\d+/.test(l) && l.includes(` ${me.pid} `))!;
    const m = /cpu +(\d+\.\d\d)s rss +(\d+)M /.exec(exit);
    expect(m).not.toBeNull();
    expect(Math.abs(Number(m![1]) - me.cpu) / me.cpu).toBeLessThan(0.2);
    expect(Number(m![2])).toBeGreaterThanOrEqual(100);
    for (const line of [exit, exec]) expect(line.slice(at)).toStartWith(PYTHON);
    expect(exit.slice(at - 21, at)).toMatch(/^cpu {2}\d\.\d\ds rss {2}\d{3}M $/);
  }, 30_000);

  test("a multi-threaded child: its exit carries the whole group's CPU, each thread's exit its own", async () => {
    const report = join(dir, "threads.report");
    const threaded = script(
      "threads.py",
      `def burn(s):
    t0 = time.thread_time()
    while time.thread_time() - t0 < s:
        pass
ts = [threading.Thread(target=burn, args=(0.15,)) for _ in range(3)]
for t in ts:
    t.start()
burn(0.05)
for t in ts:
    t.join()
time.sleep(0.05)
${FINISH}os._exit(0)
`,
    );
    const r = await run([PSTAT, "-j", "--usage", "--", PYTHON, threaded, report]);
    expect(r.code).toBe(0);
    const me = measured(report);
    const events = json(r.stdout);
    const exit = events.find((e) => e.event === "exit" && e.pid === me.pid && !e.thread)!;
    const threads = events.filter((e) => e.event === "exit" && e.tgid === me.pid && e.thread);
    console.log(
      `[usage] threaded child measured ${me.cpu.toFixed(3)} s, its exit ${cpuOf(exit.usage!).toFixed(3)} s, threads ${threads.map((t) => cpuOf(t.usage!).toFixed(3)).join(" ")}`,
    );
    expect(me.cpu).toBeGreaterThan(0.4);
    expect(Math.abs(cpuOf(exit.usage!) - me.cpu) / me.cpu).toBeLessThan(0.2);
    expect(threads.length).toBe(3);
    for (const t of threads) expect(cpuOf(t.usage!)).toBeGreaterThan(0.1);
    for (const t of threads) expect(cpuOf(t.usage!)).toBeLessThan(0.25);
  }, 30_000);
});

/**
 * The exits of the load's children: each child's first exit after its fork by a producer
 * (other processes may reuse the PIDs meanwhile; an exit event's parent can read 0).
 */
function loadExits(events: Json[], load: { pids: number[]; producerPids: number[] }): Json[] {
  const pids = new Set(load.pids);
  const producers = new Set(load.producerPids);
  expect(pids.size).toBe(load.pids.length);
  const forked = new Set<number>();
  const exits: Json[] = [];
  for (const e of events) {
    if (e.event === "fork" && pids.has(e.pid) && producers.has(e.ppid as number)) forked.add(e.pid);
    else if (e.event === "exit" && forked.delete(e.pid)) exits.push(e);
  }
  return exits;
}

describe("exit_group", () => {
  test("a process that exits while its threads run: its exit carries the group's CPU (the total comes with the last thread)", async () => {
    const report = join(dir, "leader.report");
    const leader = script(
      "leader.py",
      // The threads burn, then wait (alive, idle) so that the CPU the child measures is all there is.
      `stop = threading.Event()
never = threading.Event()
def burn():
    while not stop.is_set():
        pass
    never.wait()
for _ in range(2):
    threading.Thread(target=burn, daemon=True).start()
while time.process_time() < 0.3:
    pass
stop.set()
time.sleep(0.05)
${FINISH}os._exit(5)
`,
    );
    for (let round = 0; round < 3; round++) {
      const r = await run([PSTAT, "-j", "--usage", "--", PYTHON, leader, report]);
      expect(r.code).toBe(5);
      const me = measured(report);
      const exit = json(r.stdout).find((e) => e.event === "exit" && e.pid === me.pid && !e.thread)!;
      expect(exit.exit_code).toBe(5);
      expect(exit.usage).not.toBeNull();
      expect(Math.abs(cpuOf(exit.usage!) - me.cpu) / me.cpu).toBeLessThan(0.2);
    }
  }, 60_000);
});

describe("a fork storm with --usage", () => {
  const N = 5000;

  test(`${N} processes from 2 producers: every exit has its usage, nothing lost on either socket`, async () => {
    const loadgen = compileLoadgen(dir);
    const run = await startPstat(["-j", "--usage", "-S", "-e", "fork,exit"], { probe: true });
    const load = await runLoad(loadgen, "fork", N, 2, join(dir, "pids"), 60_000);
    await settle();
    const done = await run.stop();
    expect(done.code).toBe(0);
    const events = json(done.stdout);
    const exits = loadExits(events, load);
    expect(exits.length).toBe(N);
    const without = exits.filter((e) => e.usage === null || e.usage === undefined);
    expect(without.length).toBe(0);
    // Each child touched a page or more and ran: its peak RSS is there.
    for (const e of exits) expect(e.usage!.max_rss).toBeGreaterThan(0);
    expect(events.filter((e) => e.event === "lost")).toEqual([]);
    const stats = events.find((e) => e.event === "statistics")!;
    expect([stats.lost, stats.usage_missing, stats.usage_overflows, stats.usage_malformed]).toEqual([0, 0, 0, 0]);
    expect(done.stderr).toBe("");
  }, 120_000);

  test("20,000 processes while pstat is stopped, then let go: the records wait for their exits, every exit has its usage", async () => {
    // The events and the records pile up in their sockets; pstat must take the records in
    // step with the exits, not all at once (it keeps fewer than that), or most exits would
    // go without figures although nothing was lost.
    const loadgen = compileLoadgen(dir);
    const run = await startPstat(["-j", "--usage", "-S", "-e", "fork,exit"], { probe: true });
    run.proc.kill("SIGSTOP");
    let load: Awaited<ReturnType<typeof runLoad>>;
    try {
      load = await runLoad(loadgen, "fork", 20_000, 2, join(dir, "pids-backlog"), 60_000);
    } finally {
      run.proc.kill("SIGCONT");
    }
    await Bun.sleep(3000);
    const done = await run.stop();
    expect(done.code).toBe(0);
    const events = json(done.stdout);
    const exits = loadExits(events, load);
    expect(exits.length).toBe(20_000);
    expect(exits.filter((e) => e.usage === null || e.usage === undefined).length).toBe(0);
    const stats = events.find((e) => e.event === "statistics")!;
    expect([stats.lost, stats.usage_overflows]).toEqual([0, 0]);
  }, 120_000);
});

describe("--summary", () => {
  // Three programs: sh, sleep twice, ls twice of which one fails (exit 2).
  const TREE = "/bin/sleep 0.01; /bin/sleep 0.01; /bin/ls / >/dev/null; /bin/ls /nonexistent 2>/dev/null; exit 0";

  test("text: the known tree's programs with the right counts and failures, the totals, the heaviest", async () => {
    const r = await run([PSTAT, "--summary", "--", "/bin/sh", "-c", TREE]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    // No event lines: the table instead.
    expect(lines[0]).toBe("Procs    CPU  Max RSS  Storage I/O  Failed  Program");
    const row = (program: string) => {
      const l = lines.find((x) => x.endsWith(`  ${program}`));
      expect(l).toBeDefined();
      const cells = l!.trim().split(/\s+/);
      return { procs: Number(cells[0]), cpu: cells[1]!, rss: cells[2]!, failed: Number(cells[4]) };
    };
    expect(row("sh")).toMatchObject({ procs: 1, failed: 0 });
    expect(row("sleep")).toMatchObject({ procs: 2, failed: 0 });
    expect(row("ls")).toMatchObject({ procs: 2, failed: 1 });
    expect(row("(total)")).toMatchObject({ procs: 5, failed: 1 });
    for (const p of ["sh", "sleep", "ls", "(total)"]) {
      expect(row(p).cpu).toMatch(/^\d+\.\d\ds$/);
      expect(row(p).rss).toMatch(/^\d+(\.\d)?[KM]$/);
    }
    expect(r.stdout).toContain(", 5 processes, 1 failed\n");
    expect(r.stdout).toContain("Heaviest (CPU, max RSS, PID, command line):\n");
    expect(r.stdout).toContain(`sh -c ${TREE}`);
    expect(r.stderr).toBe("");
  }, 30_000);

  test("JSON: one summary object with the same counts", async () => {
    const r = await run([PSTAT, "-j", "--summary", "--", "/bin/sh", "-c", TREE]);
    expect(r.code).toBe(0);
    const events = json(r.stdout);
    expect(events.length).toBe(1);
    const s = events[0]! as unknown as {
      event: string;
      processes: number;
      failures: number;
      cpu: number;
      usage_unavailable: string | null;
      programs: { program: string; processes: number; failures: number; cpu: number | null; max_rss: number | null }[];
      heaviest: { cmdline: string }[];
    };
    expect(s.event).toBe("summary");
    expect([s.processes, s.failures, s.usage_unavailable]).toEqual([5, 1, null]);
    const byName = Object.fromEntries(s.programs.map((p) => [p.program, [p.processes, p.failures]]));
    expect(byName).toEqual({ sh: [1, 0], sleep: [2, 0], ls: [2, 1] });
    for (const p of s.programs) expect(p.max_rss!).toBeGreaterThan(0);
    expect(s.heaviest.length).toBe(3);
  }, 30_000);

  test("--pid: the job is the processes followed, and it ends with their end", async () => {
    const job = Bun.spawn(["/bin/sh", "-c", "sleep 0.6; /bin/ls /nonexistent 2>/dev/null; exit 0"], { stdio: ["ignore", "ignore", "ignore"] });
    const r = await run([PSTAT, "-j", "--summary", "--pid", String(job.pid)]);
    await job.exited;
    expect(r.code).toBe(0);
    const s = json(r.stdout)[0] as unknown as { processes: number; failures: number; programs: { program: string; processes: number }[] };
    expect(s.processes).toBe(3);
    expect(s.failures).toBe(1);
    expect(s.programs.map((p) => p.program).sort()).toEqual(["ls", "sh", "sleep"]);
  }, 30_000);
});

describe("an ordinary user", () => {
  let pstat = "";
  beforeAll(() => {
    pstat = join(dir, "pstat");
    copyFileSync(PSTAT, pstat);
    chmodSync(pstat, 0o755);
  });
  const ENV = { PATH: "/usr/bin:/bin", HOME: "/", TMPDIR: "/tmp" };
  const times = (text: string, what: string) => text.split(what).length - 1;

  test("--usage: exits carry null figures, the reason is said once, pstat carries on", async () => {
    const r = await run([...NOBODY, pstat, "-j", "--usage", "-S", "--", "/bin/sh", "-c", "/bin/true; /bin/ls /nonexistent 2>/dev/null; exit 4"], ENV);
    expect(r.code).toBe(4);
    const events = json(r.stdout);
    const exits = events.filter((e) => e.event === "exit");
    expect(exits.length).toBe(3);
    for (const e of exits) expect(e.usage).toBeNull();
    expect(exits.map((e) => e.exit_code).sort()).toEqual([0, 2, 4]);
    expect(times(r.stderr, REFUSED)).toBe(1);
    expect(events.find((e) => e.event === "statistics")!.usage_unavailable).toBe(REFUSED);
  }, 30_000);

  test("--summary: processes and failures counted, CPU and memory unavailable (n/a, null), never 0, the reason once", async () => {
    const tree = ["/bin/sh", "-c", "/bin/true; /bin/ls /nonexistent 2>/dev/null; exit 0"];
    const text = await run([...NOBODY, pstat, "--summary", "--", ...tree], ENV);
    expect(text.code).toBe(0);
    // (A program gone before pstat, unprivileged and not at nice -20, read its name shows as <unknown>.)
    expect(text.stdout).toContain("    3  n/a      n/a          n/a       1  (total)\n");
    for (const line of text.stdout.split("\n").slice(1, 4)) expect(line).toMatch(/^ {4}1 {2}n\/a {6}n\/a {10}n\/a {7}[01] {2}\S+$/);
    expect(times(text.stdout + text.stderr, REFUSED)).toBe(1);
    const j = await run([...NOBODY, pstat, "-j", "--summary", "--", ...tree], ENV);
    const s = json(j.stdout)[0] as unknown as { processes: number; failures: number; cpu: null; max_rss: null; programs: { cpu: null; max_rss: null }[] };
    expect([s.processes, s.failures, s.cpu, s.max_rss]).toEqual([3, 1, null, null]);
    for (const p of s.programs) expect([p.cpu, p.max_rss]).toEqual([null, null]);
    expect(times(j.stdout + j.stderr, REFUSED)).toBe(1);
  }, 30_000);
});
