// Taskstats against the real kernel, on the modules themselves (no pstat binary): root only.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { onlineCpus, TaskstatsSocket } from "../../src/kernel/taskstats";
import { UsageJoiner } from "../../src/usage/join";
import type { Usage, UsageRecord } from "../../src/usage/record";
import { copyUsage, decodeUsageRecord, newUsage, newUsageRecord } from "../../src/usage/record";

if (process.getuid?.() !== 0) throw new Error("the taskstats kernel tests need root: the kernel gives exit records only to root");

const PYTHON = "/usr/bin/python3";
const BUN = resolve(import.meta.dir, "../../node_modules/.bin/bun");
const ROOT = resolve(import.meta.dir, "../..");
const MiB = 1048576;

let sock: TaskstatsSocket;
let dir: string;

beforeAll(() => {
  const r = TaskstatsSocket.open();
  if (!r.ok) throw new Error(`taskstats: ${r.reason}`);
  sock = r.socket;
  dir = mkdtempSync(join(tmpdir(), "pstat-taskstats-"));
});

afterAll(() => {
  sock?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Copies of the records of the given pids (and of their thread groups), gathered until `done` or the timeout. */
async function recordsFor(match: (r: UsageRecord) => boolean, done: (got: UsageRecord[]) => boolean, timeoutMs = 3000): Promise<UsageRecord[]> {
  const got: UsageRecord[] = [];
  const scratch = newUsageRecord();
  const end = performance.now() + timeoutMs;
  for (;;) {
    sock.receive();
    sock.take((view, off, len) => {
      if (decodeUsageRecord(view, off, len, scratch) && match(scratch)) got.push(cloneRecord(scratch));
    });
    if (done(got) || performance.now() > end) return got;
    await Bun.sleep(5);
  }
}

function cloneRecord(r: UsageRecord): UsageRecord {
  const c = newUsageRecord();
  Object.assign(c, { ...r, task: copyUsage(newUsage(), r.task), group: copyUsage(newUsage(), r.group) });
  return c;
}

const cpu = (u: Usage) => u.user! + u.system!;

async function run(argv: string[]): Promise<{ pid: number; code: number | null; stdout: string }> {
  const p = Bun.spawn(argv, { stdout: "pipe", stderr: "inherit" });
  const stdout = await new Response(p.stdout).text();
  await p.exited;
  return { pid: p.pid, code: p.exitCode, stdout };
}

describe("registration", () => {
  test("the family is resolved, every online CPU registered, the big buffer granted", () => {
    expect(sock.familyId).toBeGreaterThan(0x10); // controller ids are dynamic, above GENL_ID_CTRL
    expect(sock.cpus).toBe(readFileSync("/sys/devices/system/cpu/online", "latin1").trim());
    expect(sock.cpus).toBe(onlineCpus());
    // root: SO_RCVBUFFORCE goes past net.core.rmem_max; the kernel reports twice what was set
    expect(sock.rcvbuf).toBe(2 * (32 << 20));
  });

  /** Runs TaskstatsSocket.open() in a separate bun under `wrap` (setpriv, unshare); its result. */
  function openUnder(wrap: string[]): { ok: boolean; reason?: string; errno?: number } {
    const sub = mkdtempSync(join(tmpdir(), "pstat-open-"));
    chmodSync(sub, 0o755); // readable by the user setpriv switches to
    const script = join(sub, "open.ts");
    writeFileSync(
      script,
      `import { TaskstatsSocket } from ${JSON.stringify(join(ROOT, "src/kernel/taskstats.ts"))};\n` +
        `const r = TaskstatsSocket.open();\nif (r.ok) r.socket.close();\n` +
        `console.log(JSON.stringify(r.ok ? { ok: true } : r));\n`,
    );
    chmodSync(script, 0o644);
    try {
      const p = Bun.spawnSync([...wrap, BUN, script], { cwd: sub, env: { ...process.env, HOME: sub } });
      expect(p.exitCode).toBe(0); // no exception, whatever the kernel said
      return JSON.parse(p.stdout.toString());
    } finally {
      rmSync(sub, { recursive: true, force: true });
    }
  }

  test("an ordinary user is refused with a clear reason, not an exception", () => {
    const r = openUnder(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]);
    expect(r.ok).toBe(false);
    expect(r.errno).toBe(1); // EPERM
    expect(r.reason).toBe("the kernel gives per-task accounting (taskstats) only to root or CAP_NET_ADMIN");
  });

  test("root in a PID namespace of its own (a container) is refused with a reason that says so", () => {
    const r = openUnder(["unshare", "--pid", "--fork"]);
    expect(r.ok).toBe(false);
    expect(r.errno).toBe(22); // EINVAL
    expect(r.reason).toContain("only to the host's user and PID namespaces");
  });

  test("a family the kernel does not have: the reason names CONFIG_TASKSTATS", () => {
    const r = TaskstatsSocket.open({ family: "PSTAT_NO_SUCH" });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errno).toBe(2); // ENOENT from the controller
    expect(r.reason).toBe("the kernel has no per-task accounting (built without CONFIG_TASKSTATS)");
  });
});

