// The usage stage between the tracker and the output: exits get their records' figures,
// lines keep their order, held reports are copies, --summary sees every process's end.
import { describe, expect, test } from "bun:test";
import { STAT_KINDS, type StatKind } from "../../src/events/kinds";
import { UNKNOWN } from "../../src/proc/table";
import { blankReport, type Report } from "../../src/report";
import { newUsageRecord, type UsageRecord } from "../../src/usage/record";
import type { UsageSource } from "../../src/source/usage-source";
import { UsageStage } from "../../src/usage/stage";
import { Summary } from "../../src/usage/summary";

const ALL = Object.fromEntries(STAT_KINDS.map((k) => [k, true])) as Record<StatKind, boolean>;

type Seen = [kind: string, pid: number, name: string, cpu: number | null | undefined];

/**
 * Records as UsageSource hands them out: `queue` is the socket, received into a ring of
 * RING slots (fill, and next when the ring is empty); drain takes the ring, then the socket.
 */
const RING = 128;
class Queued {
  readonly queue: UsageRecord[] = [];
  readonly ring: UsageRecord[] = [];
  private more = false;
  receives = 0;
  private receive(): void {
    this.receives++;
    while (this.ring.length < RING && this.queue.length > 0) this.ring.push(this.queue.shift()!);
    this.more = this.ring.length === RING;
  }
  fill(): boolean {
    this.receive();
    return this.more;
  }
  next(): UsageRecord | null {
    if (this.ring.length === 0) this.receive();
    return this.ring.shift() ?? null;
  }
  /** Records handed out by drain (to be kept by the joiner), not taken one by one by next. */
  drained = 0;
  drain(sink: (r: UsageRecord) => void, max = Infinity): number {
    let n = 0;
    do {
      this.receive();
      for (; n < max && this.ring.length > 0; n++) sink(this.ring.shift()!);
    } while (this.more && n < max);
    this.drained += n;
    return n;
  }
  drainReceived(sink: (r: UsageRecord) => void, max = Infinity): number {
    if (this.more) return this.drain(sink, max);
    let n = 0;
    for (; n < max && this.ring.length > 0; n++) sink(this.ring.shift()!);
    this.drained += n;
    return n;
  }
}

function stage(opts: { records?: boolean; summary?: Summary | null; show?: Partial<Record<StatKind, boolean>>; planSummary?: boolean } = {}) {
  const seen: Seen[] = [];
  const objects: Report[] = [];
  const queued = new Queued();
  const s = new UsageStage({
    plan: { show: { ...ALL, ...opts.show }, failingExitsOnly: false, summary: opts.planSummary ?? false },
    source: opts.records === false ? null : (queued as unknown as UsageSource),
    summary: opts.summary ?? null,
    next: (r) => {
      objects.push(r);
      seen.push([r.kind, r.pid, r.proc.name, r.kind === "exit" ? (r.usage === null ? null : Math.round((r.usage.user! + r.usage.system!) * 1e3)) : undefined]);
    },
  });
  return { s, seen, objects, queued };
}

/** The tracker's one reused report, set to an event. */
const live = blankReport(UNKNOWN);
function report(kind: Report["kind"], pid: number, name: string, o: Partial<Report> = {}): Report {
  Object.assign(live, blankReport(UNKNOWN), { kind, pid, tgid: pid, proc: { ...UNKNOWN, name, comm: name, cmdline: name, known: true }, exitCode: 0 }, o);
  return live;
}

function rec(pid: number, cpuMs: number, o: { tgid?: number; last?: boolean; groupMs?: number } = {}): UsageRecord {
  const r = newUsageRecord();
  r.pid = pid;
  r.tgid = o.tgid ?? pid;
  r.version = 16;
  r.lastInGroup = o.last ?? true;
  r.taskUserUs = cpuMs * 1000;
  r.task.user = cpuMs / 1e3;
  r.task.system = 0;
  r.task.maxRss = 4 << 20;
  r.hasGroup = o.groupMs !== undefined;
  if (o.groupMs !== undefined) {
    r.groupUserUs = o.groupMs * 1000;
    r.group.user = o.groupMs / 1e3;
    r.group.system = 0;
    r.group.maxRss = 4 << 20;
  }
  return r;
}

