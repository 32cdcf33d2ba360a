import { describe, expect, test } from "bun:test";
import { UsageJoiner } from "../../src/usage/join";
import type { Usage, UsageRecord } from "../../src/usage/record";
import { newUsageRecord } from "../../src/usage/record";

const MS = 1e6;

interface Line {
  text: string;
}

/** What came out, in order: the line and the CPU (user µs) of the usage joined to it, or null. */
type Out = [string, number | null];

function joiner(opts: { holdNs?: number; keepNs?: number; capacity?: number; records?: number } = {}) {
  const out: Out[] = [];
  const usages: (Usage | null)[] = [];
  const j = new UsageJoiner<Line>({
    make: () => ({ text: "" }),
    emit: (line, usage) => {
      out.push([line.text, usage === null ? null : Math.round((usage.user ?? NaN) * 1e6)]);
      usages.push(usage === null ? null : { ...usage });
    },
    ...opts,
  });
  const exit = (pid: number, tgid: number, now: number, text = `exit ${pid}`) => (j.pushExit(pid, tgid, now).text = text);
  const line = (text: string, now: number) => (j.push(now).text = text);
  return { j, out, usages, exit, line };
}

interface RecSpec {
  pid: number;
  tgid?: number;
  /** user µs of the task */
  user: number;
  system?: number;
  /** AGROUP: last of its group (null: kernel too old to say) */
  last?: boolean | null;
  /** group total, user µs */
  group?: { user: number; system?: number };
  writeBytes?: number;
  minflt?: number;
}

function rec(s: RecSpec): UsageRecord {
  const r = newUsageRecord();
  r.pid = s.pid;
  r.tgid = s.tgid ?? s.pid;
  r.version = s.last === null ? 10 : 16;
  r.lastInGroup = s.last === undefined ? true : s.last;
  r.taskUserUs = s.user;
  r.taskSystemUs = s.system ?? 0;
  const t = r.task;
  t.user = s.user / 1e6;
  t.system = (s.system ?? 0) / 1e6;
  t.maxRss = 1 << 20;
  t.readBytes = 0;
  t.writeBytes = s.writeBytes ?? 0;
  t.readChars = t.writeChars = 0;
  t.minorFaults = s.minflt ?? 0;
  t.majorFaults = 0;
  r.hasGroup = s.group !== undefined;
  if (s.group) {
    r.groupUserUs = s.group.user;
    r.groupSystemUs = s.group.system ?? 0;
    r.group.user = s.group.user / 1e6;
    r.group.system = (s.group.system ?? 0) / 1e6;
    r.group.maxRss = 1 << 20;
  }
  return r;
}

describe("either arrival order", () => {
  test("record first: the exit leaves at once with its usage", () => {
    const { j, out, exit } = joiner();
    j.record(rec({ pid: 10, user: 300 }), 0);
    exit(10, 10, 1);
    expect(j.release(1)).toBe(1);
    expect(out).toEqual([["exit 10", 300]]);
    expect([j.matched, j.missing, j.unmatched]).toEqual([1, 0, 0]);
    expect(j.idle).toBe(true);
  });

  test("exit first: it waits, and leaves when its record comes", () => {
    const { j, out, exit } = joiner();
    exit(10, 10, 0);
    expect(j.release(1 * MS)).toBe(0);
    expect(j.idle).toBe(false);
    j.record(rec({ pid: 10, user: 300 }), 2 * MS);
    expect(j.release(2 * MS)).toBe(1);
    expect(out).toEqual([["exit 10", 300]]);
    expect(j.missing).toBe(0);
  });

  test("a record for another process with the same pid (other tgid) does not match", () => {
    const { j, out, exit } = joiner();
    exit(10, 10, 0);
    j.record(rec({ pid: 10, tgid: 9, user: 5 }), 0);
    j.release(0);
    expect(out).toEqual([]);
  });

  test("records from kernels before version 12 (no tgid) match by pid", () => {
    const { j, out, exit } = joiner();
    const r = rec({ pid: 10, user: 7, last: null });
    r.tgid = 0;
    exit(10, 10, 0);
    j.record(r, 0);
    j.release(0);
    expect(out).toEqual([["exit 10", 7]]);
  });
});

