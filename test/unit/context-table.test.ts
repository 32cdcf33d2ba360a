// The process table's context cache, on this test's own processes (no root needed): read
// with the entry, shared by a fork child without a read, re-read at exec without touching
// the parent's, and not read at all when the plan reads none.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { Clock } from "../../src/clock";
import type { ExecEvent, ForkEvent } from "../../src/events/types";
import type { ProcReads } from "../../src/plan";
import { ProcessTable } from "../../src/proc/table";

const clock = new Clock();
const dir = mkdtempSync(join(tmpdir(), "pstat-context-table-"));
const procs: Subprocess[] = [];
afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  rmSync(dir, { recursive: true, force: true });
});

const READS: ProcReads = { stat: true, execStat: false, uids: false, execUids: false, cgroup: true, cwd: true, loginuid: true };

function table(reads: ProcReads = READS): ProcessTable {
  return new ProcessTable({ mode: { comm: false, short: false, dirstrip: false }, reads, tracking: true, clock });
}

function spawn(argv: string[], cwd: string): Subprocess {
  const p = Bun.spawn(argv, { cwd, stdio: ["ignore", "ignore", "ignore"] });
  procs.push(p);
  return p;
}

async function waitForComm(pid: number, comm: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await Bun.file(`/proc/${pid}/comm`).text()).trim() === comm) return;
    await Bun.sleep(10);
  }
  throw new Error(`${pid} never became ${comm}`);
}

/** A PID no process has now. */
function freePid(): number {
  for (let pid = 4_000_000; ; pid--) if (!existsSync(`/proc/${pid}`)) return pid;
}

const fork = (pid: number, parent: number): ForkEvent => ({
  kind: "fork",
  cpu: 0,
  seq: 0,
  ts: clock.nowMono(),
  pid,
  tgid: pid,
  parentPid: parent,
  parentTgid: parent,
});

describe("the context cache", () => {
  test("read with the entry; a fork child shares it without a read; exec re-reads it", async () => {
    const a = join(dir, "a");
    const b = join(dir, "b");
    mkdirSync(a);
    mkdirSync(b);
    const parent = spawn(["sleep", "60"], a);
    const t = table();
    const p = t.get(parent.pid);
    expect(p.ctx).not.toBeNull();
    expect(p.ctx!.cwd).toBe(a);
    expect(p.ctx!.cgroup).not.toBeNull();

    // A child whose /proc entry does not exist: had the table read it, its cwd would be null.
    const child = t.fork(fork(freePid(), parent.pid));
    expect(child.ctx).toBe(p.ctx);

    // A real process the table takes for the parent's child, then sees exec in another directory.
    const q = spawn(["sh", "-c", `cd ${b} && exec sleep 60`], a);
    t.fork(fork(q.pid, parent.pid));
    expect(t.get(q.pid).ctx!.cwd).toBe(a); // inherited, not read
    await waitForComm(q.pid, "sleep");
    const ts = clock.nowMono();
    t.prefetchExec(q.pid, ts);
    const e: ExecEvent = { kind: "exec", cpu: 0, seq: 0, ts, pid: q.pid, tgid: q.pid };
    const after = t.exec(e);
    expect(after.ctx!.cwd).toBe(b);
    expect(p.ctx!.cwd).toBe(a); // the shared object was not changed in place
    expect(t.get(q.pid)).toBe(after);
  });

  test("an exec without a read-ahead reads the context too", async () => {
    const q = spawn(["sh", "-c", `cd ${dir} && exec sleep 60`], "/");
    await waitForComm(q.pid, "sleep");
    const t = table();
    const info = t.exec({ kind: "exec", cpu: 0, seq: 0, ts: clock.nowMono(), pid: q.pid, tgid: q.pid });
    expect(info.ctx!.cwd).toBe(dir);
  });

  test("only the files the plan reads", () => {
    const p = spawn(["sleep", "60"], dir);
    const cwdOnly = table({ ...READS, cgroup: false, loginuid: false }).get(p.pid).ctx!;
    expect(cwdOnly.cwd).toBe(dir);
    expect(cwdOnly.cgroup).toBeNull();
    expect(table({ ...READS, cwd: false, loginuid: false }).get(p.pid).ctx!.cwd).toBeNull();
  });

  test("no context planned: nothing read", () => {
    const p = spawn(["sleep", "60"], dir);
    expect(table({ ...READS, cgroup: false, cwd: false, loginuid: false }).get(p.pid).ctx).toBeNull();
  });
});
