import { describe, expect, test } from "bun:test";
import type { Usage } from "../../src/usage/record";
import { newUsage } from "../../src/usage/record";
import { Summary } from "../../src/usage/summary";
import { formatBytes, formatSeconds, usageText } from "../../src/usage/units";

const MiB = 1048576;

function usage(cpu: number, rss: number, io = 0): Usage {
  const u = newUsage();
  u.user = cpu * 0.75;
  u.system = cpu * 0.25;
  u.maxRss = rss;
  u.readBytes = io / 2;
  u.writeBytes = io / 2;
  return u;
}

/** A known tree: make runs cc three times (one fails) and ld once, which is killed. */
function build(reason: string | null, withUsage = true): Summary {
  const s = new Summary(reason);
  const add = (pid: number, program: string, cmdline: string, exitCode: number | null, signal: number | null, u: Usage) =>
    s.add({ pid, program, cmdline, exitCode, signal, usage: withUsage ? u : null });
  add(101, "cc", "cc -O2 -c a.c", 0, null, usage(1.5, 100 * MiB, 4 * MiB));
  add(102, "cc", "cc -O2 -c b.c", 1, null, usage(0.25, 80 * MiB, 1 * MiB));
  add(103, "cc", "cc -O2 -c big.c", 0, null, usage(4.0, 300 * MiB, 10 * MiB));
  add(104, "ld", "ld -o prog a.o big.o", null, 9, usage(2.0, 500 * MiB, 50 * MiB));
  add(100, "make", "make -j2", 2, null, usage(0.05, 3 * MiB));
  return s;
}

describe("per program", () => {
  test("counts, CPU, peak RSS, I/O and failures of a known tree", () => {
    const rows = build(null).rows();
    expect(rows.map((r) => [r.program, r.processes, r.failures, r.signaled, r.withoutUsage])).toEqual([
      ["cc", 3, 1, 0, 0],
      ["ld", 1, 1, 1, 0],
      ["make", 1, 1, 0, 0],
    ]);
    expect(rows[0]!.cpu).toBeCloseTo(5.75, 9);
    expect(rows[0]!.maxRss).toBe(300 * MiB);
    expect(rows[0]!.io).toBe(15 * MiB);
    expect(rows[1]!.maxRss).toBe(500 * MiB);
  });

  test("job totals and the three heaviest processes with their command lines", () => {
    const s = build(null);
    const t = s.totals();
    expect([t.processes, t.failures, t.withoutUsage]).toEqual([5, 3, 0]);
    expect(t.cpu).toBeCloseTo(7.8, 9);
    expect(t.maxRss).toBe(500 * MiB);
    expect(t.io).toBe(65 * MiB);
    expect(s.heaviest().map((h) => h.cmdline)).toEqual(["cc -O2 -c big.c", "ld -o prog a.o big.o", "cc -O2 -c a.c"]);
  });
});

describe("text", () => {
  test("an aligned table people read at a glance", () => {
    const text = build(null).renderText(3.2);
    expect(text).toBe(
      [
        "Procs    CPU  Max RSS  Storage I/O  Failed  Program",
        "    3  5.75s     300M          15M       1  cc",
        "    1  2.00s     500M          50M       1  ld",
        "    1  0.05s     3.0M            0       1  make",
        "    5  7.80s     500M          65M       3  (total)",
        "",
        "Wall time 3.20s, CPU 7.80s (2.44 CPUs busy on average), 5 processes, 3 failed",
        "Heaviest (CPU, max RSS, PID, command line):",
        "  4.00s  300M  103  cc -O2 -c big.c",
        "  2.00s  500M  104  ld -o prog a.o big.o",
        "  1.50s  100M  101  cc -O2 -c a.c",
        "",
      ].join("\n"),
    );
  });

  test("without taskstats: figures unavailable (never 0), counts and failures kept, the reason said once", () => {
    const reason = "the kernel gives per-task accounting (taskstats) only to root or CAP_NET_ADMIN";
    const text = build(reason, false).renderText(1);
    const lines = text.split("\n");
    expect(lines[1]).toBe("    3  n/a      n/a          n/a       1  cc");
    expect(lines[4]).toBe("    5  n/a      n/a          n/a       3  (total)");
    expect(text).not.toMatch(/\b0\.00s|\s0\s/);
    expect(text.split(reason).length - 1).toBe(1);
    expect(text).not.toContain("Heaviest");
  });

  test("figures given while taskstats is said to be off are not shown", () => {
    const text = build("no CONFIG_TASKSTATS", true).renderText(1);
    expect(text).not.toContain("5.75s");
  });

  test("processes whose records did not come are marked, not counted as zero", () => {
    const s = build(null);
    s.add({ pid: 200, program: "cc", cmdline: "cc x.c", exitCode: 0, signal: null, usage: null });
    const text = s.renderText(1);
    const lines = text.split("\n");
    expect(lines.slice(0, 5)).toEqual([
      "Procs     CPU  Max RSS  Storage I/O  Failed  Program",
      "    4  5.75s*    300M*         15M*       1  cc",
      "    1  2.00s     500M          50M        1  ld",
      "    1  0.05s     3.0M            0        1  make",
      "    6  7.80s*    500M*         65M*       3  (total)",
    ]);
    expect(text).toContain("* without the figures of 1 process (their records did not come)");
    expect(s.totals().withoutUsage).toBe(1);
  });

  test("a job with no process at all still renders", () => {
    const text = new Summary(null).renderText(0.5);
    expect(text).toContain("    0  n/a      n/a          n/a       0  (total)");
  });
});