describe("order", () => {
  test("lines never overtake a waiting exit, and leave in push order", () => {
    const { j, out, exit, line } = joiner();
    exit(1, 1, 0);
    line("fork 2", 0);
    j.record(rec({ pid: 3, user: 33 }), 0);
    exit(3, 3, 0); // ready at once, but behind exit 1
    line("exec 4", 0);
    expect(j.release(1 * MS)).toBe(0);
    expect(j.held).toBe(4);
    j.record(rec({ pid: 1, user: 11 }), 1 * MS);
    expect(j.release(1 * MS)).toBe(4);
    expect(out).toEqual([
      ["exit 1", 11],
      ["fork 2", null],
      ["exit 3", 33],
      ["exec 4", null],
    ]);
  });

  test("records arriving in the opposite order of their exits still pair up", () => {
    const { j, out, exit } = joiner();
    for (let p = 1; p <= 5; p++) exit(p, p, 0);
    for (let p = 5; p >= 1; p--) j.record(rec({ pid: p, user: p * 10 }), 0);
    j.release(0);
    expect(out).toEqual([1, 2, 3, 4, 5].map((p) => [`exit ${p}`, p * 10] as Out));
  });

  test("when idle a plain line need not be queued", () => {
    const { j } = joiner();
    expect(j.idle).toBe(true);
    expect(j.nextDeadline()).toBe(Infinity);
  });
});

describe("hold bound", () => {
  test("an exit waits at most holdNs, then leaves without usage and counts as missing", () => {
    const { j, out, exit, line } = joiner({ holdNs: 5 * MS });
    exit(1, 1, 100 * MS);
    line("after", 101 * MS);
    expect(j.nextDeadline()).toBe(105 * MS);
    expect(j.release(104.9 * MS)).toBe(0);
    expect(j.release(105 * MS)).toBe(2);
    expect(out).toEqual([
      ["exit 1", null],
      ["after", null],
    ]);
    expect(j.missing).toBe(1);
    expect(j.nextDeadline()).toBe(Infinity);
  });

  test("a record that comes after its exit left without figures is dropped on arrival, not kept for a line that has gone", () => {
    const { j, exit } = joiner({ holdNs: 5 * MS, keepNs: 1000 * MS });
    exit(1, 1, 0);
    j.release(5 * MS);
    expect(j.missing).toBe(1);
    j.record(rec({ pid: 1, user: 1 }), 6 * MS);
    expect([j.waitingRecords, j.late, j.unmatched]).toEqual([0, 1, 0]);
  });

  test("a line gone long ago (PIDs come round): a record with its pid is kept as usual", () => {
    const { j, exit } = joiner({ holdNs: 5 * MS, keepNs: 1000 * MS });
    exit(1, 1, 0);
    j.release(5 * MS);
    j.record(rec({ pid: 1, user: 1 }), 400 * MS);
    expect([j.waitingRecords, j.late]).toEqual([1, 0]);
    j.release(1400 * MS);
    expect([j.waitingRecords, j.unmatched]).toEqual([0, 1]);
  });

  test("a process line that waited in vain for its group total: the total, when it comes, is dropped", () => {
    const { j, exit } = joiner({ holdNs: 5 * MS });
    j.record(rec({ pid: 7, user: 1, last: false }), 0); // the leader leaves first
    exit(7, 7, 0); // waits for the group's total
    j.release(6 * MS);
    expect(j.missing).toBe(1);
    j.record(rec({ pid: 8, tgid: 7, user: 2, group: { user: 3 } }), 7 * MS);
    expect(j.late).toBe(1);
    j.passed(8, 7); // the thread's own exit event goes by, not shown: its record is not kept either
    expect(j.waitingRecords).toBe(0);
  });

  test("flushAll empties the queue, waiting exits without usage", () => {
    const { j, out, exit, line } = joiner();
    exit(1, 1, 0);
    line("x", 0);
    expect(j.flushAll()).toBe(2);
    expect(out).toEqual([
      ["exit 1", null],
      ["x", null],
    ]);
    expect(j.missing).toBe(1);
    expect(j.idle).toBe(true);
  });

  test("the next deadline is now when the head is ready", () => {
    const { j, exit } = joiner();
    j.record(rec({ pid: 1, user: 1 }), 0);
    exit(1, 1, 0);
    expect(j.nextDeadline()).toBe(-Infinity);
  });
});

