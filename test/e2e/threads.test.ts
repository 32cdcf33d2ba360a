// A thread other than the leader calls exec: the kernel reports an exit of the leader's PID,
// then the exec under that same PID. The process goes on; pstat must follow it.
import { describe, expect, test } from "bun:test";
import { jsonLines, PSTAT, startPstat } from "./helpers";

const PY = "/usr/bin/python3";
/** Sleeps `pause` s, then a thread execs sh, which runs sleep and exits 5. */
const script = (pause: number) =>
  `import threading,os,time\ntime.sleep(${pause})\nthreading.Thread(target=lambda: os.execv("/bin/sh",["sh","-c","sleep 0.5; exit 5"])).start()\ntime.sleep(10)`;

type Event = Record<string, unknown>;
const parse = jsonLines;

function checkJob(all: Event[], pid: number) {
  const mine = all.filter((e) => e.pid === pid);
  const replaced = mine.find((e) => e.event === "exit" && e.replaced_by_exec === true);
  expect(replaced).toMatchObject({ thread: true, exit_code: 0 });
  expect(mine.some((e) => e.event === "exec" && e.cmdline === "sh -c sleep 0.5; exit 5")).toBe(true);
  const fork = all.find((e) => e.event === "fork" && e.ppid === pid);
  expect(fork).toBeDefined();
  expect(all.some((e) => e.event === "exec" && e.pid === fork!.pid && e.cmdline === "sleep 0.5")).toBe(true);
  const real = mine.findLast((e) => e.event === "exit")!;
  expect(real).toMatchObject({ exit_code: 5 });
  expect("thread" in real).toBe(false);
  // The real exit comes after the replaced one, and its duration counts from the process's start.
  expect(mine.indexOf(real)).toBeGreaterThan(mine.indexOf(replaced!));
  expect(real.duration as number).toBeGreaterThan(0.5);
}

describe("a thread's exec", () => {
  test("command mode: the status is the new program's, and the job is followed through the exec", async () => {
    const p = Bun.spawn([PSTAT, "-j", "--", PY, "-c", script(0)], { stdio: ["ignore", "pipe", "pipe"] });
    const out = await new Response(p.stdout).text();
    expect(await p.exited).toBe(5);
    const all = parse(out);
    const root = all.find((e) => e.event === "exec" && typeof e.cmdline === "string" && (e.cmdline as string).startsWith(PY))!;
    checkJob(all, root.pid as number);
  });

  test("--pid: the process stays followed through the replaced exit", async () => {
    const py = Bun.spawn([PY, "-c", script(1)], { stdio: ["ignore", "ignore", "ignore"] });
    const run = await startPstat(["-j", "--pid", String(py.pid)], { ready: /^/ });
    expect(await py.exited).toBe(5);
    await Bun.sleep(300);
    const done = await run.stop();
    checkJob(parse(done.stdout), py.pid);
  });
});
