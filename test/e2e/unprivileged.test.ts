// pstat as an ordinary user, for real: setpriv drops to nobody with no capabilities at all.
// On kernels 6.6 and later the connector serves every user; what root adds (a receive buffer
// beyond net.core.rmem_max, nice -20, SCHED_FIFO) is missed and said once, never fatal.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileLoadgen } from "../../scripts/bench/loadgen";
import { PSTAT, rows, runToEnd } from "./helpers";

const NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"];
const ENV = { PATH: "/usr/bin:/bin", HOME: "/", TMPDIR: "/tmp", NO_COLOR: "1" };
let dir = "";
let pstat = "";
let loadgen = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pstat-unpriv-"));
  chmodSync(dir, 0o755);
  // A copy nobody can surely reach (the checkout may sit below a private directory).
  pstat = join(dir, "pstat");
  copyFileSync(PSTAT, pstat);
  chmodSync(pstat, 0o755);
  loadgen = compileLoadgen(dir);
  chmodSync(loadgen, 0o755);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Starts pstat as nobody; resolves once its heading is out. */
async function startAsNobody(args: string[]) {
  const proc = Bun.spawn([...NOBODY, pstat, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: ENV });
  let out = "";
  let err = "";
  const dec = new TextDecoder();
  const pumps = [
    (async () => {
      for await (const c of proc.stdout) out += dec.decode(c, { stream: true });
    })(),
    (async () => {
      for await (const c of proc.stderr) err += dec.decode(c, { stream: true });
    })(),
  ];
  const end = Date.now() + 5000;
  while (!out.includes("Time") && !out.includes("{") && Date.now() < end && proc.exitCode === null) await Bun.sleep(20);
  return {
    out: () => out,
    err: () => err,
    async waitFor(re: RegExp, ms = 5000) {
      const until = Date.now() + ms;
      while (!re.test(out)) {
        if (Date.now() > until || proc.exitCode !== null) throw new Error(`no ${re} in:\n${out}\nstderr: ${err}`);
        await Bun.sleep(20);
      }
    },
    async stop() {
      proc.kill("SIGINT");
      await proc.exited;
      await Promise.all(pumps);
      return { code: proc.exitCode, out, err };
    },
  };
}

async function runAsNobody(args: string[]) {
  const r = await runToEnd([...NOBODY, pstat, ...args], { env: ENV });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe("as an ordinary user (no capabilities)", () => {
  test("the whole machine: another user's (root's) exec is reported with its name", async () => {
    const run = await startAsNobody(["-e", "exec"]);
    const p = Bun.spawn(["/bin/sh", "-c", "exec /bin/sleep 0.123"], { stdio: ["ignore", "ignore", "ignore"] });
    await p.exited;
    await run.waitFor(new RegExp(`exec +${p.pid} +/bin/sleep 0\\.123$`, "m"));
    const done = await run.stop();
    expect(done.code).toBe(0);
  });

  test("command mode: the whole job, background children included, and the command's status", async () => {
    const r = await runAsNobody(["-e", "exec,exit", "--", "/bin/sh", "-c", "/bin/sh -c 'exit 3'; (/bin/sleep 0.3 &); exit 7"]);
    expect(r.code).toBe(7);
    const all = rows(r.out);
    expect(all.some((x) => x.event === "exit" && x.info === "3")).toBe(true);
    // The background sleep outlives the command: followed to its end.
    expect(all.some((x) => x.event === "exec" && x.process === "/bin/sleep 0.3")).toBe(true);
    expect(all.some((x) => x.event === "exit" && x.process === "/bin/sleep 0.3" && Number(x.duration) >= 0.29)).toBe(true);
  });

  test("--rcvbuf beyond net.core.rmem_max: one line says what the kernel granted, and pstat carries on", async () => {
    const max = Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8"));
    const r = await runAsNobody(["--rcvbuf", "1024M", "-D", "0.3", "-e", "exec"]);
    expect(r.code).toBe(0);
    const lines = r.err.trim().split("\n");
    expect(lines.length).toBe(1);
    const mib = max / (1 << 20);
    expect(lines[0]).toMatch(new RegExp(`^pstat: warning: receive buffer is ${Number.isInteger(mib) ? `${mib} MiB` : "\\d+"}.*not the 1024 MiB asked for`));
  });

  test("-r without the privilege: one warning, then it runs", async () => {
    const r = await runAsNobody(["-r", "-D", "0.3", "-e", "exec"]);
    expect(r.code).toBe(0);
    const lines = r.err.trim().split("\n");
    expect(lines.filter((l) => /^pstat: warning: cannot switch to real-time scheduling.*carrying on$/.test(l)).length).toBe(1);
    // Besides it, only the note on the receive buffer that rmem_max capped.
    expect(lines.filter((l) => !/real-time|receive buffer/.test(l))).toEqual([]);
    expect(r.out.startsWith("Time")).toBe(true);
  });

  test("the kernel-side event filter works: a fork storm never reaches a 4K buffer that asked for execs only", async () => {
    // Control: forks are wanted, so the storm fills the tiny buffer and losses are reported.
    const control = await startAsNobody(["-e", "fork", "--rcvbuf", "4K", "-q"]);
    await storm();
    const c = await control.stop();
    expect(c.code).toBe(0);
    expect(Number(/^Lost events: (\d+)/m.exec(c.out)?.[1] ?? "0")).toBeGreaterThan(0);
    // Execs only: the kernel drops the storm's forks and exits before they reach the socket.
    const run = await startAsNobody(["-e", "exec", "--rcvbuf", "4K", "-S"]);
    await storm();
    const p = Bun.spawn(["/bin/true"], { stdio: ["ignore", "ignore", "ignore"] });
    await p.exited;
    await run.waitFor(new RegExp(`exec +${p.pid} `));
    const done = await run.stop();
    expect(done.code).toBe(0);
    expect(done.out).toMatch(/^Lost events: 0$/m);
    expect(done.out).not.toMatch(/^\S+ \S+ lost /m);
  }, 60000);
});

async function storm(): Promise<void> {
  const p = Bun.spawn([loadgen, "fork", "20000", "2", join(dir, "pids")], { stdio: ["ignore", "ignore", "inherit"] });
  expect(await p.exited).toBe(0);
}