describe("threads and group totals", () => {
  test("a leader that is its process's last thread gets the group total", () => {
    const { j, out, exit } = joiner();
    exit(11, 10, 0);
    exit(12, 10, 0);
    exit(10, 10, 0);
    j.record(rec({ pid: 11, tgid: 10, user: 100, last: false }), 0);
    j.record(rec({ pid: 12, tgid: 10, user: 200, last: false }), 0);
    j.record(rec({ pid: 10, tgid: 10, user: 50, last: true, group: { user: 350 } }), 0);
    j.release(0);
    expect(out).toEqual([
      ["exit 11", 100],
      ["exit 12", 200],
      ["exit 10", 350],
    ]);
  });

  test("a leader that leaves first waits for the total its last thread brings", () => {
    const { j, out, exit } = joiner();
    j.record(rec({ pid: 10, tgid: 10, user: 50, last: false }), 0);
    exit(10, 10, 0);
    j.release(0);
    expect(out).toEqual([]); // its own 50 µs are not the process's
    j.record(rec({ pid: 11, tgid: 10, user: 100, last: false }), 0);
    j.record(rec({ pid: 12, tgid: 10, user: 200, last: true, group: { user: 350 } }), 0);
    exit(11, 10, 0);
    exit(12, 10, 0);
    j.release(0);
    expect(out).toEqual([
      ["exit 10", 350],
      ["exit 11", 100],
      ["exit 12", 200], // the last thread's own line gets its own figures
    ]);
    expect([j.matched, j.missing, j.unmatched]).toEqual([3, 0, 0]);
  });

  test("a leader's exit line that came before its own record (not the last) keeps waiting for the total", () => {
    const { j, out, exit } = joiner();
    exit(10, 10, 0);
    j.record(rec({ pid: 10, tgid: 10, user: 50, last: false }), 0);
    j.release(0);
    expect(out).toEqual([]);
    j.record(rec({ pid: 11, tgid: 10, user: 100, last: true, group: { user: 150 } }), 0);
    j.release(0);
    expect(out).toEqual([["exit 10", 150]]);
    expect(j.waitingRecords).toBe(1); // thread 11's own record, for its exit line
  });

  test("the group total may arrive before the leader's exit line", () => {
    const { j, out, exit } = joiner();
    j.record(rec({ pid: 10, tgid: 10, user: 50, last: false }), 0);
    j.record(rec({ pid: 12, tgid: 10, user: 200, last: true, group: { user: 250 } }), 0);
    exit(10, 10, 0);
    exit(12, 10, 0);
    j.release(0);
    expect(out).toEqual([
      ["exit 10", 250],
      ["exit 12", 200],
    ]);
    expect(j.waitingRecords).toBe(0);
    expect(j.unmatched).toBe(0);
  });

  test("the last thread's total may overtake the leader's own record: that record is not counted unmatched", () => {
    for (const exitFirst of [true, false]) {
      const { j, out, exit } = joiner({ keepNs: 100 * MS });
      if (exitFirst) exit(10, 10, 0);
      j.record(rec({ pid: 12, tgid: 10, user: 200, last: true, group: { user: 250 } }), 0);
      if (!exitFirst) exit(10, 10, 0);
      j.release(0);
      expect(out).toEqual([["exit 10", 250]]);
      j.record(rec({ pid: 10, tgid: 10, user: 50, last: false }), 1 * MS);
      j.release(1000 * MS);
      expect([j.unmatched, j.waitingRecords]).toEqual([1, 0]); // thread 12's own record only: its exit line never came
    }
  });

  test("a leader whose group never ends in time leaves without usage rather than with its own share", () => {
    const { j, out, exit } = joiner({ holdNs: 5 * MS });
    j.record(rec({ pid: 10, tgid: 10, user: 50, last: false }), 0);
    exit(10, 10, 0);
    j.release(5 * MS);
    expect(out).toEqual([["exit 10", null]]);
    expect(j.missing).toBe(1);
  });

  test("faults and I/O of a group are added up from its threads when none was missed", () => {
    const { j, usages, exit } = joiner();
    j.record(rec({ pid: 11, tgid: 10, user: 100, system: 10, last: false, writeBytes: 1000, minflt: 5 }), 0);
    j.record(rec({ pid: 12, tgid: 10, user: 200, system: 20, last: false, writeBytes: 2000, minflt: 6 }), 0);
    j.record(rec({ pid: 10, tgid: 10, user: 50, system: 5, last: true, writeBytes: 4000, minflt: 7, group: { user: 350, system: 35 } }), 0);
    exit(10, 10, 0);
    j.release(0);
    expect(usages[0]!.writeBytes).toBe(7000);
    expect(usages[0]!.minorFaults).toBe(18);
  });

  test("when a thread's record was missed the group's faults and I/O stay null", () => {
    const { j, usages, exit } = joiner();
    // thread 11's record never came: the kernel's total (350) is more than 200 + 50
    j.record(rec({ pid: 12, tgid: 10, user: 200, last: false, writeBytes: 2000 }), 0);
    j.record(rec({ pid: 10, tgid: 10, user: 50, last: true, writeBytes: 4000, group: { user: 350 } }), 0);
    exit(10, 10, 0);
    j.release(0);
    expect(usages[0]!.user).toBeCloseTo(350e-6, 12);
    expect(usages[0]!.writeBytes).toBeNull();
    expect(usages[0]!.minorFaults).toBeNull();
  });

  test("records decoded without I/O (text output): the group's faults and I/O stay null, not a sum of nothing", () => {
    const { j, usages, exit } = joiner();
    const lean = (r: UsageRecord): UsageRecord => {
      r.task.readBytes = r.task.writeBytes = r.task.readChars = r.task.writeChars = r.task.minorFaults = r.task.majorFaults = null;
      return r;
    };
    j.record(lean(rec({ pid: 11, tgid: 10, user: 100, last: false })), 0);
    j.record(lean(rec({ pid: 10, tgid: 10, user: 50, last: true, group: { user: 150 } })), 0);
    exit(10, 10, 0);
    j.release(0);
    expect(usages[0]!.user).toBeCloseTo(150e-6, 12);
    expect([usages[0]!.readBytes, usages[0]!.writeBytes, usages[0]!.minorFaults]).toEqual([null, null, null]);
  });

  test("a single-threaded process keeps its own record's I/O", () => {
    const { j, usages, exit } = joiner();
    j.record(rec({ pid: 10, user: 5, writeBytes: 99 }), 0);
    exit(10, 10, 0);
    j.release(0);
    expect(usages[0]!.writeBytes).toBe(99);
  });
});