describe("exit records", () => {
  test("a child that burns CPU, touches 100 MiB, writes 10 MiB with fsync and exits 3", async () => {
    const file = join(dir, "out.bin");
    const child = await run([
      PYTHON,
      "-c",
      `import os, time
buf = bytearray(100 * 1024 * 1024)
for i in range(0, len(buf), 4096):
    buf[i] = 1
while time.process_time() < 0.3:
    pass
fd = os.open(${JSON.stringify(file)}, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
chunk = b"x" * (1024 * 1024)
for _ in range(10):
    os.write(fd, chunk)
os.fsync(fd)
os.close(fd)
t = os.times()
print(t.user + t.system, flush=True)
os._exit(3)`,
    ]);
    expect(child.code).toBe(3);
    const measured = Number(child.stdout.trim());
    expect(measured).toBeGreaterThan(0.25);
    const [r] = await recordsFor(
      (r) => r.pid === child.pid,
      (g) => g.length > 0,
    );
    expect(r).toBeDefined();
    const u = r!.task;
    expect(r!.tgid).toBe(child.pid);
    expect(r!.lastInGroup).toBe(true); // single-threaded: its only task is its last
    expect(r!.hasGroup).toBe(false);
    expect(u.exitCode).toBe(768);
    expect(Math.abs(cpu(u) - measured) / measured).toBeLessThan(0.2);
    expect(u.maxRss!).toBeGreaterThanOrEqual(100 * MiB);
    expect(u.writeBytes!).toBeGreaterThanOrEqual(10 * MiB);
    expect(u.writeChars!).toBeGreaterThanOrEqual(10 * MiB);
    expect(u.minorFaults!).toBeGreaterThan(25_000); // 100 MiB of 4 KiB pages touched
    expect(u.elapsed!).toBeGreaterThan(0.25);
    console.log(
      `[taskstats] child measured ${measured.toFixed(3)} s CPU, record ${cpu(u).toFixed(3)} s; max_rss ${(u.maxRss! / MiB).toFixed(1)} MiB; write_bytes ${(u.writeBytes! / MiB).toFixed(1)} MiB`,
    );
  });

  test("a multi-threaded child: the group total has every thread's CPU", async () => {
    const child = await run([
      PYTHON,
      "-c",
      `import os, threading, time
def burn(s):
    t0 = time.thread_time()
    while time.thread_time() - t0 < s:
        pass
ts = [threading.Thread(target=burn, args=(0.15,)) for _ in range(3)]
for t in ts:
    t.start()
burn(0.1)
for t in ts:
    t.join()
time.sleep(0.1)  # join returns before the thread's task has quite gone: let it, so the leader leaves last
t = os.times()
print(t.user + t.system, flush=True)
os._exit(0)`,
    ]);
    const measured = Number(child.stdout.trim());
    expect(measured).toBeGreaterThan(0.5);
    const got = await recordsFor(
      (r) => r.tgid === child.pid,
      (g) => g.some((r) => r.hasGroup),
    );
    const threads = got.filter((r) => r.pid !== child.pid);
    const leader = got.find((r) => r.pid === child.pid)!;
    expect(threads.length).toBe(3);
    expect(leader.hasGroup).toBe(true); // it joined its threads: it left last
    expect(leader.lastInGroup).toBe(true);
    expect(threads.every((r) => r.lastInGroup === false)).toBe(true);
    const group = cpu(leader.group);
    expect(Math.abs(group - measured) / measured).toBeLessThan(0.2);
    expect(cpu(leader.task)).toBeLessThan(group / 2);
    // the kernel's total is exactly the threads' own figures added up (µs)
    expect(got.reduce((n, r) => n + r.taskUserUs + r.taskSystemUs, 0)).toBe(leader.groupUserUs + leader.groupSystemUs);
    console.log(
      `[taskstats] threaded child measured ${measured.toFixed(3)} s CPU, group record ${group.toFixed(3)} s, leader alone ${cpu(leader.task).toFixed(3)} s`,
    );
  });

  test("a leader that exits while its threads run: the last thread brings the total, and the joiner gives it to the process", async () => {
    const child = await run([
      PYTHON,
      "-c",
      `import os, threading, time
def burn():
    while True:
        pass
for _ in range(2):
    threading.Thread(target=burn, daemon=True).start()
t0 = time.process_time()
while time.process_time() - t0 < 0.3:
    pass
os._exit(5)`,
    ]);
    expect(child.code).toBe(5);
    const got = await recordsFor(
      (r) => r.tgid === child.pid,
      (g) => g.some((r) => r.hasGroup),
    );
    const leader = got.find((r) => r.pid === child.pid)!;
    const last = got.find((r) => r.hasGroup)!;
    expect(got.length).toBe(3);
    expect(last).toBeDefined();
    expect(cpu(last.group)).toBeGreaterThan(0.25);
    expect(last.group.exitCode).toBe(5 << 8);

    // Feed them to the joiner in the order they came, the process's exit line pushed first.
    const out: (number | null)[] = [];
    const j = new UsageJoiner<{ pid: number }>({ make: () => ({ pid: 0 }), emit: (_line, u) => out.push(u === null ? null : cpu(u)) });
    j.pushExit(child.pid, child.pid, 0).pid = child.pid;
    for (const r of got) j.record(r, 0);
    j.release(0);
    expect(out.length).toBe(1);
    expect(out[0]).toBeCloseTo(cpu(last.group), 9);
    if (leader.pid !== last.pid) expect(leader.lastInGroup).toBe(false);
  });
});

