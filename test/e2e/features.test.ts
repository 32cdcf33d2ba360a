// Beyond forkstat: JSON Lines, command mode, subtrees, user and name filters, tree view,
// time formats, -o. The compiled binary against the real kernel.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsonLines, PSTAT, rows, runToEnd, settle, sh, spawnQuiet, startPstat } from "./helpers";

const parse = jsonLines;
const spawn = (argv: string[]) => spawnQuiet(argv);
/** Runs pstat to completion (command mode or -D) and returns its output. */
const runPstat = (args: string[]) => runToEnd([PSTAT, ...args]);

describe("JSON Lines", () => {
  test("every line of a mixed workload parses and carries the right fields and values", async () => {
    const run = await startPstat(["-j", "-S", "-x"], { probe: true });
    const exit3 = await sh("sleep 0.2; exit 3");
    const segv = await sh("sleep 0.1; kill -SEGV $$");
    const comm = await spawn(["/usr/bin/python3", "-c", "import ctypes,time\nctypes.CDLL(None).prctl(15,b'pstat-json',0,0,0)\ntime.sleep(0.1)"]);
    const forker = await sh("sleep 0.1 & wait");
    await settle();
    const done = await run.stop();
    expect(done.code).toBe(0);
    const all = parse(done.stdout);
    expect(all.length).toBeGreaterThan(10);
    const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/;
    for (const e of all.slice(0, -1)) {
      expect(e.time as string).toMatch(iso);
      expect(["fork", "clone", "exec", "exit", "core", "comm", "ptrace", "uid", "gid", "sid", "lost"]).toContain(e.event as string);
      if (e.event === "lost") continue;
      expect(typeof e.pid).toBe("number");
      expect(typeof e.tgid).toBe("number");
      // A name pstat could not read is null, never "<unknown>".
      for (const field of ["process", "cmdline", "comm"]) expect(e[field] === null || (typeof e[field] === "string" && e[field] !== "<unknown>")).toBe(true);
      // Thread-level events say so; process-level ones carry no thread field.
      if (e.event === "clone") expect(e.thread).toBe(true);
      else if (e.event !== "exit") expect("thread" in e).toBe(false);
      else expect(e.thread === true).toBe(e.pid !== e.tgid || e.replaced_by_exec === true);
      expect("uid" in e && "euid" in e && "user" in e && "tty" in e).toBe(true);
    }
    const of = (event: string, pid: number) => all.find((e) => e.event === event && e.pid === pid);
    expect(of("exec", exit3)).toMatchObject({ process: "sh -c sleep 0.2; exit 3", cmdline: "sh -c sleep 0.2; exit 3", comm: "sh", user: "root" });
    const x3 = of("exit", exit3)!;
    expect(x3).toMatchObject({ exit_code: 3, signal: null, core_dumped: false });
    expect(x3.duration as number).toBeGreaterThan(0.19);
    expect(x3.duration as number).toBeLessThan(5);
    expect(of("exit", segv)).toMatchObject({ exit_code: null, signal: "SIGSEGV" });
    expect(of("core", segv)).toBeDefined();
    expect(of("comm", comm)).toMatchObject({ comm: "pstat-json", old_comm: "python3" });
    const fork = all.find((e) => e.event === "fork" && e.ppid === forker)!;
    expect(fork).toMatchObject({ ppid: forker, parent_tid: forker, process: "sh -c sleep 0.1 & wait", parent_process: "sh -c sleep 0.1 & wait" });
    const last = all.at(-1)!;
    expect(last.event).toBe("statistics");
    expect(last.version).toBe(2);
    expect(last.malformed).toBe(0);
    expect(last.lost).toBe(0);
    expect(Array.isArray(last.processes)).toBe(true);
  });

  test("invalid UTF-8 and control bytes in a command line stay valid, escaped JSON", async () => {
    const run = await startPstat(["-j", "-e", "exec"], { probe: true });
    await Bun.sleep(100);
    const pid = await spawn(["/usr/bin/python3", "-c", "import os\nos.execv(b'/bin/sleep', [b'sleep\\xff\\x1b[2J\\n', b'0.1'])"]);
    await settle();
    const done = await run.stop();
    const mine = parse(done.stdout).filter((e) => e.pid === pid);
    expect(mine.map((e) => e.process)).toContain("sleep\\xff\\x1b[2J\\n 0.1");
  });
});

