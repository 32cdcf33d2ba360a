import { describe, expect, test } from "bun:test";
import { blankTopEvent, compileFilter, filterRows, sortRows, TopModel, type GroupRow, type Snapshot, type TopEvent, type Usage } from "../../src/top/model";

/** A reused event, as the pipeline will hand them in. */
function feeder(model: TopModel) {
  const ev: TopEvent = { ...blankTopEvent(), ppid: 1 };
  return (kind: TopEvent["kind"], ts: number, pid: number, fields: Partial<TopEvent> = {}) => {
    ev.kind = kind;
    ev.ts = ts;
    ev.pid = pid;
    ev.ppid = fields.ppid ?? 1;
    ev.parentKey = fields.parentKey ?? "sh -c loop";
    ev.program = fields.program ?? (kind === "fork" ? "sh" : "true");
    ev.user = fields.user ?? "root";
    ev.container = fields.container ?? null;
    ev.cmdline = fields.cmdline ?? (kind === "exec" ? "/bin/true" : null);
    ev.failed = fields.failed ?? false;
    ev.usage = fields.usage ?? null;
    model.add(ev);
  };
}

const row = (snap: Snapshot, grouping: keyof Snapshot["rows"], key: string | null): GroupRow | undefined => snap.rows[grouping].find((r) => r.key === key);

/**
 * A spawner starting `rate` processes a second, each running `program` and exiting
 * `life` ms later, from `from` to `to` ms; returns the next free pid.
 */
function spawn(
  add: ReturnType<typeof feeder>,
  opts: { from: number; to: number; rate: number; life: number; pid: number; fields?: Partial<TopEvent>; failEvery?: number; usage?: Usage },
): number {
  let pid = opts.pid;
  const step = 1000 / opts.rate;
  const exits: [number, number][] = [];
  for (let t = opts.from; t < opts.to; t += step) {
    add("fork", t, pid, { ...opts.fields, program: "sh" });
    add("exec", t + 0.5, pid, opts.fields);
    exits.push([t + opts.life, pid]);
    pid++;
  }
  let n = 0;
  for (const [t, p] of exits) {
    n++;
    if (t < opts.to) add("exit", t, p, { ...opts.fields, failed: opts.failEvery ? n % opts.failEvery === 0 : false, usage: opts.usage ?? null });
  }
  return pid;
}

describe("rates", () => {
  test("a steady 50/s stream reads 50/s per interval and on average, and the totals agree", () => {
    const model = new TopModel(0);
    const add = feeder(model);
    let pid = 100;
    let snap: Snapshot | undefined;
    for (let s = 0; s < 10; s++) {
      pid = spawn(add, { from: s * 1000, to: (s + 1) * 1000, rate: 50, life: 5, pid });
      snap = model.tick((s + 1) * 1000);
      const r = row(snap, "parent", "sh -c loop")!;
      expect(r.rate).toBeCloseTo(50, 6);
      expect(r.execRate).toBeCloseTo(50, 6);
      expect(r.exits).toBe(50);
      expect(r.avg!).toBeCloseTo(50, 6);
    }
    expect(snap!.totals.rate).toBeCloseTo(50, 6);
    expect(snap!.totals.started).toBe(50);
    // fork + exec + exit per process
    expect(snap!.totals.eventRate).toBeCloseTo(150, 6);
    expect(snap!.interval).toBe(1);
  });

  test("the average spans the last minute: a burst fades from it, the interval rate drops at once", () => {
    const model = new TopModel(0);
    const add = feeder(model);
    spawn(add, { from: 0, to: 1000, rate: 120, life: 1, pid: 100 });
    let snap = model.tick(1000);
    expect(row(snap, "parent", "sh -c loop")!.rate).toBeCloseTo(120, 6);
    // An idle second: interval rate 0, average 120 over 2 s.
    add("fork", 1500, 5000, { parentKey: "other" });
    snap = model.tick(2000);
    const r = row(snap, "parent", "sh -c loop")!;
    expect(r.rate).toBe(0);
    expect(r.avg!).toBeCloseTo(60, 6);
    // 61 s later the burst is out of the window.
    for (let t = 3000; t <= 62_000; t += 1000) snap = model.tick(t);
    expect(row(snap, "parent", "sh -c loop")).toBeUndefined();
  });

  test("an interval of another length gives per-second rates", () => {
    const model = new TopModel(0);
    const add = feeder(model);
    spawn(add, { from: 0, to: 2500, rate: 20, life: 1, pid: 1 });
    const snap = model.tick(2500);
    expect(snap.interval).toBe(2.5);
    expect(row(snap, "parent", "sh -c loop")!.rate).toBeCloseTo(20, 6);
  });
});