test("text: the heaviest list keeps its columns when PIDs differ in width", () => {
  const s = new Summary(null);
  s.add({ pid: 9072, program: "cc1", cmdline: "cc1 a.c", exitCode: 0, signal: null, usage: usage(0.03, 30 * MiB) });
  s.add({ pid: 11153, program: "cc1", cmdline: "cc1 b.c", exitCode: 0, signal: null, usage: usage(0.04, 31 * MiB) });
  const lines = s.renderText(1).split("\n");
  const heavy = lines.slice(lines.findIndex((l) => l.startsWith("Heaviest")) + 1, -1);
  expect(heavy).toEqual(["  0.04s  31M  11153  cc1 b.c", "  0.03s  30M   9072  cc1 a.c"]);
});

describe("JSON", () => {
  test("one summary object with per-program rows and the heaviest", () => {
    const line = build(null).renderJson(3.2, `"time":"2025-01-01T00:00:00.000Z",`);
    expect(line.endsWith("}\n")).toBe(true);
    expect(line.split("\n").length).toBe(2);
    const o = JSON.parse(line);
    expect(o.event).toBe("summary");
    expect(o.time).toBe("2025-01-01T00:00:00.000Z");
    expect([o.wall, o.processes, o.failures, o.cpu, o.max_rss, o.io_bytes, o.usage_unavailable]).toEqual([3.2, 5, 3, 7.8, 500 * MiB, 65 * MiB, null]);
    expect(o.programs[0]).toEqual({
      program: "cc",
      processes: 3,
      failures: 1,
      signaled: 0,
      cpu: 5.75,
      max_rss: 300 * MiB,
      io_bytes: 15 * MiB,
      without_usage: 0,
    });
    expect(o.heaviest.map((h: { pid: number }) => h.pid)).toEqual([103, 104, 101]);
  });

  test("unavailable figures are null, counts stay", () => {
    const o = JSON.parse(build("no privilege", false).renderJson(1));
    expect([o.cpu, o.max_rss, o.io_bytes, o.heaviest, o.usage_unavailable]).toEqual([null, null, null, null, "no privilege"]);
    expect(o.programs[0]).toEqual({ program: "cc", processes: 3, failures: 1, signaled: 0, cpu: null, max_rss: null, io_bytes: null, without_usage: 3 });
    expect(o.processes).toBe(5);
    expect(o.failures).toBe(3);
  });

  test("escaped names pass through as given", () => {
    const s = new Summary(null);
    s.add({ pid: 1, program: 'we\\x1bird"', cmdline: null, exitCode: 0, signal: null, usage: usage(1, 1) });
    const o = JSON.parse(s.renderJson(1));
    expect(o.programs[0].program).toBe('we\\x1bird"');
    expect(o.heaviest[0].cmdline).toBeNull();
  });
});

describe("human units", () => {
  test("seconds", () => {
    expect([0, 0.005, 0.31, 9.99, 9.996, 12.34, 99.9, 100, 312, 3599, 3600, 7530].map(formatSeconds)).toEqual([
      "0.00s",
      "0.01s",
      "0.31s",
      "9.99s",
      "10.0s",
      "12.3s",
      "99.9s",
      "1m40s",
      "5m12s",
      "59m59s",
      "1h00m",
      "2h05m",
    ]);
  });

  test("bytes", () => {
    expect([0, 512, 1024, 1536, 104 * MiB, 3.2 * MiB, 1023.9 * 1024, 1.5 * 1024 * MiB, 12 * 1024 * MiB].map(formatBytes)).toEqual([
      "0",
      "512B",
      "1.0K",
      "1.5K",
      "104M",
      "3.2M",
      "1.0M",
      "1.5G",
      "12G",
    ]);
  });

  test("an exit line's short figures", () => {
    expect(usageText(usage(0.31, 104 * MiB))).toBe("cpu 0.31s rss 104M");
    expect(usageText(null)).toBe("cpu n/a rss n/a");
  });
});