describe("command mode", () => {
  test("reports the command's tree and nothing beside it, and exits with its status", async () => {
    const beside = Bun.spawn(["/bin/sh", "-c", "sleep 0.3; /bin/sh -c 'exit 9'; true"], { stdio: ["ignore", "ignore", "ignore"] });
    const r = await runPstat(["-j", "--", "/bin/sh", "-c", "/bin/sh -c 'sleep 0.2; exit 2'; (sleep 0.1 &); sleep 0.3; exit 5"]);
    await beside.exited;
    expect(r.code).toBe(5);
    const all = parse(r.stdout);
    const root = all.find((e) => e.event === "exec" && e.cmdline === "/bin/sh -c /bin/sh -c 'sleep 0.2; exit 2'; (sleep 0.1 &); sleep 0.3; exit 5")!;
    expect(root).toBeDefined();
    // Every process reported descends from the command: its pid, or forked from a reported one.
    const tree = new Set<number>([root.pid as number]);
    for (const e of all) if (e.event === "fork" && tree.has(e.ppid as number)) tree.add(e.pid as number);
    // (A "lost" line has no process: the machine is shared with other tests' storms.)
    const outside = all.filter((e) => e.event !== "lost" && !(e.event === "fork" && e.pid === root.pid) && !tree.has(e.tgid as number));
    expect(outside).toEqual([]);
    expect(all.some((e) => e.event === "exit" && e.exit_code === 2)).toBe(true); // the nested sh
    expect(all.some((e) => e.event === "exec" && e.cmdline === "sleep 0.1")).toBe(true); // the daemonised grandchild
    expect(all.some((e) => e.pid === beside.pid || e.exit_code === 9)).toBe(false);
    expect(all.find((e) => e.event === "exit" && e.pid === root.pid)).toMatchObject({ exit_code: 5 });
  });

  test("a command killed by a signal gives 128 + the signal; a missing one fails cleanly", async () => {
    expect((await runPstat(["-q", "--", "/bin/sh", "-c", "kill -TERM $$"])).code).toBe(143);
    const missing = await runPstat(["--", "/nonexistent/pstat-test"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toContain("/nonexistent/pstat-test");
  });

  test("-o writes the events to a file while the command keeps the terminal's output", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pstat-o-"));
    const file = join(dir, "events.txt");
    const r = await runPstat(["-o", file, "--", "/bin/sh", "-c", "echo hello-from-cmd; exit 0"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("hello-from-cmd\n");
    const text = readFileSync(file, "utf8");
    expect(text).toStartWith("Time ");
    expect(rows(text).some((x) => x.event === "exec" && x.process === "/bin/sh -c echo hello-from-cmd; exit 0")).toBe(true);
  });

  test("the heading comes before anything the command writes to the same output", async () => {
    for (let i = 0; i < 5; i++) {
      const r = await runPstat(["-e", "exec", "--", "/bin/sh", "-c", "echo started"]);
      expect(r.code).toBe(0);
      expect(r.stdout.split("\n")[0]).toStartWith("Time ");
      expect(r.stdout).toContain("\nstarted\n");
    }
  });

  test("the whole job is followed: a background child outlives the command and is reported to its end", async () => {
    const r = await runPstat(["-e", "exec,exit", "--", "/bin/sh", "-c", "/bin/sleep 0.3 & echo started"]);
    expect(r.code).toBe(0);
    const all = rows(r.stdout);
    expect(all.some((x) => x.event === "exec" && x.process === "/bin/sleep 0.3")).toBe(true);
    expect(all.some((x) => x.event === "exit" && x.process === "/bin/sleep 0.3")).toBe(true);
    // --exit-with-command ends at the command's own exit instead (the sleep's exit is not awaited).
    const early = await runPstat(["-e", "exit", "--exit-with-command", "--", "/bin/sh", "-c", "/bin/sleep 0.5 & echo started"]);
    expect(early.code).toBe(0);
    expect(rows(early.stdout).some((x) => x.event === "exit" && x.process === "/bin/sleep 0.5")).toBe(false);
  });

  test("-t indents each process by its depth below the command", async () => {
    // Each shell sleeps, so it is still there when pstat reads its command line.
    const r = await runPstat(["-t", "-e", "exec", "--", "/bin/sh", "-c", "/bin/sh -c '/bin/sh -c \"sleep 0.1\"; sleep 0.1'; sleep 0.1"]);
    const execs = rows(r.stdout)
      .filter((x) => x.event === "exec")
      .map((x) => x.process);
    expect(execs).toEqual([
      "/bin/sh -c /bin/sh -c '/bin/sh -c \"sleep 0.1\"; sleep 0.1'; sleep 0.1",
      '  /bin/sh -c /bin/sh -c "sleep 0.1"; sleep 0.1',
      "    /bin/sh -c sleep 0.1",
      "      sleep 0.1",
      "    sleep 0.1",
      "  sleep 0.1",
    ]);
  });
});

describe("filters", () => {
  test("--pid follows an existing subtree, including children that already exist", async () => {
    const parent = Bun.spawn(["/bin/sh", "-c", "(sleep 0.8; /bin/sh -c 'exit 6'; true) & wait"], { stdio: ["ignore", "ignore", "ignore"] });
    await Bun.sleep(200); // the subshell now exists, before pstat starts
    const other = Bun.spawn(["/bin/sh", "-c", "sleep 0.6; /bin/sh -c 'exit 8'; true"], { stdio: ["ignore", "ignore", "ignore"] });
    // Nothing shows until the subtree does something: wait for pstat to be subscribed instead.
    const run = await startPstat(["-j", "--pid", String(parent.pid)], { ready: /^/ });
    await Bun.sleep(300);
    await parent.exited;
    await other.exited;
    await settle();
    const all = parse((await run.stop()).stdout);
    expect(all.some((e) => e.event === "exit" && e.exit_code === 6)).toBe(true);
    expect(all.some((e) => e.event === "exit" && e.pid === parent.pid)).toBe(true);
    expect(all.some((e) => e.exit_code === 8 || e.pid === other.pid)).toBe(false);
  });

  test("--pid with a PID that does not exist is an error", async () => {
    const r = await runPstat(["--pid", "4194000"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("4194000");
  });

  test("-u keeps only that user's processes", async () => {
    const run = await startPstat(["-u", "nobody", "-e", "exec,exit"]);
    const nobody = await spawn(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c", "sleep 0.1; exit 4"]);
    const root = await sh("sleep 0.1; exit 5");
    await settle();
    const all = rows((await run.stop()).stdout);
    expect(all.find((r) => r.event === "exit" && r.pid === String(nobody))?.info).toBe("4");
    expect(all.some((r) => r.pid === String(root))).toBe(false);
    expect(all.every((r) => r.event === "exec" || r.event === "exit")).toBe(true);
  });

  test("--comm keeps only matching names and composes with -e", async () => {
    const run = await startPstat(["--comm", "^/bin/sh -c sleep 0\\.1; exit 7$", "-e", "exit"]);
    const hit = await spawn(["/bin/sh", "-c", "sleep 0.1; exit 7"]);
    await spawn(["/bin/sh", "-c", "sleep 0.1; exit 8"]);
    await settle();
    const all = rows((await run.stop()).stdout);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ event: "exit", pid: String(hit), info: "7" });
  });
});

describe("--time", () => {
  const firstLine = async (format: string) => {
    const run = await startPstat(["--time", format, "-e", "exec"], { ready: format === "none" ? "Event" : "Time" });
    const pid = await sh("exit 0");
    await settle();
    const out = (await run.stop()).stdout;
    return out.split("\n").find((l) => l.includes(` ${pid} `)) ?? "";
  };
  test("time: HH:MM:SS", async () => expect(await firstLine("time")).toMatch(/^\d\d:\d\d:\d\d exec /));
  test("iso: RFC 3339 with microseconds", async () => expect(await firstLine("iso")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d exec /));
  test("relative: seconds since start", async () => expect(await firstLine("relative")).toMatch(/^ +\d+\.\d{6} exec /));
  test("none: no time column", async () => expect(await firstLine("none")).toMatch(/^exec +\d+ /));
});
