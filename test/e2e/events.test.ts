// End-to-end: the compiled binary, the real kernel, real processes.
import { beforeAll, describe, expect, test } from "bun:test";
import { find, rows, settle, sh, spawnQuiet, startPstat, type Row } from "./helpers";

let all: Row[] = [];
const pids: Record<string, number> = {};

const spawn = (argv: string[]) => spawnQuiet(argv);

beforeAll(async () => {
  const run = await startPstat([]);
  pids.exit3 = await sh("sleep 0.2; exit 3");
  pids.segv = await sh("sleep 0.2; kill -SEGV $$");
  pids.thread = await spawn(["/usr/bin/python3", "-c", "import threading,time\nt=threading.Thread(target=time.sleep,args=(0.2,))\nt.start()\nt.join()"]);
  pids.comm = await spawn(["/usr/bin/python3", "-c", "import ctypes,time\nctypes.CDLL(None).prctl(15,b'pstat-renamed',0,0,0)\ntime.sleep(0.2)"]);
  pids.setsid = await spawn(["/usr/bin/python3", "-c", "import os,time\ntime.sleep(0.2)\nos.setsid()\ntime.sleep(0.1)"]);
  pids.setuid = await spawn(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "0.2"]);
  pids.strace = await spawn(["strace", "-o", "/dev/null", "sleep", "0.2"]);
  pids.forker = await sh("sleep 0.2 & wait");
  await settle();
  const done = await run.stop();
  expect(done.code).toBe(0);
  all = rows(done.stdout);
}, 30000);

describe("every event kind from the real kernel", () => {
  test("exec and exit with the exit code and a duration", () => {
    const exec = find(all, "exec", pids.exit3!);
    expect(exec?.process).toBe("sh -c sleep 0.2; exit 3");
    const exit = find(all, "exit", pids.exit3!);
    expect(exit?.info).toBe("3");
    expect(exit?.process).toBe("sh -c sleep 0.2; exit 3");
    const d = Number(exit?.duration);
    expect(d).toBeGreaterThanOrEqual(0.19);
    expect(d).toBeLessThan(5);
  });

  test("a process killed by SIGSEGV: core event and the signal name", () => {
    expect(find(all, "core", pids.segv!)?.process).toBe("sh -c sleep 0.2; kill -SEGV $$");
    expect(find(all, "exit", pids.segv!)?.info).toMatch(/^SIGSEGV\*?$/);
  });

  test("a thread is reported as clone with parent and thread lines", () => {
    const parent = all.find((r) => r.event === "clone" && r.pid === String(pids.thread) && r.info === "parent");
    expect(parent?.process).toStartWith("/usr/bin/python3 -c import threading");
    const idx = all.indexOf(parent!);
    const thread = all[idx + 1]!;
    expect(thread.event).toBe("clone");
    expect(thread.info).toBe("thread");
    expect(Number(thread.pid)).not.toBe(pids.thread);
    expect(thread.process).toBe(parent!.process);
  });

  test("a prctl rename gives comm: the process as shown until now -> the new comm (as forkstat)", () => {
    const line = find(all, "comm", pids.comm!)?.process;
    expect(line).toStartWith("/usr/bin/python3 -c import ctypes,time\\nctypes.CDLL(None).prctl(15,b'pstat-renamed'");
    expect(line).toEndWith(" -> pstat-renamed");
  });

  test("setsid gives sid with the new session id", () => {
    const r = find(all, "sid", pids.setsid!);
    expect(r?.info).toBe(String(pids.setsid));
    expect(r?.process).toStartWith("/usr/bin/python3 -c import os,time");
  });

  test("setuid and setgid give uid and gid events with the new ids", () => {
    expect(find(all, "uid", pids.setuid!)?.process).toContain("uid 65534");
    expect(find(all, "gid", pids.setuid!)?.process).toContain("gid 65534, egid 65534");
  });

  test("strace gives a ptrace attach naming the tracer", () => {
    const r = all.find((x) => x.event === "ptrce" && x.info === "attach" && x.process.includes(`traced by ${pids.strace} `));
    expect(r).toBeDefined();
    expect(r!.process).toContain("strace -o /dev/null sleep 0.2");
  });

  test("a plain fork: parent line and child line with the parent's name", () => {
    const parent = all.find((r) => r.event === "fork" && r.info === "parent" && r.pid === String(pids.forker));
    expect(parent?.process).toBe("sh -c sleep 0.2 & wait");
    const child = all[all.indexOf(parent!) + 1]!;
    expect(child.info).toBe("child");
    expect(child.process).toBe("sh -c sleep 0.2 & wait");
    // The child then runs sleep: its exec line has the new name, its exit the duration.
    expect(find(all, "exec", child.pid)?.process).toBe("sleep 0.2");
  });

  test("lines come in event order with a valid local timestamp", () => {
    expect(all.length).toBeGreaterThan(10);
    const times = all.map((r) => Date.parse(r.time.replaceAll("/", "-").replace(" ", "T")));
    for (const t of times) expect(Number.isNaN(t)).toBe(false);
    // Whole seconds never go backwards from one line to the next.
    const backwards = times.flatMap((t, i) => (i > 0 && t < times[i - 1]! ? [`${all[i - 1]!.time} then ${all[i]!.time}`] : []));
    expect(backwards).toEqual([]);
    // And each process's own events come in the order they happened.
    for (const key of ["exit3", "segv", "forker"] as const) {
      const pid = String(pids[key]);
      const kinds = all.filter((r) => r.pid === pid).map((r) => r.event);
      expect(kinds.indexOf("exec")).toBeLessThan(kinds.lastIndexOf("exit"));
    }
  });
});
