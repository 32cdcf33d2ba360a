// Both formatters on hand-made reports: layout, fields, and what they do with unknowns.
import { describe, expect, test } from "bun:test";
import { Clock } from "../../src/clock";
import type { FormatContext } from "../../src/output/formatter";
import { JsonFormatter } from "../../src/output/json";
import { Statistics } from "../../src/output/statistics";
import { TextFormatter } from "../../src/output/text";
import { Writer } from "../../src/output/writer";
import { type ProcInfo, UNKNOWN } from "../../src/proc/table";
import { blankReport, type Report } from "../../src/report";

const clock = new Clock();
const ctx = (o: Partial<FormatContext> = {}): FormatContext => ({
  clock,
  time: "none",
  pidWidth: 7,
  glyphs: false,
  extra: false,
  color: false,
  tree: false,
  context: { cgroup: false, ancestry: false, cwd: false, login: false },
  ...o,
});
const proc = (name: string, o: Partial<ProcInfo> = {}): ProcInfo => ({ ...UNKNOWN, name, cmdline: name, comm: name.split(" ")[0]!, known: true, ...o });

function report(o: Partial<Report>): Report {
  return { ...blankReport(UNKNOWN), ts: clock.monoAtStart, ...o };
}

/** What the text formatter writes for `r` (gathered in a Writer that is never flushed). */
function text(r: Report, o: Partial<FormatContext> = {}): string {
  const w = new Writer(-1, false);
  new TextFormatter(ctx(o)).event(r, w);
  return Buffer.from(w.peek()).toString("utf8");
}

describe("text", () => {
  test("the heading follows the options", () => {
    expect(new TextFormatter(ctx()).heading()).toBe("Event     PID     Info Duration Process\n");
    expect(new TextFormatter(ctx({ extra: true, time: "time" })).heading()).toBe(
      "Time     Event     PID      UID     EUID TTY         Info Duration Process\n",
    );
  });

  test("fork: the parent's line, then the child's", () => {
    const out = text(report({ kind: "fork", pid: 12, tgid: 12, ppid: 10, parent: proc("bash"), proc: proc("bash") }));
    expect(out).toBe("fork       10 parent            bash\nfork       12 child             bash\n");
  });

  test("exit: code, duration with three decimals; a signal by name, * for a core", () => {
    expect(text(report({ kind: "exit", pid: 5, proc: proc("sh -c x"), exitCode: 3, signal: null, duration: 1.23456 }))).toBe(
      "exit        5        3    1.235 sh -c x\n",
    );
    expect(text(report({ kind: "exit", pid: 5, proc: proc("a"), exitCode: null, signal: 11, coreDumped: true, duration: NaN }))).toBe(
      "exit        5 SIGSEGV*          a\n",
    );
  });

  test("a leader's exit that a thread's exec replaced says so in the Info column", () => {
    expect(text(report({ kind: "exit", pid: 5, proc: proc("python3 x"), exitCode: 0, signal: null, replaced: true, duration: 0.5 }))).toBe(
      "exit        5 replaced    0.500 python3 x\n",
    );
  });

  test("an unreadable name is <unknown>; a lost line counts", () => {
    expect(text(report({ kind: "exec", pid: 9, proc: UNKNOWN }))).toBe("exec        9                   <unknown>\n");
    expect(text(report({ kind: "lost", count: 12 }))).toBe("lost        -       12          12 events lost (receive buffer overflow)\n");
  });

  test("--tree indents by depth; -g adds glyphs", () => {
    expect(text(report({ kind: "exec", pid: 9, proc: proc("cc"), depth: 2 }), { tree: true })).toBe("exec        9                       cc\n");
    expect(text(report({ kind: "exec", pid: 9, proc: proc("cc") }), { glyphs: true })).toBe("exec        9 →                  cc\n");
  });
});

describe("JSON", () => {
  const json = (r: Report, o: Partial<FormatContext> = {}) => JSON.parse(new JsonFormatter(ctx(o)).format(r));

  test("fork: ppid is the parent process, parent_tid the thread that forked", () => {
    const e = json(report({ kind: "fork", pid: 12, tgid: 12, ppid: 10, parentTid: 11, parent: proc("bash"), proc: proc("bash") }));
    expect(e).toMatchObject({ event: "fork", pid: 12, tgid: 12, ppid: 10, parent_tid: 11, parent_process: "bash", process: "bash", comm: "bash" });
    expect("thread" in e).toBe(false);
  });

  test("thread-level events carry thread: true; a replaced leader exit says so", () => {
    expect(json(report({ kind: "clone", pid: 13, tgid: 12, thread: true, ppid: 10, parent: proc("x"), proc: proc("x") })).thread).toBe(true);
    const e = json(report({ kind: "exit", pid: 12, tgid: 12, thread: true, replaced: true, proc: proc("x"), exitCode: 0, signal: null, duration: 1 }));
    expect(e).toMatchObject({ thread: true, replaced_by_exec: true, exit_code: 0 });
  });

  test("a name pstat could not read is null in every string field", () => {
    const e = json(report({ kind: "comm", pid: 3, tgid: 3, proc: UNKNOWN, oldComm: "<unknown>" }));
    expect(e).toMatchObject({ process: null, cmdline: null, comm: null, old_comm: null });
  });

  test("ppid on every event, null when unknown", () => {
    expect(json(report({ kind: "exec", pid: 9, tgid: 9, ppid: 42, proc: proc("cc") })).ppid).toBe(42);
    expect(json(report({ kind: "exec", pid: 9, tgid: 9, ppid: 0, proc: UNKNOWN })).ppid).toBeNull();
  });

  test("-x on a uid event does not repeat its euid", () => {
    const line = new JsonFormatter(ctx({ extra: true })).format(
      report({ kind: "uid", pid: 9, tgid: 9, ruid: 1000, euid: 0, proc: proc("su", { uid: 1000, euid: 0 }) }),
    );
    expect(line.match(/"euid":/g)?.length).toBe(1);
    expect(JSON.parse(line)).toMatchObject({ ruid: 1000, euid: 0, user: expect.any(String) });
  });

  test("times are RFC 3339 with microseconds", () => {
    expect(json(report({ kind: "exec", pid: 1, tgid: 1, proc: proc("x") })).time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/);
  });

  test("statistics: schema version, loss, malformed messages, rows by process", () => {
    const s = new Statistics();
    s.count("exec", "make");
    s.count("exit", "make");
    s.malformed = 2;
    const w = new Writer(-1, false);
    new JsonFormatter(ctx()).statistics(s, clock.monoAtStart, w);
    const o = JSON.parse(Buffer.from(w.peek()).toString("utf8"));
    expect(o).toMatchObject({ event: "statistics", version: 2, lost: 0, lost_exact: true, malformed: 2 });
    expect(o.processes).toEqual([{ process: "make", fork: 0, exec: 1, exit: 1, core: 0, comm: 0, clone: 0, ptrace: 0, uid: 0, gid: 0, sid: 0, total: 2 }]);
  });
});
