// How usage figures are written: the exit line's fixed-width cell, the text and JSON exit
// lines, the -S columns and counters.
import { afterAll, describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Clock } from "../../src/clock";
import type { FormatContext } from "../../src/output/formatter";
import { JsonFormatter } from "../../src/output/json";
import { Statistics } from "../../src/output/statistics";
import { TextFormatter } from "../../src/output/text";
import { Writer } from "../../src/output/writer";
import { UNKNOWN } from "../../src/proc/table";
import { blankReport, type Report } from "../../src/report";
import { newUsage, type Usage } from "../../src/usage/record";
import { USAGE_CELL_WIDTH, writeUsageCell } from "../../src/usage/units";

const MiB = 1048576;
const dir = mkdtempSync(join(tmpdir(), "pstat-usage-out-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** What `fill` writes through a real Writer, read back from its file. */
function written(fill: (w: Writer) => void): string {
  const path = join(dir, `out${n++}`);
  const fd = openSync(path, "w");
  const w = new Writer(fd, true);
  fill(w);
  w.flush();
  closeSync(fd);
  return readFileSync(path, "utf8");
}

function usage(cpu: number | null, rss: number | null): Usage {
  const u = newUsage();
  u.user = cpu === null ? null : cpu * 0.9;
  u.system = cpu === null ? null : cpu * 0.1;
  u.maxRss = rss;
  return u;
}

describe("the exit line's usage cell", () => {
  test.each([
    [usage(0.31, 104 * MiB), "cpu  0.31s rss  104M"],
    [usage(0.0007, 0), "cpu  0.00s rss     0"],
    [usage(12.34, 512), "cpu  12.3s rss  512B"],
    [usage(125.4, 1023 * 1024), "cpu  2m05s rss 1023K"],
    [usage(3725, 1.5 * 1024 * MiB), "cpu  1h02m rss  1.5G"],
    [usage(359_999, 3.2 * MiB), "cpu 99h59m rss  3.2M"],
    [usage(null, 5 * MiB), "cpu    n/a rss  5.0M"],
    [null, "cpu    n/a rss   n/a"],
    [undefined, " ".repeat(20)],
  ] as [Usage | null | undefined, string][])("%#: %p", (u, text) => {
    const out = written((w) => writeUsageCell(w, u));
    expect(out).toBe(text);
    expect(out.length).toBe(USAGE_CELL_WIDTH);
  });

  test("cells in a row: a repeat of the figures shown is copied, any change is worked out", () => {
    // Figures that print alike (the last cell is copied) and that differ (it must not be).
    const row: [Usage | null, string][] = [
      [usage(0.001, MiB), "cpu  0.00s rss  1.0M"],
      [usage(0.004, MiB), "cpu  0.00s rss  1.0M"],
      [usage(0.006, MiB), "cpu  0.01s rss  1.0M"],
      [usage(0.006, MiB + 1), "cpu  0.01s rss  1.0M"],
      [usage(0.006, 2 * MiB), "cpu  0.01s rss  2.0M"],
      [usage(null, 2 * MiB), "cpu    n/a rss  2.0M"],
      [usage(0, null), "cpu  0.00s rss   n/a"],
      [null, "cpu    n/a rss   n/a"],
      [null, "cpu    n/a rss   n/a"],
      [usage(25, 2 * MiB), "cpu  25.0s rss  2.0M"],
      [usage(25.01, 2 * MiB), "cpu  25.0s rss  2.0M"],
      [usage(25.07, 2 * MiB), "cpu  25.1s rss  2.0M"],
      [usage(12.5, 2 * MiB), "cpu  12.5s rss  2.0M"],
      [usage(725, 2 * MiB), "cpu 12m05s rss  2.0M"],
    ];
    const out = written((w) => {
      for (const [u] of row) {
        w.reserve(64);
        writeUsageCell(w, u);
        w.byte(0x0a);
      }
    });
    expect(out).toBe(row.map(([, text]) => `${text}\n`).join(""));
  });

  test("cells in a row near the rounding boundaries read as each alone does", () => {
    const row: Usage[] = [];
    for (const k of [0, 1, 2, 49, 998, 999])
      for (const d of [-1e-6, -1e-9, -1e-12, 0, 1e-12, 1e-9, 1e-6]) row.push(usage((k + 0.5) / 100 + d, 1600 * 1024), usage((k + 0.5) / 100 - d, 1600 * 1024));
    const alone = (u: Usage): string =>
      written((w) => {
        writeUsageCell(w, usage(77.7, 3 * MiB)); // a different cell first: nothing to copy
        w.byte(0x0a);
        writeUsageCell(w, u);
      }).split("\n")[1]!;
    const expected = row.map(alone);
    const out = written((w) => {
      for (const u of row) {
        w.reserve(64);
        writeUsageCell(w, u);
        w.byte(0x0a);
      }
    });
    expect(out.split("\n").slice(0, -1)).toEqual(expected);
    expect(new Set(expected).size).toBeGreaterThan(6);
  });
});

function context(o: Partial<FormatContext> = {}): FormatContext {
  const context = { cgroup: false, ancestry: false, cwd: false, login: false };
  return { clock: new Clock(), time: "none", pidWidth: 7, glyphs: false, extra: false, color: false, tree: false, context, usage: true, ...o };
}

function exitReport(u: Usage | null): Report {
  const r = blankReport(UNKNOWN);
  Object.assign(r, {
    kind: "exit",
    pid: 4242,
    tgid: 4242,
    proc: { ...UNKNOWN, name: "make -j8", comm: "make", cmdline: "make -j8", known: true },
    exitCode: 2,
    duration: 1.5,
    usage: u,
  });
  return r;
}

describe("text", () => {
  test("with --usage: a Usage column before Process, the figures on exits, blank elsewhere, Process aligned", () => {
    const f = new TextFormatter(context());
    const heading = f.heading();
    const exit = written((w) => f.event(exitReport(usage(0.31, 104 * MiB)), w));
    const exec = written((w) => f.event({ ...exitReport(null), kind: "exec" }, w));
    expect(heading).toBe("Event     PID     Info Duration Usage                Process\n");
    expect(exit).toBe("exit     4242        2    1.500 cpu  0.31s rss  104M make -j8\n");
    expect(exec.indexOf("make")).toBe(heading.indexOf("Process"));
    expect(exit.indexOf("make")).toBe(heading.indexOf("Process"));
  });

  test("without --usage nothing changes", () => {
    const f = new TextFormatter(context({ usage: false }));
    expect(f.heading()).toBe("Event     PID     Info Duration Process\n");
    expect(written((w) => f.event(exitReport(usage(0.31, 104 * MiB)), w))).toBe("exit     4242        2    1.500 make -j8\n");
  });

  test("a taskstats overflow is a lost line of its own", () => {
    const f = new TextFormatter(context());
    const r = blankReport(UNKNOWN);
    Object.assign(r, { kind: "lost", count: -1, lostSource: "usage" });
    expect(written((w) => f.event(r, w))).toContain("usage records lost (taskstats receive buffer overflow");
  });
});

describe("JSON", () => {
  test("exits carry usage (null when no record came); other lines none; without --usage no field", () => {
    const f = new JsonFormatter(context({ time: "iso" }));
    const o = JSON.parse(f.format(exitReport(usage(0.5, 2 * MiB))));
    expect(o.usage.user + o.usage.system).toBeCloseTo(0.5, 6);
    expect(o.usage.max_rss).toBe(2 * MiB);
    expect(JSON.parse(f.format(exitReport(null))).usage).toBeNull();
    expect("usage" in JSON.parse(f.format({ ...exitReport(null), kind: "exec" }))).toBe(false);
    expect("usage" in JSON.parse(new JsonFormatter(context({ usage: false })).format(exitReport(null)))).toBe(false);
  });

  test("a taskstats overflow: a lost object with source taskstats and no count", () => {
    const r = blankReport(UNKNOWN);
    Object.assign(r, { kind: "lost", count: -1, lostSource: "usage" });
    const o = JSON.parse(new JsonFormatter(context()).format(r));
    expect([o.event, o.count, o.source]).toEqual(["lost", null, "taskstats"]);
  });
});

describe("-S with --usage", () => {
  function stats(): Statistics {
    const s = new Statistics();
    s.usage = true;
    s.records = true;
    s.count("exec", "cc");
    s.count("exit", "cc", usage(1.25, 30 * MiB));
    s.count("exit", "cc", usage(0.75, 40 * MiB));
    s.count("exit", "sh", null);
    s.usageMissing = 1;
    return s;
  }

  test("text: CPU added up and the largest peak RSS per name, n/a where no figures came, and the counters", () => {
    const text = stats().render();
    const lines = text.split("\n");
    expect(lines[0]).toEndWith(" Total    CPU MaxRSS Process");
    expect(lines[1]).toEndWith("      3  2.00s    40M cc");
    expect(lines[2]).toEndWith("      1    n/a    n/a sh");
    expect(lines[3]).toEndWith("      4  2.00s    40M (total)");
    expect(text).toContain("Exits without usage figures: 1\n");
  });

  test("JSON: cpu and max_rss per row, null where none; the counters", () => {
    const f = new JsonFormatter(context());
    const o = JSON.parse(written((w) => f.statistics(stats(), 0, w)));
    expect(o.processes.map((p: { process: string; cpu: number | null; max_rss: number | null }) => [p.process, p.cpu, p.max_rss])).toEqual([
      ["cc", 2, 40 * MiB],
      ["sh", null, null],
    ]);
    expect([o.usage_missing, o.usage_overflows, o.usage_malformed, o.usage_unavailable]).toEqual([1, 0, 0, null]);
  });

  test("without --usage the table is as before", () => {
    const s = new Statistics();
    s.count("exit", "cc", usage(1, 1));
    expect(s.render().split("\n")[0]).toEndWith(" Total Process");
    expect(s.render()).not.toContain("usage");
  });
});