describe("groupings", () => {
  test("each grouping keys the same events by parent, program, user and container", () => {
    const model = new TopModel(0);
    const add = feeder(model);
    spawn(add, {
      from: 0,
      to: 1000,
      rate: 10,
      life: 5,
      pid: 100,
      fields: { parentKey: "make all", program: "cc1", user: "alice", container: "build.service" },
    });
    spawn(add, { from: 0, to: 1000, rate: 4, life: 5, pid: 500, fields: { parentKey: "cron", program: "sh", user: "root", container: null } });
    spawn(add, { from: 0, to: 1000, rate: 2, life: 5, pid: 900, fields: { parentKey: "make all", program: "ld", user: "alice", container: "build.service" } });
    const snap = model.tick(1000);
    expect(snap.groupings).toEqual(["parent", "program", "user", "container"]);
    expect(row(snap, "parent", "make all")!.started).toBe(12);
    expect(row(snap, "parent", "cron")!.started).toBe(4);
    expect(row(snap, "program", "cc1")!.started).toBe(10);
    expect(row(snap, "program", "ld")!.started).toBe(2);
    expect(row(snap, "user", "alice")!.execs).toBe(12);
    expect(row(snap, "user", "root")!.exits).toBe(4);
    expect(row(snap, "container", "build.service")!.started).toBe(12);
    expect(row(snap, "container", null)!.started).toBe(4);
  });

  test("by program, a start counts for the program the child execs, not the one that forked it", () => {
    const model = new TopModel(0);
    const add = feeder(model);
    add("fork", 10, 7, { program: "bash" });
    add("exec", 11, 7, { program: "true" });
    add("fork", 20, 8, { program: "bash" }); // a subshell that never execs
    let snap = model.tick(1000);
    expect(row(snap, "program", "true")!.started).toBe(1);
    expect(row(snap, "program", "bash")!.started).toBe(1);
    expect(row(snap, "program", "true")!.live).toBe(1);
    expect(row(snap, "program", "bash")!.live).toBe(1);
    // An exec in a later interval moves the live count and the average, not the closed interval.
    add("exec", 1500, 8, { program: "grep" });
    snap = model.tick(2000);
    expect(row(snap, "program", "grep")!.started).toBe(0);
    expect(row(snap, "program", "grep")!.live).toBe(1);
    expect(row(snap, "program", "grep")!.avg!).toBeCloseTo(0.5, 6);
    expect(row(snap, "program", "bash")).toBeUndefined();
  });

  test("the container grouping is offered only once an event carries a container", () => {
    const model = new TopModel(0);
    const add = feeder(model);
    add("fork", 1, 2);
    expect(model.tick(1000).groupings).toEqual(["parent", "program", "user"]);
    add("fork", 1001, 3, { container: "abc" });
    expect(model.tick(2000).groupings).toContain("container");
  });
});