describe("joining", () => {
  test("the record first (the usual order): the exit goes on at once, the tracker's own report, not a copy", () => {
    const { s, seen, objects } = stage();
    s.record(rec(10, 310));
    const r = report("exit", 10, "make");
    s.deliver(r);
    expect(seen).toEqual([["exit", 10, "make", 310]]);
    expect(objects[0]).toBe(r);
    expect(s.holding).toBe(false);
    expect(s.deadline).toBe(Infinity);
  });

  test("an exit before its record is held with the lines after it, as copies, and goes on in order once the record comes", () => {
    const { s, seen, objects } = stage();
    s.deliver(report("exit", 20, "cc"));
    s.deliver(report("exec", 21, "ld"));
    // The tracker reuses its report for the next event: the held lines must not change.
    report("fork", 99, "other");
    expect(seen).toEqual([]);
    expect(s.holding).toBe(true);
    expect(s.deadline).toBeGreaterThan(performance.now());
    expect(s.deadline).toBeLessThanOrEqual(performance.now() + 5);
    s.record(rec(20, 42));
    s.release();
    expect(seen).toEqual([
      ["exit", 20, "cc", 42],
      ["exec", 21, "ld", undefined],
    ]);
    expect(objects.every((o) => o !== live)).toBe(true);
    expect(s.holding).toBe(false);
  });

  test("a record that does not come: the exit goes on without figures after the hold, counted as missing", async () => {
    const { s, seen } = stage();
    s.deliver(report("exit", 30, "sh"));
    s.release();
    expect(seen).toEqual([]);
    await Bun.sleep(7);
    s.release();
    expect(seen).toEqual([["exit", 30, "sh", null]]);
    expect(s.missing).toBe(1);
  });

  test("at the end everything held goes on", () => {
    const { s, seen } = stage();
    s.deliver(report("exit", 31, "a"));
    s.deliver(report("exec", 32, "b"));
    s.flush();
    expect(seen.map((x) => x[1])).toEqual([31, 32]);
  });

  test("a process's exit gets its group's total; a thread's exit and a replaced leader's their own", () => {
    const { s, seen } = stage();
    s.record(rec(41, 100, { tgid: 40, last: false }));
    s.deliver(report("exit", 41, "t", { tgid: 40, thread: true }));
    s.record(rec(40, 50, { last: true, groupMs: 150 }));
    s.deliver(report("exit", 40, "p"));
    s.record(rec(50, 7, { last: false }));
    s.deliver(report("exit", 50, "old", { thread: true, replaced: true }));
    expect(seen).toEqual([
      ["exit", 41, "t", 100],
      ["exit", 40, "p", 150],
      ["exit", 50, "old", 7],
    ]);
    expect(s.missing).toBe(0);
  });

  test("without records (no privilege): every exit goes on at once with null figures, nothing is held", () => {
    const { s, seen } = stage({ records: false });
    s.deliver(report("exit", 60, "x"));
    s.record(rec(60, 5)); // ignored
    expect(seen).toEqual([["exit", 60, "x", null]]);
    expect([s.holding, s.missing, s.deadline]).toEqual([false, 0, Infinity]);
  });

  test("a lost line keeps its place behind held exits", () => {
    const { s, seen } = stage();
    s.deliver(report("exit", 70, "x"));
    s.deliver(report("lost", 0, "", { count: 3 }));
    s.record(rec(70, 1));
    s.release();
    expect(seen.map((x) => x[0])).toEqual(["exit", "lost"]);
  });
});

