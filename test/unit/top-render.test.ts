import { describe, expect, test } from "bun:test";
import { createColors } from "picocolors";
import { blankTopEvent, TopModel, type Snapshot, type TopEvent } from "../../src/top/model";
import { initialState, renderBatchJson, renderBatchText, renderScreen, sparkline, visibleRows, type ViewState } from "../../src/top/render";
import { cutToWidth, displayWidth, fitWidth } from "../../src/top/width";

const plain = createColors(false);
const colour = createColors(true);

/** Escape sequences in `s` that are complete (CSI with its final byte). */
const ESCAPES = /\x1b\[[0-9;?]*[@-~]/g;
const stripEscapes = (s: string) => s.replace(ESCAPES, "");

describe("display width", () => {
  test("ASCII counts 1, East Asian wide and emoji 2, combining marks and escapes 0", () => {
    expect(displayWidth("abc")).toBe(3);
    expect(displayWidth("构建")).toBe(4);
    expect(displayWidth("a😀b")).toBe(4);
    expect(displayWidth("e\u0301")).toBe(1);
    expect(displayWidth("\x1b[31mred\x1b[39m")).toBe(3);
    expect(displayWidth("")).toBe(0);
  });

  test("a cut never splits a wide character: it leaves it out whole", () => {
    expect(cutToWidth("ab构建", 3)).toBe("ab");
    expect(cutToWidth("ab构建", 4)).toBe("ab构");
    expect(cutToWidth("构建", 1)).toBe("");
  });

  test("a cut never splits a surrogate pair, and keeps a combining mark with its letter", () => {
    expect(cutToWidth("x😀y", 2)).toBe("x");
    expect(cutToWidth("x😀y", 3)).toBe("x😀");
    expect(cutToWidth("e\u0301x", 1)).toBe("e\u0301");
  });

  test("a cut never splits an escape sequence and keeps the ones after it, so colour is switched off", () => {
    const s = "\x1b[31mabcdef\x1b[39m tail \x1b[1mbold\x1b[22m";
    expect(cutToWidth(s, 3)).toBe("\x1b[31mabc\x1b[39m\x1b[1m\x1b[22m");
    expect(cutToWidth("\x1b[38;5;196mxy", 1)).toBe("\x1b[38;5;196mx");
  });

  test("fitWidth pads to the exact width", () => {
    expect(fitWidth("构", 5)).toBe("构   ");
    expect(displayWidth(fitWidth("ab构建cd", 5))).toBe(4 + 1);
  });

  test("random mixtures always fit, keep every escape whole, and keep a prefix of the text", () => {
    const parts = ["a", "Z", " ", "构", "😀", "e\u0301", "\x1b[31m", "\x1b[39m", "\x1b[0;7m", "\\x1b"];
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 500; i++) {
      let s = "";
      const n = rand(30);
      for (let k = 0; k < n; k++) s += parts[rand(parts.length)];
      const cols = rand(25);
      const cut = cutToWidth(s, cols);
      expect(displayWidth(cut)).toBeLessThanOrEqual(cols);
      // Every ESC in the result starts a whole sequence, and all of the input's sequences are there.
      expect(cut.split("\x1b").length - 1).toBe((cut.match(ESCAPES) ?? []).length);
      expect(cut.match(ESCAPES) ?? []).toEqual(s.match(ESCAPES) ?? []);
      expect(stripEscapes(s).startsWith(stripEscapes(cut))).toBe(true);
    }
  });
});

describe("sparkline", () => {
  test("scales to the largest value over eight levels; unknown is blank", () => {
    expect(sparkline([0, 1, 2, 4, 8])).toBe("▁▁▂▄█");
    expect(sparkline([null, null, 0, 0])).toBe("  ▁▁");
    expect(sparkline([5, 5])).toBe("██");
  });
});