describe("live children, exits and failures", () => {
  test("fork adds, exit removes; an exit of a process never seen changes nothing", () => {
    const model = new TopModel(0);
    const add = feeder(model);
    for (let pid = 1; pid <= 5; pid++) add("fork", pid, pid);
    add("exit", 10, 2);
    add("exit", 11, 4);
    add("exit", 12, 999);
    const snap = model.tick(1000);
    expect(row(snap, "parent", "sh -c loop")!.live).toBe(3);
    expect(snap.totals.live).toBe(3);
    expect(row(snap, "parent", "sh -c loop")!.exits).toBe(3);
  });

  test("an exit counts where the process started, even when it names another parent (reparented)", () => {
    const model = new TopModel(0, { usage: true });
    const add = feeder(model);
    add("fork", 1, 42, { parentKey: "make all" });
    add("exec", 2, 42, { parentKey: "make all", program: "cc1" });
    add("exit", 3, 42, { parentKey: "/sbin/init", program: "cc1", failed: true, usage: { cpu: 1, maxRss: 5 } });
    const snap = model.tick(1000);
    const make = row(snap, "parent", "make all")!;
    expect(make.exits).toBe(1);
    expect(make.failed).toBe(1);
    expect(make.cpu).toBe(1);
    expect(make.live).toBe(0);
    expect(row(snap, "parent", "/sbin/init")).toBeUndefined();
    // One never seen before is counted under the parent its exit names.
    add("exit", 1001, 77, { parentKey: "/sbin/init" });
    expect(row(model.tick(2000), "parent", "/sbin/init")!.exits).toBe(1);
  });

  test("a process first seen at its exec counts as live", () => {
    const model = new TopModel(0);
    const add = feeder(model);
    add("exec", 5, 42);
    expect(row(model.tick(1000), "parent", "sh -c loop")!.live).toBe(1);
  });

  test("a fork of a pid still held (its exit was lost) counts once", () => {
    const model = new TopModel(0);
    const add = feeder(model);
    add("fork", 1, 42);
    add("fork", 2, 42);
    expect(row(model.tick(1000), "parent", "sh -c loop")!.live).toBe(1);
  });

  test("failed exits are counted per group and in the totals", () => {
    const model = new TopModel(0);
    const add = feeder(model);
    spawn(add, { from: 0, to: 1000, rate: 30, life: 10, pid: 1, failEvery: 3 });
    const snap = model.tick(1000);
    expect(row(snap, "parent", "sh -c loop")!.failed).toBe(10);
    expect(snap.totals.failed).toBe(10);
  });

  test("the live table is bounded: the oldest are forgotten", () => {
    const model = new TopModel(0, { maxLive: 10 });
    const add = feeder(model);
    for (let pid = 1; pid <= 25; pid++) add("fork", pid, pid);
    const snap = model.tick(1000);
    expect(snap.totals.live).toBe(10);
    expect(row(snap, "parent", "sh -c loop")!.live).toBe(10);
    // The forgotten ones' exits do not go below zero.
    for (let pid = 1; pid <= 25; pid++) add("exit", 1000 + pid, pid);
    expect(model.tick(2000).rows.parent.every((r) => r.live === 0)).toBe(true);
  });
});

describe("usage", () => {
  test("without task accounting, CPU and memory are unavailable (null), never 0", () => {
    const model = new TopModel(0, { usage: false });
    const add = feeder(model);
    spawn(add, { from: 0, to: 1000, rate: 10, life: 10, pid: 1, usage: { cpu: 0.5, maxRss: 1000 } });
    const snap = model.tick(1000);
    expect(snap.usageAvailable).toBe(false);
    const r = row(snap, "parent", "sh -c loop")!;
    expect(r.cpu).toBeNull();
    expect(r.maxRss).toBeNull();
  });

  test("with it, CPU adds up and peak memory is the largest of the exited children", () => {
    const model = new TopModel(0, { usage: true });
    const add = feeder(model);
    add("fork", 1, 1);
    add("exit", 2, 1, { usage: { cpu: 0.25, maxRss: 10_000_000 } });
    add("fork", 3, 2);
    add("exit", 4, 2, { usage: { cpu: 0.5, maxRss: 30_000_000 } });
    add("fork", 5, 3);
    add("exit", 6, 3); // its record never came
    let snap = model.tick(1000);
    let r = row(snap, "parent", "sh -c loop")!;
    expect(snap.usageAvailable).toBe(true);
    expect(r.cpu).toBeCloseTo(0.75, 9);
    expect(r.maxRss).toBe(30_000_000);
    expect(r.usageMissing).toBe(1);
    // Next interval: starts only, nothing exited, nothing measured.
    add("fork", 1100, 4);
    snap = model.tick(2000);
    r = row(snap, "parent", "sh -c loop")!;
    expect(r.cpu).toBeNull();
    expect(r.maxRss).toBeNull();
    // Exits without any record: still unknown, not 0.
    add("exit", 2100, 4);
    r = row(model.tick(3000), "parent", "sh -c loop")!;
    expect(r.cpu).toBeNull();
    expect(r.usageMissing).toBe(1);
  });
});

