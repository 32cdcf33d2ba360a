import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Subprocess } from "bun";

export const PSTAT = resolve(import.meta.dir, "../../dist/pstat");

// The end-to-end suite proves things against the real kernel with the compiled binary, so
// it refuses to run (rather than skip) where it cannot. Unit tests (test/unit) need neither.
if (process.getuid?.() !== 0) throw new Error("the end-to-end tests need root: they subscribe to the kernel's process events as root and as other users");
if (!existsSync(PSTAT)) throw new Error(`${PSTAT} is missing: run the tests with 'npm test', which builds it first`);

export interface Finished {
  code: number | null;
  signal: unknown;
  stdout: string;
  stderr: string;
}

export interface Running {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Output so far. */
  out(): string;
  /** Resolves when the output contains `text` (or rejects after `ms`). */
  waitFor(text: string | RegExp, ms?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<Finished>;
  finished(): Promise<Finished>;
}

/** Starts dist/pstat and waits until it is subscribed (its heading is out). */
export async function startPstat(args: string[], opts: { ready?: string | RegExp; env?: Record<string, string>; probe?: boolean } = {}): Promise<Running> {
  const proc = Bun.spawn([PSTAT, ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
  });
  let out = "";
  let err = "";
  const decoder = new TextDecoder();
  const pump = (async () => {
    for await (const chunk of proc.stdout) out += decoder.decode(chunk, { stream: true });
  })();
  const pumpErr = (async () => {
    for await (const chunk of proc.stderr) err += decoder.decode(chunk, { stream: true });
  })();
  const finished = async (): Promise<Finished> => {
    await proc.exited;
    await pump;
    await pumpErr;
    return { code: proc.exitCode, signal: proc.signalCode, stdout: out, stderr: err };
  };
  const running: Running = {
    proc,
    out: () => out,
    async waitFor(text, ms = 5000) {
      const end = Date.now() + ms;
      const has = () => (typeof text === "string" ? out.includes(text) : text.test(out));
      while (!has()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${text}; output:\n${out}\nstderr:\n${err}`);
        if (proc.exitCode !== null) throw new Error(`pstat exited (${proc.exitCode}) before ${text}; stderr: ${err}`);
        await Bun.sleep(20);
      }
    },
    async stop(signal = "SIGINT") {
      proc.kill(signal);
      return finished();
    },
    finished,
  };
  if (opts.probe) {
    // Formats without a heading: run short processes until the first event shows up.
    const end = Date.now() + 5000;
    while (out === "" && Date.now() < end) {
      await Bun.spawn(["/bin/true"]).exited;
      await Bun.sleep(50);
    }
  }
  await running.waitFor(opts.ready ?? (opts.probe ? /./ : "Time"));
  return running;
}

/** Runs argv to completion with no output; returns its PID. */
export async function spawnQuiet(argv: string[], opts: { env?: Record<string, string | undefined>; detached?: boolean } = {}): Promise<number> {
  const p = Bun.spawn(argv, { stdio: ["ignore", "ignore", "ignore"], env: opts.env ?? process.env, detached: opts.detached });
  await p.exited;
  return p.pid;
}

export interface Ran {
  code: number | null;
  signal: unknown;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs argv to completion and returns its status and output. It runs in its own process
 * group, and the whole group is killed after `limitMs` (so a hung grandchild that holds
 * the pipes open cannot hang the test).
 */
export async function runToEnd(argv: string[], opts: { limitMs?: number; env?: Record<string, string | undefined> } = {}): Promise<Ran> {
  const t0 = performance.now();
  const p = Bun.spawn(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe", detached: true, env: { ...(opts.env ?? process.env), NO_COLOR: "1" } });
  const timer = setTimeout(() => {
    try {
      process.kill(-p.pid, "SIGKILL");
    } catch {
      p.kill("SIGKILL");
    }
  }, opts.limitMs ?? 15000);
  const [stdout, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  await p.exited;
  clearTimeout(timer);
  return { code: p.exitCode, signal: p.signalCode, stdout, stderr, ms: performance.now() - t0 };
}

/** The JSON objects among pstat's output lines. */
export function jsonLines(out: string): Record<string, unknown>[] {
  return out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Runs a shell command to completion; returns its PID. */
export async function sh(cmd: string, env?: Record<string, string>): Promise<number> {
  const p = Bun.spawn(["sh", "-c", cmd], { stdio: ["ignore", "ignore", "ignore"], env: { ...process.env, ...env } });
  await p.exited;
  return p.pid;
}

export interface Row {
  time: string;
  event: string;
  pid: string;
  info: string;
  duration: string;
  process: string;
}

/** Parses pstat's default text layout: Time(19) Event(5) PID Info(8) Duration(8) Process. */
export function rows(text: string): Row[] {
  const re = /^(\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d) (\S+)\s+(\S+) (.{8}) (.{8}) (.*)$/;
  const out: Row[] = [];
  for (const line of text.split("\n")) {
    const m = re.exec(line);
    if (m) out.push({ time: m[1]!, event: m[2]!, pid: m[3]!, info: m[4]!.trim(), duration: m[5]!.trim(), process: m[6]! });
  }
  return out;
}

export function find(all: Row[], event: string, pid: number | string, info?: string): Row | undefined {
  return all.find((r) => r.event === event && r.pid === String(pid) && (info === undefined || r.info === info));
}

/** Lets pstat's 100 ms flush interval pass so everything that happened is written. */
export const settle = () => Bun.sleep(300);
