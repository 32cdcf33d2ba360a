// The tracker's reports as top's model sees them: which count as starts, execs and exits,
// where each is grouped, what fails, what only counts as an event, and an exit's task
// accounting as the model's CPU and peak memory.
import { describe, expect, test } from "bun:test";
import { type ProcInfo, UNKNOWN } from "../../src/proc/table";
import { blankReport, type Report } from "../../src/report";
import { TopFeed, usageFromReport } from "../../src/top/feed";
import { TopModel } from "../../src/top/model";
import { newUsage } from "../../src/usage/record";

function proc(fields: Partial<ProcInfo>): ProcInfo {
  return { ...UNKNOWN, known: true, uid: 0, euid: 0, start: 0, ...fields };
}

const SPAWNER = proc({ name: "spawner -c loop", cmdline: "spawner -c loop", comm: "spawner", ppid: 1 });
const CHILD = proc({ name: "spawner -c loop", cmdline: "spawner -c loop", comm: "spawner", ppid: 100 });
const TRUE = proc({ name: "/bin/true", cmdline: "/bin/true", comm: "true", ppid: 100 });

function setup(usage = false) {
  const model = new TopModel(0, { usage });
  const looked: number[] = [];
  const table = new Map<number, ProcInfo>([[100, SPAWNER]]);
  const lookup = (pid: number) => {
    looked.push(pid);
    return table.get(pid) ?? UNKNOWN;
  };
  const feed = usage ? new TopFeed(model, lookup, usageFromReport()) : new TopFeed(model, lookup);
  const r = blankReport(UNKNOWN);
  const send = (fields: Partial<Report>) => {
    Object.assign(r, { thread: false, exitCode: null, signal: null }, fields);
    feed.deliver(r);
  };
  return { model, feed, send, looked };
}

describe("reports to the model", () => {
  test("fork, exec, exit of a child: one start under the parent's command line, moved to the program it runs", () => {
    const { model, send, looked } = setup();
    send({ kind: "fork", ts: 100e6, pid: 200, tgid: 200, ppid: 100, proc: CHILD, parent: SPAWNER });
    send({ kind: "exec", ts: 101e6, pid: 200, tgid: 200, ppid: 100, proc: TRUE });
    send({ kind: "exit", ts: 102e6, pid: 200, tgid: 200, ppid: 100, proc: TRUE, exitCode: 0 });
    // The fork's parent came with the report; only the exec and the exit looked theirs up.
    expect(looked).toEqual([100, 100]);
    const snap = model.tick(1000);
    expect(snap.totals).toMatchObject({ started: 1, execs: 1, exits: 1, failed: 0, events: 3 });
    expect(snap.rows.parent).toEqual([expect.objectContaining({ key: "spawner -c loop", started: 1, execs: 1, exits: 1, failed: 0, live: 0 })]);
    expect(snap.rows.program.map((g) => [g.key, g.started])).toEqual([["true", 1]]);
    expect(snap.rows.user.map((g) => g.key)).toEqual(["root"]);
    expect(model.recent("parent", "spawner -c loop").map((c) => c.cmdline)).toEqual(["/bin/true"]);
  });

  test("an exit fails with a non-zero status or a signal, not with status 0", () => {
    const { model, send } = setup();
    send({ kind: "exit", ts: 1e6, pid: 201, tgid: 201, ppid: 100, proc: TRUE, exitCode: 0 });
    send({ kind: "exit", ts: 1e6, pid: 202, tgid: 202, ppid: 100, proc: TRUE, exitCode: 3 });
    send({ kind: "exit", ts: 1e6, pid: 203, tgid: 203, ppid: 100, proc: TRUE, exitCode: null, signal: 9 });
    const snap = model.tick(1000);
    expect(snap.totals).toMatchObject({ exits: 3, failed: 2 });
    expect(snap.rows.parent[0]).toMatchObject({ key: "spawner -c loop", exits: 3, failed: 2 });
    expect(snap.usageAvailable).toBe(false);
    expect(snap.rows.parent[0]!.cpu).toBeNull();
  });

  test("new threads, thread exits, a replaced leader and every other kind count only in events/s", () => {
    const { model, send } = setup();
    send({ kind: "clone", ts: 1e6, pid: 301, tgid: 300, ppid: 100, proc: CHILD, parent: SPAWNER, thread: true });
    send({ kind: "exit", ts: 1e6, pid: 301, tgid: 300, ppid: 100, proc: CHILD, thread: true, exitCode: 1 });
    send({ kind: "exit", ts: 1e6, pid: 300, tgid: 300, ppid: 100, proc: CHILD, thread: true, replaced: true, exitCode: 0 });
    for (const kind of ["comm", "uid", "gid", "sid", "ptrace", "core"] as const) send({ kind, ts: 1e6, pid: 300, tgid: 300, proc: CHILD });
    const snap = model.tick(1000);
    expect(snap.totals).toMatchObject({ started: 0, execs: 0, exits: 0, failed: 0, events: 9 });
    expect(snap.rows.parent).toEqual([]);
  });

  test("a parent that is unknown (PID 0) is not looked up", () => {
    const { model, send, looked } = setup();
    send({ kind: "exec", ts: 1e6, pid: 400, tgid: 400, ppid: 0, proc: { ...TRUE, ppid: 0 } });
    expect(looked).toEqual([]);
    expect(model.tick(1000).rows.parent.map((g) => g.key)).toEqual(["<unknown>"]);
  });

  test("losses: counted, and a loss whose count is unknown is flagged", () => {
    const { model, feed } = setup();
    feed.lost(5);
    feed.lost(-1);
    expect(model.tick(1000).totals).toMatchObject({ lost: 5, lostTotal: 5, lostUnknown: true });
  });
});

describe("task accounting", () => {
  const usage = (user: number | null, system: number | null, maxRss: number | null) => Object.assign(newUsage(), { user, system, maxRss });

  test("an exit's user + system CPU add up per group, the largest peak RSS is kept; an exit without a record counts as missing", () => {
    const { model, send } = setup(true);
    send({ kind: "exit", ts: 1e6, pid: 201, tgid: 201, ppid: 100, proc: TRUE, exitCode: 0, usage: usage(0.25, 0.05, 8 << 20) });
    send({ kind: "exit", ts: 1e6, pid: 202, tgid: 202, ppid: 100, proc: TRUE, exitCode: 0, usage: usage(0.1, 0.2, 2 << 20) });
    send({ kind: "exit", ts: 1e6, pid: 203, tgid: 203, ppid: 100, proc: TRUE, exitCode: 0, usage: null });
    // A figure the kernel did not give is not taken for 0: the exit counts as missing.
    send({ kind: "exit", ts: 1e6, pid: 204, tgid: 204, ppid: 100, proc: TRUE, exitCode: 0, usage: usage(null, 0.5, 1 << 20) });
    const snap = model.tick(1000);
    expect(snap.usageAvailable).toBe(true);
    const row = snap.rows.parent[0]!;
    expect(row).toMatchObject({ key: "spawner -c loop", exits: 4, maxRss: 8 << 20, usageMissing: 2 });
    expect(row.cpu).toBeCloseTo(0.6, 9);
  });

  test("no record at all: CPU and peak memory null, never 0", () => {
    const { model, send } = setup(true);
    send({ kind: "exit", ts: 1e6, pid: 201, tgid: 201, ppid: 100, proc: TRUE, exitCode: 0, usage: null });
    expect(model.tick(1000).rows.parent[0]).toMatchObject({ exits: 1, cpu: null, maxRss: null, usageMissing: 1 });
  });
});