describe("memory bounds", () => {
  test("a group idle for long with no live children is forgotten, with its recent commands", () => {
    const model = new TopModel(0, { idleMs: 120_000 });
    const add = feeder(model);
    add("fork", 10, 1, { parentKey: "gone" });
    add("exec", 11, 1, { parentKey: "gone", cmdline: "/bin/gone" });
    add("exit", 12, 1, { parentKey: "gone" });
    add("fork", 10, 2, { parentKey: "daemon" }); // stays alive
    let snap = model.tick(1000);
    expect(row(snap, "parent", "gone")).toBeDefined();
    expect(model.recent("parent", "gone").length).toBe(1);
    snap = model.tick(100_000);
    expect(row(snap, "parent", "gone")).toBeUndefined();
    expect(model.recent("parent", "gone").length).toBe(1);
    snap = model.tick(121_000);
    expect(model.recent("parent", "gone")).toEqual([]);
    // The daemon's live child keeps its group.
    expect(row(snap, "parent", "daemon")!.live).toBe(1);
    // The group comes back fresh on new activity.
    add("fork", 121_500, 3, { parentKey: "gone" });
    expect(row(model.tick(122_000), "parent", "gone")!.started).toBe(1);
  });

  test("past maxGroups the least recently active go", () => {
    const model = new TopModel(0, { maxGroups: 5 });
    const add = feeder(model);
    for (let i = 0; i < 8; i++) add("exit", i, 1000 + i, { parentKey: `p${i}` });
    model.tick(1000);
    add("fork", 1001, 1, { parentKey: "p0" });
    const snap = model.tick(2000);
    // p0 was evicted at the first tick (oldest) and starts over.
    expect(row(snap, "parent", "p0")!.avg!).toBeCloseTo(0.5, 6);
    expect(model.recent("parent", "p1")).toEqual([]);
  });

  test("recent command lines are a bounded ring, newest first", () => {
    const model = new TopModel(0, { recent: 3 });
    const add = feeder(model);
    for (let i = 1; i <= 5; i++) add("exec", i * 10, i, { cmdline: `cmd ${i}` });
    const recent = model.recent("parent", "sh -c loop");
    expect(recent.map((r) => r.cmdline)).toEqual(["cmd 5", "cmd 4", "cmd 3"]);
    expect(recent[0]).toEqual({ ts: 50, pid: 5, cmdline: "cmd 5" });
  });
});

describe("totals", () => {
  test("history holds the processes started in each of the last 60 whole seconds, null before the start", () => {
    const model = new TopModel(10_000);
    const add = feeder(model);
    // 3 in second 10, 5 in second 11, none in 12, 2 in 13.
    for (const [t, n] of [
      [10_100, 3],
      [11_100, 5],
      [13_100, 2],
    ] as const)
      for (let i = 0; i < n; i++) add("fork", t + i, t + i);
    const snap = model.tick(14_500);
    expect(snap.history.length).toBe(60);
    expect(snap.history.slice(-4)).toEqual([3, 5, 0, 2]);
    expect(snap.history[55]).toBeNull();
    // A minute later, second 13 is the oldest in the window (seconds 14..73 are 0).
    const later = model.tick(74_000);
    expect(later.history[0]).toBe(0);
    expect(later.history.every((v) => v === 0)).toBe(true);
  });

  test("other events count in events/s, lost events in lost; an unknown loss is flagged", () => {
    const model = new TopModel(0);
    const add = feeder(model);
    add("fork", 1, 1);
    model.other(9);
    model.addLost(4);
    model.addLost(-1);
    let snap = model.tick(2000);
    expect(snap.totals.events).toBe(10);
    expect(snap.totals.eventRate).toBe(5);
    expect(snap.totals.lost).toBe(4);
    expect(snap.totals.lostUnknown).toBe(true);
    model.addLost(1);
    snap = model.tick(3000);
    expect(snap.totals.lost).toBe(1);
    expect(snap.totals.lostTotal).toBe(5);
    expect(snap.totals.lostUnknown).toBe(false);
  });
});

describe("sort and filter", () => {
  const r = (key: string | null, rate: number, cpu: number | null): GroupRow => ({
    key,
    started: 0,
    rate,
    avg: null,
    execs: 0,
    execRate: 0,
    exits: 0,
    failed: 0,
    live: 0,
    cpu,
    maxRss: null,
    usageMissing: 0,
  });

  test("figures sort largest first, unknown last, ties by key; keys sort A to Z", () => {
    const rows = [r("b", 1, null), r("a", 5, 0.2), r("c", 5, 0.9), r(null, 2, 0)];
    expect(sortRows([...rows], "rate").map((x) => x.key)).toEqual(["a", "c", null, "b"]);
    expect(sortRows([...rows], "cpu").map((x) => x.key)).toEqual(["c", "a", null, "b"]);
    expect(sortRows([...rows], "key").map((x) => x.key)).toEqual(["a", "b", "c", null]);
  });

  test("a filter is a regular expression on the key; an invalid one is an error", () => {
    const rows = [r("make all", 1, null), r("bash -c loop", 1, null), r(null, 1, null)];
    expect(filterRows(rows, compileFilter("^ma") as RegExp).map((x) => x.key)).toEqual(["make all"]);
    expect(filterRows(rows, compileFilter("none") as RegExp).map((x) => x.key)).toEqual([null]);
    expect(compileFilter("")).toBeNull();
    expect(compileFilter("(")).toBeInstanceOf(Error);
  });
});
