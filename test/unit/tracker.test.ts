// The tracker on synthetic events: which reports it hands on, and when a process ends.
// PIDs above the kernel's limit (4194304) exist nowhere, so /proc has nothing on them.
import { describe, expect, test } from "bun:test";
import { parseCli } from "../../src/cli/parse";
import type { ProcEvent } from "../../src/events/types";
import { Clock } from "../../src/clock";
import { makePlan } from "../../src/plan";
import { ProcessTable } from "../../src/proc/table";
import type { Report } from "../../src/report";
import { Subtree } from "../../src/track/subtree";
import { ThreadGroups } from "../../src/track/thread-groups";
import { Tracker } from "../../src/track/tracker";

const P = 5_000_000; // beyond pid_max: never in /proc

function setup(args: string[], roots: number[] | null = null) {
  const cli = parseCli(args);
  if (cli.action !== "run") throw new Error("not a run");
  const plan = makePlan(cli.config);
  const table = new ProcessTable({ mode: cli.config.name, reads: plan.reads, tracking: plan.track, clock: new Clock() });
  const subtree = roots === null ? null : new Subtree(roots);
  const ended: [number, number][] = [];
  const tracker = new Tracker(plan, table, subtree === null ? [] : [subtree], { processEnded: (tgid, status) => ended.push([tgid, status]) });
  const out: { kind: string; pid: number; thread: boolean; replaced: boolean; exitCode: number | null }[] = [];
  const ppids: number[] = [];
  const emit = (r: Report) => {
    out.push({ kind: r.kind, pid: r.pid, thread: r.thread, replaced: r.replaced, exitCode: r.exitCode });
    ppids.push(r.ppid);
  };
  const apply = (e: Partial<ProcEvent> & { kind: ProcEvent["kind"] }) => tracker.apply({ cpu: 0, seq: 0, ts: 1e9, pid: 0, tgid: 0, ...e } as ProcEvent, emit);
  return { tracker, subtree, out, ppids, ended, apply, emit };
}

const fork = (parent: number, child: number) => ({ kind: "fork" as const, parentPid: parent, parentTgid: parent, pid: child, tgid: child });
const clone = (tgid: number, tid: number) => ({ kind: "clone" as const, parentPid: tgid, parentTgid: 1, pid: tid, tgid });
const exit = (pid: number, tgid: number, code = 0) => ({
  kind: "exit" as const,
  pid,
  tgid,
  status: code << 8,
  exitSignal: pid === tgid ? 17 : -1,
  parentPid: 1,
  parentTgid: 1,
});
const exec = (pid: number) => ({ kind: "exec" as const, pid, tgid: pid });

describe("selection is checked before anything else", () => {
  test("-e exec hands on execs only", () => {
    const t = setup(["-e", "exec"]);
    t.apply(fork(P, P + 1));
    t.apply(exec(P + 1));
    t.apply(exit(P + 1, P + 1, 3));
    expect(t.out.map((o) => o.kind)).toEqual(["exec"]);
  });

  test("-e exitnonzero hands on failing exits only", () => {
    const t = setup(["-e", "exitnonzero"]);
    t.apply(fork(P, P + 1));
    t.apply(fork(P, P + 2));
    t.apply(exit(P + 1, P + 1, 0));
    t.apply(exit(P + 2, P + 2, 4));
    expect(t.out).toEqual([{ kind: "exit", pid: P + 2, thread: false, replaced: false, exitCode: 4 }]);
  });

  test("thread exits show with clone, not with exit", () => {
    const t = setup(["-e", "exit"]);
    t.apply(clone(P, P + 1));
    t.apply(exit(P + 1, P));
    t.apply(exit(P, P));
    expect(t.out.map((o) => [o.kind, o.pid, o.thread])).toEqual([["exit", P, false]]);
    const c = setup(["-e", "clone"]);
    c.apply(clone(P, P + 1));
    c.apply(exit(P + 1, P));
    expect(c.out.map((o) => [o.kind, o.pid, o.thread])).toEqual([
      ["clone", P + 1, true],
      ["exit", P + 1, true],
    ]);
  });
});

describe("a process ends when its thread group does", () => {
  test("leader first, then the last thread: one process exit, when the group is empty", () => {
    const t = setup(["-e", "exit"]);
    t.apply(clone(P, P + 1));
    t.apply(exit(P, P, 5));
    expect(t.out).toEqual([]);
    expect(t.ended).toEqual([]);
    t.apply(exit(P + 1, P, 5));
    expect(t.out).toEqual([{ kind: "exit", pid: P, thread: false, replaced: false, exitCode: 5 }]);
    expect(t.ended).toEqual([[P, 5 << 8]]);
  });

  test("a thread's exec: the leader's exit is marked replaced, and the process goes on to its real end", () => {
    const t = setup([]);
    t.apply(clone(P, P + 1));
    t.apply(exit(P, P, 0)); // the kernel reports the leader's PID exiting...
    t.apply(exec(P)); // ...then the exec under that same PID
    t.apply(exit(P, P, 5));
    expect(t.out.map((o) => [o.kind, o.pid, o.thread, o.replaced, o.exitCode])).toEqual([
      ["clone", P + 1, true, false, null],
      ["exit", P, true, true, 0],
      ["exec", P, false, false, 0],
      ["exit", P, false, false, 5],
    ]);
    expect(t.ended).toEqual([[P, 5 << 8]]);
  });

  test("command mode follows the group, not the leader's pseudo-exit", () => {
    const t = setup(["--", "true"], [P]);
    t.apply(clone(P, P + 1));
    t.apply(exit(P, P, 0));
    t.apply(exec(P));
    expect(t.subtree!.has(P)).toBe(true);
    t.apply(fork(P, P + 2));
    expect(t.subtree!.has(P + 2)).toBe(true);
    t.apply(exit(P, P, 5));
    expect(t.subtree!.has(P)).toBe(false);
    expect(t.subtree!.size).toBe(1); // the child lives on
  });

  test("what is still held at the end is flushed as reported", () => {
    const t = setup(["-e", "exit"]);
    t.apply(clone(P, P + 1));
    t.apply(exit(P, P, 2));
    t.tracker.flush(t.emit);
    expect(t.out).toEqual([{ kind: "exit", pid: P, thread: false, replaced: false, exitCode: 2 }]);
  });

  test("a held group whose /proc entry is gone (its thread exits were lost) is ended by the sweep", () => {
    const t = setup(["-e", "exit"]);
    t.apply(clone(P, P + 1));
    t.apply(exit(P, P, 1));
    t.tracker.sweep(t.emit);
    expect(t.out.map((o) => o.exitCode)).toEqual([1]);
    expect(t.ended).toEqual([[P, 1 << 8]]);
  });
});

test("ThreadGroups counts threads that existed before pstat started", () => {
  const g = new ThreadGroups();
  g.preload(7, 2);
  expect(g.leaderExit(7)).toBe(false);
  expect(g.threadExit(7)).toBe(false);
  expect(g.threadExit(7)).toBe(true);
  expect(g.leaderExit(8)).toBe(true);
});

test("ppid: the kernel's where the event has one, else the process table's, 0 when unknown", () => {
  const t = setup(["-e", "fork,exec,exit"]);
  t.apply(exec(process.pid)); // a real process: its parent comes from /proc
  t.apply(fork(P, P + 1));
  t.apply(exec(P + 2)); // gone (never existed): unknown
  expect(t.ppids).toEqual([process.ppid, P, 0]);
});

test("pstat's own helper threads are left out", () => {
  const t = setup(["-e", "clone"]);
  t.apply(clone(process.pid, P));
  expect(t.out).toEqual([]);
});
