// `pstat top` in a real terminal (tmux): keys, resize, and the terminal given back on every
// way out. It drives the demo driver (synthetic events) until the view is wired to the
// event pipeline; then COMMAND becomes the compiled `dist/pstat top` and SPAWNER a real
// shell loop.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const BUN = resolve(ROOT, "node_modules/.bin/bun");
const COMMAND = `${BUN} scripts/top-demo.ts`;
/** The row key of the busiest spawner the command sees, and its true rate (processes/s). */
const SPAWNER = "bash -c while :; do /bin/true; done";
const SPAWNER_RATE = 50;

/** A tmux server of this test's own, so that nothing else's sessions are touched. */
const SOCKET = `pstat-top-test-${process.pid}`;
const PROMPT = "PSTATTEST$ ";

function tmux(...args: string[]): string {
  const r = Bun.spawnSync(["tmux", "-L", SOCKET, ...args], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Pane {
  constructor(readonly name: string) {}

  static async open(name: string, cols = 120, rows = 40): Promise<Pane> {
    tmux("new-session", "-d", "-s", name, "-x", String(cols), "-y", String(rows), "-c", ROOT, "bash --norc --noprofile -i");
    const p = new Pane(name);
    p.keys(`PS1='${PROMPT}'; export LANG=C.UTF-8`, "Enter");
    await p.waitFor((s) => s.includes(PROMPT));
    p.keys("clear", "Enter");
    await p.waitFor((s) => s.trim() === PROMPT.trim());
    return p;
  }

  keys(...keys: string[]): void {
    tmux("send-keys", "-t", this.name, ...keys);
  }

  screen(): string {
    return tmux("capture-pane", "-t", this.name, "-p");
  }

  lines(): string[] {
    return this.screen().replace(/\n$/, "").split("\n");
  }

  show(format: string): string {
    return tmux("display", "-p", "-t", this.name, format).trim();
  }

  async waitFor(pred: (screen: string) => boolean, ms = 8000): Promise<string> {
    const until = Date.now() + ms;
    let s = "";
    while (Date.now() < until) {
      s = this.screen();
      if (pred(s)) return s;
      await sleep(100);
    }
    throw new Error(`timed out; the screen was:\n${s}`);
  }

  /** The command the pane's shell runs now (its only child). */
  childPid(): number {
    const shell = Number(this.show("#{pane_pid}"));
    const children = readFileSync(`/proc/${shell}/task/${shell}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    if (children.length !== 1) throw new Error(`expected one child of the shell, found ${children.length}`);
    return Number(children[0]);
  }

  /** Starts the view and waits for its first interval. */
  async startTop(args = "", then = '; echo "rc=$?"'): Promise<void> {
    this.keys(`${COMMAND} ${args}${then}`, "Enter");
    await this.waitFor((s) => /START\/s/.test(s) && s.includes(SPAWNER.slice(0, 20)));
  }

  /** After the view ended: its status, and whether the terminal is as the shell wants it. */
  async afterExit(): Promise<{ rc: number; modes: string; alternate: string; cursor: string; screen: string }> {
    const screen = await this.waitFor((s) => /rc=\d+/.test(s) && s.trimEnd().endsWith(PROMPT.trim()));
    const rc = Number(/rc=(\d+)/.exec(screen)![1]);
    this.keys("clear", "Enter");
    await this.waitFor((s) => s.trim() === PROMPT.trim());
    this.keys(`stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo|isig)' | tr '\\n' ' '; echo`, "Enter");
    const modesLine = /^(-?isig -?icanon -?echo)\s*$/m;
    const after = await this.waitFor((s) => modesLine.test(s));
    const modes = modesLine.exec(after)![1]!;
    return { rc, modes, alternate: this.show("#{alternate_on}"), cursor: this.show("#{cursor_flag}"), screen };
  }

  close(): void {
    try {
      tmux("kill-session", "-t", this.name);
    } catch {
      // already gone
    }
  }
}

const restored = { modes: "isig icanon echo", alternate: "0", cursor: "1" };

let n = 0;
async function withPane(fn: (p: Pane) => Promise<void>, cols?: number, rows?: number): Promise<void> {
  const p = await Pane.open(`t${++n}`, cols, rows);
  try {
    await fn(p);
  } finally {
    p.close();
  }
}

beforeAll(() => {
  if (Bun.spawnSync(["tmux", "-V"]).exitCode !== 0) throw new Error("these tests need tmux");
  // Keeps the server up between the tests' sessions.
  tmux("new-session", "-d", "-s", "keep", "sleep 600");
});

afterAll(() => {
  try {
    tmux("kill-server");
  } catch {
    // no server left
  }
});

describe("pstat top in a terminal", () => {
  test("the busiest spawner is the top row with its true rate; g regroups; a resize redraws; q gives the shell back", async () => {
    await withPane(async (p) => {
      await p.startTop();
      expect(p.show("#{alternate_on}")).toBe("1");
      expect(p.show("#{cursor_flag}")).toBe("0");
      // Within 3 s of the first interval, the spawner leads with a rate within 20 % of the truth.
      const screen = await p.waitFor((s) => s.split("\n")[3]?.includes(SPAWNER) === true, 3000);
      const top = screen.split("\n")[3]!;
      expect(top.startsWith(">")).toBe(true);
      const rate = Number(top.slice(1).trim().split(/\s+/)[0]);
      expect(Math.abs(rate - SPAWNER_RATE) / SPAWNER_RATE).toBeLessThanOrEqual(0.2);

      p.keys("g");
      const grouped = await p.waitFor((s) => s.includes("by program"), 2000);
      expect(grouped.split("\n")[2]).toMatch(/PROGRAM$/);
      p.keys("g");
      await p.waitFor((s) => s.split("\n")[2]?.endsWith("USER") === true, 2000);

      tmux("resize-window", "-t", p.name, "-x", "80", "-y", "20");
      const small = await p.waitFor((s) => {
        const l = s.replace(/\n$/, "").split("\n");
        return l.length === 20 && l[19]!.startsWith("q quit") && l[0]!.startsWith("pstat top");
      }, 3000);
      for (const l of small.split("\n")) expect(Bun.stringWidth(l)).toBeLessThanOrEqual(80);
      expect(small.split("\n")[2]).toContain("START/s");

      p.keys("q");
      const after = await p.afterExit();
      expect(after.rc).toBe(0);
      expect(after).toMatchObject(restored);
    });
  }, 60_000);

  test("filter prompt, detail view, help and pause", async () => {
    await withPane(async (p) => {
      await p.startTop();
      p.keys("/", "makx");
      await p.waitFor((s) => s.trimEnd().endsWith("/makx"), 2000);
      p.keys("BSpace", "e", "Enter");
      const filtered = await p.waitFor((s) => s.includes("filter /make/") && !s.includes(SPAWNER), 3000);
      expect(filtered.split("\n")[3]).toContain("make -j4 all");
      p.keys("Enter");
      const detail = await p.waitFor((s) => s.includes("Recent commands, parent make -j4 all"), 2000);
      expect(detail).toContain("cc1 -quiet");
      p.keys("Escape");
      await p.waitFor((s) => !s.includes("Recent commands") && s.includes("START/s"), 2000);
      p.keys("/", "(", "Enter");
      await p.waitFor((s) => s.includes("not a regular expression"), 2000);
      p.keys("Escape");
      await p.waitFor((s) => s.includes("q quit"), 2000);
      p.keys("?");
      await p.waitFor((s) => s.includes("q, Ctrl-C"), 2000);
      p.keys("x", "p");
      const paused = await p.waitFor((s) => s.includes("PAUSED"), 2000);
      await sleep(2200);
      // Paused: the figures stand still (the sparkline and totals line too).
      expect(p.screen()).toBe(paused);
      p.keys("q");
      expect((await p.afterExit()).rc).toBe(0);
    });
  }, 60_000);

  test("Ctrl-C quits with status 0 and the terminal restored", async () => {
    await withPane(async (p) => {
      await p.startTop();
      p.keys("C-c");
      const after = await p.afterExit();
      expect(after.rc).toBe(0);
      expect(after).toMatchObject(restored);
    });
  }, 60_000);

  for (const [signal, status] of [
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)
    test(`${signal} ends it with status ${status} and the terminal restored`, async () => {
      await withPane(async (p) => {
        await p.startTop();
        process.kill(p.childPid(), signal);
        const after = await p.afterExit();
        expect(after.rc).toBe(status);
        expect(after).toMatchObject(restored);
      });
    }, 60_000);

  test("a crash restores the terminal, then says what happened in one line", async () => {
    await withPane(async (p) => {
      await p.startTop("--crash-after 1.5");
      const after = await p.afterExit();
      expect(after.rc).toBe(1);
      expect(after).toMatchObject(restored);
      expect(after.screen).toContain("pstat: demo crash on purpose");
      expect(after.screen).not.toContain("START/s");
    });
  }, 60_000);

  test("Ctrl-Z gives the terminal to the shell; fg takes it back", async () => {
    await withPane(async (p) => {
      // A stopped job does not end the shell's list: the status is asked for after fg.
      await p.startTop("", "");
      p.keys("C-z");
      await p.waitFor((s) => /Stopped/.test(s) && s.trimEnd().endsWith(PROMPT.trim()), 5000);
      expect(p.show("#{alternate_on}")).toBe("0");
      p.keys("fg", "Enter");
      await p.waitFor((s) => /START\/s/.test(s) && s.includes("q quit"), 5000);
      expect(p.show("#{alternate_on}")).toBe("1");
      p.keys("q");
      await p.waitFor((s) => s.trimEnd().endsWith(PROMPT.trim()), 5000);
      p.keys('echo "rc=$?"', "Enter");
      const after = await p.afterExit();
      expect(after.rc).toBe(0);
      expect(after).toMatchObject(restored);
    });
  }, 60_000);
});

describe("batch mode", () => {
  const run = (args: string[]) => {
    const r = Bun.spawnSync([BUN, "scripts/top-demo.ts", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
  };

  test("-b -n 2: two plain-text snapshots, the spawner ranked first", () => {
    const r = run(["-b", "-n", "2", "-d", "1"]);
    expect(r.code).toBe(0);
    const snaps = r.out.trimEnd().split("\n\n");
    expect(snaps.length).toBe(2);
    for (const s of snaps) {
      const lines = s.split("\n");
      expect(lines[0]).toMatch(/^pstat top: /);
      expect(lines[1]).toContain("START/s");
      expect(lines[2]).toContain(SPAWNER);
    }
    expect(r.out).not.toContain("\x1b");
  }, 30_000);

  test("--json: one object per snapshot that parses, the spawner first", () => {
    const r = run(["-b", "-n", "2", "-d", "1", "--json"]);
    expect(r.code).toBe(0);
    const objs = r.out
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(objs.length).toBe(2);
    for (const o of objs) {
      expect(o.event).toBe("top");
      expect(o.groups[0].key).toBe(SPAWNER);
      expect(Math.abs(o.groups[0].procs_per_sec - SPAWNER_RATE) / SPAWNER_RATE).toBeLessThanOrEqual(0.2);
    }
  }, 30_000);
});