describe("bounds", () => {
  test("a full queue lets its oldest line go early, counted as forced", () => {
    const { j, out, exit } = joiner({ capacity: 4 });
    for (let p = 1; p <= 6; p++) exit(p, p, 0);
    expect(j.held).toBe(4);
    expect(out).toEqual([
      ["exit 1", null],
      ["exit 2", null],
    ]);
    expect([j.forced, j.missing]).toEqual([2, 2]);
    // the queue still works after wrapping
    for (let p = 3; p <= 6; p++) j.record(rec({ pid: p, user: p }), 0);
    j.release(0);
    expect(out.slice(2)).toEqual([3, 4, 5, 6].map((p) => [`exit ${p}`, p] as Out));
  });

  test("records beyond the stash's size evict the oldest, counted as unmatched", () => {
    const { j, out, exit } = joiner({ records: 3 });
    for (let p = 1; p <= 5; p++) j.record(rec({ pid: p, user: p }), 0);
    expect(j.unmatched).toBe(2);
    expect(j.waitingRecords).toBe(3);
    exit(1, 1, 0);
    exit(5, 5, 0);
    j.release(10 * MS);
    expect(out).toEqual([
      ["exit 1", null],
      ["exit 5", 5],
    ]);
  });

  test("a pid reused before its first record found an exit: the old record is dropped", () => {
    const { j, out, exit } = joiner();
    j.record(rec({ pid: 7, user: 1 }), 0);
    j.record(rec({ pid: 7, user: 2 }), 0);
    expect(j.unmatched).toBe(1);
    exit(7, 7, 0);
    j.release(0);
    expect(out).toEqual([["exit 7", 2]]);
  });

  test("a discarded exit takes its record away without counting it", () => {
    const { j } = joiner();
    j.record(rec({ pid: 7, user: 1 }), 0);
    j.record(rec({ pid: 8, tgid: 8, user: 1, group: { user: 3 } }), 0);
    j.discard(7, 7);
    j.discard(8, 8);
    expect(j.waitingRecords).toBe(0);
    j.release(10e9);
    expect(j.unmatched).toBe(0);
  });

  test("steady state: a long run through a small queue and stash stays bounded and exact", () => {
    const { j, out, exit, line } = joiner({ capacity: 64, records: 64 });
    let t = 0;
    for (let p = 1; p <= 10_000; p++) {
      t += 0.01 * MS;
      if (p % 2 === 0) j.record(rec({ pid: p, user: p }), t);
      exit(p, p, t);
      if (p % 2 === 1) j.record(rec({ pid: p, user: p }), t);
      line(`l${p}`, t);
      j.release(t);
    }
    j.flushAll();
    expect(out.length).toBe(20_000);
    expect([j.matched, j.missing, j.unmatched, j.forced]).toEqual([10_000, 0, 0, 0]);
    for (let p = 1; p <= 10_000; p++) expect(out[(p - 1) * 2]).toEqual([`exit ${p}`, p]);
  });
});