describe("records and events in step", () => {
  test("a backlog: while events lag, records are taken only as far as they can be kept, and every exit gets its figures", () => {
    const { s, seen, queued } = stage();
    const N = 20_000; // more than the joiner keeps (8,192)
    for (let k = 0; k < N; k++) queued.queue.push(rec(100_000 + k, 1 + (k % 7)));
    // Turn by turn, as the monitor does: records, then a batch of events (2,048 exits), then settle.
    let next = 0;
    let behind = true;
    while (next < N) {
      s.pump(behind);
      for (const end = Math.min(N, next + 2048); next < end; next++) s.deliver(report("exit", 100_000 + next, "p"));
      behind = next < N;
      s.settle(behind);
    }
    s.flush();
    expect(seen.length).toBe(N);
    expect(seen.filter((x) => x[3] === null).length).toBe(0);
    expect(s.missing).toBe(0);
  });

  test("the same backlog with every record taken at once (not paced): the oldest are dropped and their exits go without", () => {
    const { s, seen } = stage();
    const N = 20_000;
    for (let k = 0; k < N; k++) s.record(rec(200_000 + k, 1));
    for (let k = 0; k < N; k++) s.deliver(report("exit", 200_000 + k, "p"));
    s.flush();
    expect(seen.filter((x) => x[3] === null).length).toBeGreaterThan(10_000);
  });

  test("not behind: each exit takes its record off the socket as it comes, no copy, none kept; the socket is asked once per ring", () => {
    const { s, seen, objects, queued } = stage();
    const N = 1_000;
    for (let k = 0; k < N; k++) queued.queue.push(rec(500_000 + k, 1 + (k % 5)));
    s.pump(false);
    const reports: Report[] = [];
    for (let k = 0; k < N; k++) {
      const r = report("exit", 500_000 + k, "p");
      s.deliver(r);
      reports.push(objects.at(-1)!);
      expect(objects.at(-1)).toBe(r); // went out at once: nothing held
    }
    s.settle(false);
    expect(seen.length).toBe(N);
    expect(seen.every((x, k) => x[1] === 500_000 + k && x[3] === 1 + (k % 5))).toBe(true);
    expect(queued.receives).toBe(Math.ceil(N / RING) + 1); // and settle's, for what came during the turn
    expect(queued.drained).toBe(0);
    expect(s.holding).toBe(false);
  });

  test("records that came during a turn wait in the ring for the next turn's exits, not in the joiner", () => {
    const { s, seen, queued } = stage();
    for (let k = 0; k < 10; k++) queued.queue.push(rec(800 + k, k + 1));
    s.pump(false);
    for (let k = 0; k < 5; k++) s.deliver(report("exit", 800 + k, "p"));
    for (let k = 10; k < 15; k++) queued.queue.push(rec(800 + k, k + 1)); // come during the turn
    s.settle(false);
    expect(queued.queue.length).toBe(0); // the socket is empty for the sleep
    s.pump(false);
    for (let k = 5; k < 15; k++) s.deliver(report("exit", 800 + k, "p"));
    s.settle(false);
    expect(seen.map((x) => x[3])).toEqual(Array.from({ length: 15 }, (_, k) => k + 1));
    expect(queued.drained).toBe(0);
  });

  test("records a little out of the exits' order, and exits before their records: every exit gets its own", () => {
    const { s, seen, queued } = stage();
    // Two CPUs: records 2, 1, 4, 3 (and 6 is late, after its exit).
    for (const pid of [2, 1, 4, 3, 5]) queued.queue.push(rec(600 + pid, pid));
    s.pump(false);
    for (const pid of [1, 2, 3, 4, 5, 6]) s.deliver(report("exit", 600 + pid, "p"));
    expect(seen.map((x) => x[3])).toEqual([1, 2, 3, 4, 5]); // 6 waits for its record
    expect(queued.drained).toBe(0); // each found its own a place ahead, without pulling in the rest
    queued.queue.push(rec(606, 6));
    s.pump(false);
    s.settle(false);
    expect(seen.map((x) => x[3])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(s.missing).toBe(0);
  });

  test("an exit not shown takes its record along: a later process with the same PID does not get it", () => {
    const { s, seen, queued } = stage();
    queued.queue.push(rec(700, 40));
    s.pump(false);
    s.discard(report("exit", 700, "filtered"));
    s.settle(false);
    s.deliver(report("exit", 700, "reused")); // its own record never comes
    s.flush();
    expect(seen).toEqual([["exit", 700, "reused", null]]);
  });

  test("a thread exit that went by unshown does not leave its record waiting; a leader's whose threads live on stays", () => {
    const { s, seen } = stage({ show: { clone: false } });
    s.record(rec(301, 5, { tgid: 300, last: false }));
    s.passed(301, 300); // the thread's exit: not shown (-e without clone)
    s.record(rec(300, 9, { last: false })); // the leader leaves first
    s.passed(300, 300);
    // The threads end: the process's line comes with the group's total.
    s.record(rec(302, 1, { tgid: 300, last: true, groupMs: 15 }));
    s.deliver(report("exit", 300, "p"));
    expect(seen).toEqual([["exit", 300, "p", 15]]);
  });

  test("exit_group: the group's total came before the leader's exit event, which the tracker holds; it is there when the line comes", () => {
    const { s, seen } = stage({ show: { clone: false } });
    // taskstats order: the leader first (not last), then the threads, the last with the total.
    s.record(rec(400, 100, { last: false }));
    s.record(rec(401, 110, { tgid: 400, last: false }));
    s.record(rec(402, 105, { tgid: 400, last: true, groupMs: 315 }));
    // connector order: the leader's exit first (held: its threads live on), then the threads'.
    s.passed(400, 400);
    s.passed(401, 400);
    s.passed(402, 400);
    s.deliver(report("exit", 400, "p")); // the tracker hands on the held line as the group ends
    expect(seen).toEqual([["exit", 400, "p", 315]]);
    expect(s.missing).toBe(0);
  });
});

describe("--summary", () => {
  test("every process's end is counted; exits the user did not select are not shown; thread exits are not counted", () => {
    const summary = new Summary(null);
    const { s, seen } = stage({ summary, planSummary: true, show: { exit: false } });
    s.record(rec(80, 20));
    s.deliver(report("exit", 80, "cc", { exitCode: 1 }));
    s.record(rec(81, 30));
    s.deliver(report("exec", 82, "ld"));
    s.record(rec(83, 5, { tgid: 84, last: false }));
    s.deliver(report("exit", 83, "worker", { tgid: 84, thread: true }));
    expect(seen.map((x) => x[0])).toEqual(["exec", "exit"]); // the thread's exit (clone shown), not the process's
    const rows = summary.rows();
    expect(rows.map((r) => [r.program, r.processes, r.failures])).toEqual([["cc", 1, 1]]);
    expect(rows[0]!.cpu).toBeCloseTo(0.02, 9);
  });

  test("the exits the user selected are still shown", () => {
    const summary = new Summary(null);
    const { s, seen } = stage({ summary, planSummary: true });
    s.record(rec(90, 1));
    s.deliver(report("exit", 90, "cc"));
    expect(seen.length).toBe(1);
    expect(summary.totals().processes).toBe(1);
  });
});
