// The compiled `pstat top` in a real terminal (tmux: send-keys, capture-pane), on the real
// kernel's events: a known spawner shows with its true rate, keys act at once, a resize
// redraws, and the terminal is given back on every way out.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { PSTAT } from "./helpers";
import { type Spawner, SpawnerDir } from "./spawner";

const ROOT = resolve(import.meta.dir, "../..");
const BUN = resolve(ROOT, "node_modules/.bin/bun");
const RATE = 50;
/** How many rows from the top the spawner must be among: the machine may be busier than it. */
const TOP_ROWS = 10;
/** The first group row on the screen (totals, mode line, headings above it). */
const FIRST_ROW = 3;

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

  async waitFor(pred: (screen: string) => boolean, ms = 8000, every = 100): Promise<string> {
    const until = Date.now() + ms;
    let s = "";
    while (Date.now() < until) {
      s = this.screen();
      if (pred(s)) return s;
      await sleep(every);
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

  /** Starts the view and waits for its first snapshot. */
  async startTop(command = `${PSTAT} top`, then = '; echo "rc=$?"'): Promise<void> {
    this.keys(`${command}${then}`, "Enter");
    await this.waitFor((s) => /START\/s/.test(s) && s.includes("q quit"));
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

/** The group rows of a screen, from the top. */
function groupRows(screen: string): string[] {
  const lines = screen.replace(/\n$/, "").split("\n");
  const status = lines.findLastIndex((l) => l.trim() !== "");
  return lines.slice(FIRST_ROW, status).filter((l) => l.trim() !== "");
}

/** The START/s figure of a row (the first after the selection marker). */
function rateOf(row: string): number {
  return Number(row.slice(2).trim().split(/\s+/)[0]);
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

let dir: SpawnerDir;
let spawner: Spawner;

beforeAll(async () => {
  if (Bun.spawnSync(["tmux", "-V"]).exitCode !== 0) throw new Error("these tests need tmux");
  // Keeps the server up between the tests' sessions.
  tmux("new-session", "-d", "-s", "keep", "sleep 600");
  dir = new SpawnerDir();
  spawner = dir.start(`spawner${process.pid}`, RATE);
  await spawner.sample();
});

afterAll(() => {
  dir?.close();
  try {
    tmux("kill-server");
  } catch {
    // no server left
  }
});

describe("pstat top in a terminal", () => {
  test("the spawner is in the top rows within 3 s at its true rate; keys act within 100 ms; g regroups; a resize redraws; q gives the shell back", async () => {
    await withPane(async (p) => {
      const started = Date.now();
      p.keys(`${PSTAT} top; echo "rc=$?"`, "Enter");
      // The spawner's own count beside each capture: the truth over the second the view shows.
      const counts: { n: number; us: number }[] = [];
      const inTopRows = (screen: string) => {
        const c = spawner.read();
        if (c !== null) counts.push(c);
        return groupRows(screen)
          .slice(0, TOP_ROWS)
          .some((r) => r.includes(spawner.name));
      };
      const screen = await p.waitFor(inTopRows, 3000, 50);
      const within = Date.now() - started;
      const last = counts.at(-1)!;
      const before = counts.findLast((c) => c.us <= last.us - 1e6) ?? counts[0]!;
      const truth = ((last.n - before.n) * 1e6) / (last.us - before.us);
      const row = groupRows(screen).find((r) => r.includes(spawner.name))!;
      const rate = rateOf(row);
      console.log(`spawner shown after ${within} ms at ${rate}/s (its own count: ${truth.toFixed(1)}/s)`);
      expect(Math.abs(rate - truth) / truth).toBeLessThanOrEqual(0.2);
      expect(p.show("#{alternate_on}")).toBe("1");
      expect(p.show("#{cursor_flag}")).toBe("0");

      // Key to redraw: g, measured from send-keys until the mode line changes (the capture costs a few ms itself).
      const latencies: number[] = [];
      for (const next of ["program", "user", "parent", "program"]) {
        await sleep(150 + Math.random() * 400);
        const t0 = performance.now();
        p.keys("g");
        await p.waitFor((s) => s.split("\n")[1]!.startsWith(`by ${next} `), 2000, 0);
        latencies.push(performance.now() - t0);
      }
      console.log(`key to redraw: ${latencies.map((l) => l.toFixed(0)).join(", ")} ms`);
      expect(Math.max(...latencies)).toBeLessThan(100);
      // By program, the spawner's children are counted under what they run.
      const byProgram = await p.waitFor((s) => groupRows(s).some((r) => / true$/.test(r)), 3000);
      expect(byProgram.split("\n")[2]).toMatch(/PROGRAM$/);
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
      p.keys("/", `${spawner.name}X`);
      await p.waitFor((s) => s.trimEnd().endsWith(`/${spawner.name}X`), 2000);
      p.keys("BSpace", "Enter");
      const filtered = await p.waitFor((s) => s.includes(`filter /${spawner.name}/`) && groupRows(s).length === 1, 3000);
      expect(groupRows(filtered)[0]).toContain(spawner.name);
      p.keys("Enter");
      const detail = await p.waitFor((s) => s.includes(`Recent commands, parent ${spawner.key.slice(0, 30)}`) && s.includes("/bin/true"), 3000);
      expect(detail).toMatch(/^\s+\d+\.\ds\s+\d+ {2}\/bin\/true$/m);
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

  for (const where of ["tick", "key"] as const)
    test(`a crash (in ${where === "tick" ? "pstat's loop" : "a key's handler"}) restores the terminal, then says what happened in one line`, async () => {
      await withPane(async (p) => {
        await p.startTop(`CRASH=${where} ${BUN} test/e2e/top-crash.ts`);
        if (where === "key") p.keys("x");
        const after = await p.afterExit();
        expect(after.rc).toBe(1);
        expect(after).toMatchObject(restored);
        expect(after.screen).toContain("pstat: internal error: crash on purpose (test)");
        expect(after.screen).not.toContain("START/s");
      });
    }, 60_000);

  test("Ctrl-Z gives the terminal to the shell; fg takes it back", async () => {
    await withPane(async (p) => {
      // A stopped job does not end the shell's list: the status is asked for after fg.
      await p.startTop(`${PSTAT} top`, "");
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

  test("colour on a terminal; NO_COLOR turns it off", async () => {
    await withPane(async (p) => {
      await p.startTop();
      // capture-pane -e keeps the attributes: the headings are bold.
      expect(tmux("capture-pane", "-e", "-t", p.name, "-p")).toContain("\x1b[1m");
      p.keys("q");
      expect((await p.afterExit()).rc).toBe(0);
      p.keys("clear", "Enter");
      await p.startTop(`NO_COLOR=1 ${PSTAT} top`);
      expect(tmux("capture-pane", "-e", "-t", p.name, "-p")).not.toMatch(/\x1b\[[0-9;]*m/);
      p.keys("q");
      expect((await p.afterExit()).rc).toBe(0);
    });
  }, 60_000);
});
