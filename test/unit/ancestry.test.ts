// The chain of parents from a process table: order, where it ends, loops, depth; and the
// text form with its length bound and middle cut.
import { describe, expect, test } from "bun:test";
import { type Ancestor, ancestors, ancestryText, MAX_DEPTH, type ParentInfo } from "../../src/context/ancestry";

/** A table from [pid, ppid, name] rows. */
function table(rows: [number, number, string][]): (pid: number) => ParentInfo | undefined {
  const m = new Map(rows.map(([pid, ppid, name]) => [pid, { ppid, name, comm: name }]));
  return (pid) => m.get(pid);
}

const build = table([
  [1, 0, "systemd"],
  [500, 1, "sshd"],
  [600, 500, "sshd"],
  [700, 600, "bash"],
  [800, 700, "make"],
  [900, 800, "cc"],
  [901, 900, "as"],
  [2, 0, "kthreadd"],
  [30, 2, "kworker/0:1"],
]);

describe("ancestors", () => {
  test("from the nearest parent up to PID 1", () => {
    expect(ancestors(901, build)).toEqual([
      { pid: 900, process: "cc", comm: "cc" },
      { pid: 800, process: "make", comm: "make" },
      { pid: 700, process: "bash", comm: "bash" },
      { pid: 600, process: "sshd", comm: "sshd" },
      { pid: 500, process: "sshd", comm: "sshd" },
      { pid: 1, process: "systemd", comm: "systemd" },
    ]);
  });

  test("PID 1 and kthreadd have none; a kernel thread has kthreadd", () => {
    expect(ancestors(1, build)).toEqual([]);
    expect(ancestors(2, build)).toEqual([]);
    expect(ancestors(30, build)).toEqual([{ pid: 2, process: "kthreadd", comm: "kthreadd" }]);
  });

  test("an unknown process has none; the chain stops at a parent the table does not know", () => {
    expect(ancestors(12345, build)).toEqual([]);
    const partial = table([
      [40, 30, "child"],
      [30, 20, "parent"],
    ]);
    expect(ancestors(40, partial)).toEqual([{ pid: 30, process: "parent", comm: "parent" }]);
  });

  test("loops end: back to the process itself, or into the chain", () => {
    const self = table([
      [5, 6, "a"],
      [6, 5, "b"],
    ]);
    expect(ancestors(5, self)).toEqual([{ pid: 6, process: "b", comm: "b" }]);
    const inner = table([
      [5, 6, "a"],
      [6, 7, "b"],
      [7, 8, "c"],
      [8, 6, "d"],
    ]);
    expect(ancestors(5, inner).map((a) => a.pid)).toEqual([6, 7, 8]);
    expect(ancestors(9, table([[9, 9, "me"]]))).toEqual([]);
  });

  test("the chain stops at a parent that started after its child: its PID was reused", () => {
    const ms = 1e6;
    const m = new Map<number, ParentInfo>([
      [40, { ppid: 30, name: "child", comm: "child", start: 1000 * ms }],
      [30, { ppid: 20, name: "parent", comm: "parent", start: 900 * ms }],
      [20, { ppid: 1, name: "reused", comm: "reused", start: 2000 * ms }], // took the exited grandparent's PID
      [1, { ppid: 0, name: "init", comm: "init", start: 0 }],
    ]);
    expect(ancestors(40, (pid) => m.get(pid)).map((a) => a.pid)).toEqual([30]);
    // Start times from /proc are whole clock ticks: a parent a tick "late" is still the parent.
    m.set(20, { ppid: 1, name: "gp", comm: "gp", start: 910 * ms });
    expect(ancestors(40, (pid) => m.get(pid)).map((a) => a.pid)).toEqual([30, 20, 1]);
    // Unknown start times (NaN) stop nothing.
    m.set(20, { ppid: 1, name: "gp", comm: "gp", start: NaN });
    expect(ancestors(40, (pid) => m.get(pid)).map((a) => a.pid)).toEqual([30, 20, 1]);
  });

  test("depth is bounded", () => {
    const rows: [number, number, string][] = [];
    for (let pid = 1000; pid > 1; pid--) rows.push([pid, pid - 1, `p${pid}`]);
    const deep = table(rows);
    expect(ancestors(1000, deep).length).toBe(MAX_DEPTH);
    expect(ancestors(1000, deep)[0]!.pid).toBe(999);
    expect(ancestors(1000, deep, 3).map((a) => a.pid)).toEqual([999, 998, 997]);
  });
});

const chain = (...names: string[]): Ancestor[] => names.map((comm, i) => ({ pid: 100 + i, process: `${comm} --with-args`, comm })); // nearest first

describe("ancestryText", () => {
  test("farthest first, PID 1 left out", () => {
    expect(ancestryText(ancestors(901, build))).toBe("sshd › sshd › bash › make › cc");
    expect(ancestryText(ancestors(30, build))).toBe("kthreadd");
  });

  test("names are task names (comm), not command lines", () => {
    expect(
      ancestryText([
        { pid: 7, process: "/usr/bin/make -j8 all", comm: "make" },
        { pid: 6, process: "-bash", comm: "bash" },
      ]),
    ).toBe("bash › make");
  });

  test("PID 1 is shown when it is the only ancestor; no ancestor is empty", () => {
    expect(ancestryText(ancestors(500, build))).toBe("systemd");
    expect(ancestryText([])).toBe("");
  });

  test("cut in the middle, keeping the nearest and the farthest", () => {
    const c = chain("cc", "make", "sh", "make", "bash", "sshd"); // full: "sshd › bash › make › sh › make › cc" (35)
    expect(ancestryText(c, 35)).toBe("sshd › bash › make › sh › make › cc");
    expect(ancestryText(c, 34)).toBe("sshd › bash › … › sh › make › cc");
    expect(ancestryText(c, 30)).toBe("sshd › bash › … › make › cc");
    expect(ancestryText(c, 20)).toBe("sshd › … › make › cc");
    expect(ancestryText(c, 13)).toBe("sshd › … › cc");
    expect(ancestryText(c, 12)).toBe("… › cc");
  });

  test("the bound holds for any length, and the nearest parent is always there", () => {
    const c = chain("nearest-parent-name", "x", "yy", "zzz", "a-rather-long-ancestor-name", "root-of-it-all");
    for (let max = 8; max <= 90; max++) {
      const t = ancestryText(c, max);
      expect(t.length).toBeLessThanOrEqual(max);
      if (max >= 23) expect(t.endsWith("nearest-parent-name")).toBe(true);
      else {
        expect(t.startsWith("… › ")).toBe(true);
        expect("nearest-parent-name".startsWith(t.slice(4, -1))).toBe(true);
      }
      if (max >= 40) expect(t.startsWith("root-of-it-all")).toBe(true);
    }
  });

  test("one name too long is cut at its end, never splitting a surrogate pair", () => {
    expect(ancestryText(chain("a-very-long-process-name"), 10)).toBe("a-very-lo…");
    const t = ancestryText(chain("abcdefgh😀xyz"), 10);
    expect(t).toBe("abcdefgh…");
    expect(ancestryText(chain("nearest-long-name", "far"), 12)).toBe("… › nearest…");
  });

  test("bounds below 8 are read as 8", () => {
    expect(ancestryText(chain("abcdefghijk"), 1)).toBe("abcdefg…");
  });
});