describe("fork storm", () => {
  const N = 5000;

  async function storm(drainEveryMs: number): Promise<{ received: number; overflows: number; seconds: number; cpuUs: number }> {
    const overflows0 = sock.overflows;
    sock.receive();
    sock.take(() => {}); // start clean
    const scratch = newUsageRecord();
    let received = 0;
    let shPid = -1;
    let cpuUs = 0;
    const drain = () => {
      const c0 = process.cpuUsage();
      sock.receive();
      sock.take((view, off, len) => {
        if (decodeUsageRecord(view, off, len, scratch) && scratch.ppid === shPid) received++;
      });
      const c = process.cpuUsage(c0);
      cpuUs += c.user + c.system;
    };
    const t0 = performance.now();
    const p = Bun.spawn(["/bin/sh", "-c", `i=0; while [ $i -lt ${N} ]; do /bin/true; i=$((i+1)); done`], { stdout: "ignore" });
    shPid = p.pid;
    let exited = false;
    p.exited.then(() => (exited = true));
    while (!exited) {
      await Bun.sleep(drainEveryMs);
      drain();
    }
    const seconds = (performance.now() - t0) / 1000;
    const end = performance.now() + 500;
    while (received < N && performance.now() < end) {
      await Bun.sleep(10);
      drain();
    }
    return { received, overflows: sock.overflows - overflows0, seconds, cpuUs };
  }

  test(`${N} /bin/true: every exit has its record, nothing overflows`, async () => {
    const r = await storm(5);
    console.log(
      `[taskstats] storm of ${N}: ${r.received} records for ${N} exits in ${r.seconds.toFixed(2)} s (${Math.round(N / r.seconds)}/s), ` +
        `${r.overflows} overflows; receive+decode ${(r.cpuUs / Math.max(1, r.received)).toFixed(2)} µs CPU per record`,
    );
    expect(r.overflows).toBe(0);
    expect(r.received).toBe(N);
  }, 120_000);

  test("with a small buffer read late, the overflow is counted", async () => {
    sock.close();
    const small = TaskstatsSocket.open({ rcvbufBytes: 64 << 10 });
    if (!small.ok) throw new Error(small.reason);
    sock = small.socket;
    expect(sock.rcvbuf).toBe(128 << 10);
    const r = await storm(1000);
    console.log(`[taskstats] 64 KiB buffer read every second: ${r.received} of ${N} records, ${r.overflows} overflows`);
    expect(r.overflows).toBeGreaterThan(0);
    expect(r.received).toBeLessThan(N);
  }, 120_000);
});