function snapshot(opts: { usage?: boolean } = {}): { snap: Snapshot; model: TopModel } {
  const model = new TopModel(0, { usage: opts.usage ?? false });
  const ev: TopEvent = { ...blankTopEvent(), ppid: 1, user: "root" };
  const groups: [string, number][] = [
    ["bash -c while :; do /bin/true; done", 50],
    ["python3 构建工具.py --watch 文件文件文件文件文件文件文件文件文件文件文件文件", 3],
    ["make -j4 all", 12],
  ];
  let pid = 1;
  for (const [key, rate] of groups) {
    for (let i = 0; i < rate; i++) {
      ev.parentKey = key;
      ev.ts = i * (1000 / rate);
      ev.pid = pid;
      ev.kind = "fork";
      ev.program = "sh";
      model.add(ev);
      ev.kind = "exec";
      ev.program = key.split(" ")[0]!;
      ev.cmdline = `${key} child ${i}`;
      model.add(ev);
      ev.kind = "exit";
      ev.failed = i % 5 === 0;
      ev.usage = { cpu: 0.01, maxRss: 2_000_000 };
      model.add(ev);
      ev.failed = false;
      ev.usage = null;
      pid++;
    }
  }
  return { snap: model.tick(1000), model };
}

describe("screen", () => {
  test("every line fits the terminal, at every size, in every view, with and without colour", () => {
    const { snap, model } = snapshot({ usage: true });
    const detail = { grouping: "parent" as const, key: "make -j4 all", recent: model.recent("parent", "make -j4 all") };
    const states: ViewState[] = [
      initialState(),
      { ...initialState(), help: true },
      { ...initialState(), detail },
      { ...initialState(), prompt: "构建|ma", message: "not a regular expression: x" },
      { ...initialState(), selected: 2, paused: true, filter: "a" },
    ];
    for (const c of [plain, colour])
      for (const state of states)
        for (const rows of [1, 2, 3, 5, 10, 40])
          for (const cols of [1, 5, 20, 37, 60, 80, 120, 200]) {
            const lines = renderScreen(snap, { rows, cols }, state, c);
            expect(lines.length).toBe(rows);
            for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(cols);
          }
  });

  test("the headings mark the sort column, rows are ranked by it, the status line is at the bottom", () => {
    const { snap } = snapshot();
    const lines = renderScreen(snap, { rows: 12, cols: 120 }, initialState(), plain);
    expect(lines[0]).toContain("65.0 procs/s");
    expect(lines[2]).toContain("START/s▼");
    expect(lines[2]).toMatch(/PARENT$/);
    expect(lines[3]).toContain("bash -c while :;");
    expect(lines[3]!.startsWith(">")).toBe(true);
    expect(lines[4]).toContain("make -j4 all");
    expect(lines[5]).toContain("python3 构建工具.py");
    expect(lines[11]).toContain("q quit");

    const byKey = renderScreen(snap, { rows: 12, cols: 120 }, { ...initialState(), sort: "key" }, plain);
    expect(byKey[2]).toContain("PARENT▲");
    expect(byKey[2]).not.toContain("▼");
    expect(byKey[3]).toContain("bash");
    expect(byKey[4]).toContain("make");

    const byFailed = renderScreen(snap, { rows: 12, cols: 120 }, { ...initialState(), sort: "failed" }, plain);
    expect(byFailed[2]).toContain("FAIL▼");
  });

  test("accounting columns say n/a when unavailable, and show the figures when available", () => {
    const without = renderScreen(snapshot({ usage: false }).snap, { rows: 8, cols: 120 }, initialState(), plain);
    expect(without[3]).toMatch(/n\/a +n\/a/);
    expect(without[1]).toContain("CPU/MAXRSS unavailable");
    const withUsage = renderScreen(snapshot({ usage: true }).snap, { rows: 8, cols: 120 }, initialState(), plain);
    expect(withUsage[3]).toMatch(/0\.50s +1\.9M/);
  });

  test("a narrow terminal drops figure columns but keeps the sorted one", () => {
    const { snap } = snapshot({ usage: true });
    const lines = renderScreen(snap, { rows: 8, cols: 40 }, { ...initialState(), sort: "mem" }, plain);
    expect(lines[2]).toContain("MAXRSS▼");
    expect(lines[2]).not.toContain("AVG/s");
  });

  test("the selection stays on screen when it is below the first page", () => {
    const { snap } = snapshot();
    const lines = renderScreen(snap, { rows: 5, cols: 80 }, { ...initialState(), selected: 2 }, plain);
    // rows 0-1 header, 2 headings, 3 one row, 4 status
    expect(lines[3]!.startsWith(">")).toBe(true);
    expect(lines[3]).toContain("python3");
  });

  test("the filter keeps matching groups; the help and detail views replace the rows", () => {
    const { snap, model } = snapshot();
    const filtered = renderScreen(snap, { rows: 8, cols: 120 }, { ...initialState(), filter: "^make" }, plain);
    expect(filtered.filter((l) => l.includes("bash"))).toEqual([]);
    expect(filtered[3]).toContain("make -j4 all");
    expect(filtered[1]).toContain("filter /^make/");

    const help = renderScreen(snap, { rows: 30, cols: 100 }, { ...initialState(), help: true }, plain);
    expect(help.join("\n")).toContain("q, Ctrl-C");

    const recent = model.recent("parent", "make -j4 all");
    const detail = renderScreen(snap, { rows: 10, cols: 100 }, { ...initialState(), detail: { grouping: "parent", key: "make -j4 all", recent } }, plain);
    expect(detail[2]).toContain("Recent commands, parent make -j4 all");
    expect(detail[4]).toContain("make -j4 all child 11");
    expect(detail[9]).toContain("Esc");
  });

  test("with colour, the selected row is highlighted and every line resets what it switched on", () => {
    const { snap } = snapshot();
    const lines = renderScreen(snap, { rows: 8, cols: 60 }, initialState(), colour);
    expect(lines[3]).toContain("\x1b[7m");
    for (const l of lines) {
      const opens = (l.match(/\x1b\[(1|2|4|7|3[1-6])m/g) ?? []).length;
      if (opens > 0) expect(l).toMatch(/\x1b\[(0|22|24|27|39)m[^\x1b]*$/);
    }
  });

  test("before the first interval, a waiting line", () => {
    const lines = renderScreen(null, { rows: 4, cols: 80 }, initialState(), plain);
    expect(lines[0]).toContain("waiting");
  });
});

describe("batch", () => {
  test("text: a totals line, the headings, the groups ranked, a blank line", () => {
    const { snap } = snapshot();
    const text = renderBatchText(snap, { grouping: "parent", sort: "rate", filter: "" }, plain);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^pstat top: 65\.0 procs\/s/);
    expect(lines[1]).toContain("START/s▼");
    expect(lines[2]).toContain("bash -c while");
    expect(lines[3]).toContain("make -j4 all");
    expect(lines[4]).toContain("python3");
    expect(text.endsWith("\n\n")).toBe(true);
    expect(text).not.toContain("\x1b");
  });

  test("JSON: one line that parses, with the groups ranked and nulls for what is unknown", () => {
    const { snap } = snapshot({ usage: false });
    const out = renderBatchJson(snap, { grouping: "parent", sort: "rate", filter: "", time: "2025-01-01T00:00:00.000Z" });
    expect(out.endsWith("\n")).toBe(true);
    expect(out.trimEnd().includes("\n")).toBe(false);
    const o = JSON.parse(out);
    expect(o.event).toBe("top");
    expect(o.time).toBe("2025-01-01T00:00:00.000Z");
    expect(o.totals.procs_per_sec).toBe(65);
    expect(o.usage_available).toBe(false);
    expect(o.history.length).toBe(60);
    expect(o.groups.map((g: { key: string }) => g.key)).toEqual(visibleRows(snap, { grouping: "parent", sort: "rate", filter: "" }).map((r) => r.key));
    expect(o.groups[0].key).toBe("bash -c while :; do /bin/true; done");
    expect(o.groups[0].procs_per_sec).toBe(50);
    expect(o.groups[0].failed).toBe(10);
    expect(o.groups[0].cpu_seconds).toBeNull();
    expect(o.groups[0].max_rss).toBeNull();
  });

  test("JSON with accounting carries the figures; a limit keeps the top rows", () => {
    const { snap } = snapshot({ usage: true });
    const o = JSON.parse(renderBatchJson(snap, { grouping: "program", sort: "rate", filter: "", limit: 1 }));
    expect(o.groups.length).toBe(1);
    expect(o.groups[0].key).toBe("bash");
    expect(o.groups[0].cpu_seconds).toBeCloseTo(0.5, 6);
    expect(o.groups[0].max_rss).toBe(2_000_000);
  });
});