describe("lines emitted at once", () => {
  test("nothing held and the record here: the caller's own line goes out at once, nothing is queued", () => {
    const { j, out } = joiner();
    j.record(rec({ pid: 10, user: 300 }), 0);
    const own = { text: "own 10" };
    expect(j.pushExit(10, 10, 1, true, own)).toBeNull();
    expect(out).toEqual([["own 10", 300]]);
    expect([j.held, j.matched]).toEqual([0, 1]);
  });

  test("a line already held: the next exit queues behind it even with its record here", () => {
    const { j, out, exit } = joiner();
    exit(11, 11, 0); // waits
    j.record(rec({ pid: 12, user: 5 }), 1);
    const slot = j.pushExit(12, 12, 1, true, { text: "own 12" });
    expect(slot).not.toBeNull();
    slot!.text = "exit 12";
    j.record(rec({ pid: 11, user: 7 }), 2);
    j.release(2);
    expect(out).toEqual([
      ["exit 11", 7],
      ["exit 12", 5],
    ]);
  });

  test("the record not here yet: the line is queued and waits as usual", () => {
    const { j, out } = joiner();
    const slot = j.pushExit(20, 20, 0, true, { text: "own" });
    slot!.text = "exit 20";
    expect(j.release(1 * MS)).toBe(0);
    j.record(rec({ pid: 20, user: 9 }), 2 * MS);
    j.release(2 * MS);
    expect(out).toEqual([["exit 20", 9]]);
  });
});

describe("a leader's exit that a thread's exec replaced", () => {
  test("it gets the leader's own record at once, not a wait for a group total that never comes", () => {
    const { j, out } = joiner();
    // The leader's record: not the last of its group (the exec'ing thread lives on as the process).
    j.record(rec({ pid: 30, user: 40, last: false }), 0);
    j.pushExit(30, 30, 1, false).text = "exit 30 replaced";
    expect(j.release(1)).toBe(1);
    expect(out).toEqual([["exit 30 replaced", 40]]);
    expect(j.missing).toBe(0);
  });

  test("taken as the process's end instead, the same line would wait for a group total and leave without figures", () => {
    const { j, out } = joiner({ holdNs: 5 * MS });
    j.record(rec({ pid: 30, user: 40, last: false }), 0);
    j.pushExit(30, 30, 1).text = "exit 30";
    expect(j.release(1)).toBe(0);
    j.release(6 * MS);
    expect(out).toEqual([["exit 30", null]]);
    expect(j.missing).toBe(1);
  });

  test("its record coming after the line: the task's own figures, not the group's", () => {
    const { j, out } = joiner();
    j.pushExit(31, 31, 0, false).text = "exit 31 replaced";
    j.record(rec({ pid: 31, user: 12, last: false }), 1);
    j.release(1);
    expect(out).toEqual([["exit 31 replaced", 12]]);
  });
});
