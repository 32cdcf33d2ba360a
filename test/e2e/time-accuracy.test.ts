// Event times are the kernel's own timestamps converted to wall-clock time to the
// microsecond: an exec is never stamped before the execve that caused it began.
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { settle, startPstat } from "./helpers";

test("exec times never precede strace's execve entry by more than 50 µs (20 execs)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pstat-time-"));
  try {
    const run = await startPstat(["-j", "-e", "exec"], { probe: true });
    const trace = join(dir, "trace");
    const st = Bun.spawn(
      [
        "strace",
        "-f",
        "-ttt",
        "-e",
        "trace=execve",
        "-o",
        trace,
        "/bin/sh",
        "-c",
        "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do /bin/true; done",
      ],
      {
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    expect(await st.exited).toBe(0);
    await settle();
    const done = await run.stop();
    // "PID 1764599000.123456 execve("/bin/true", ...) = 0": the entry time of each successful execve.
    const entries = new Map<number, number>();
    for (const m of readFileSync(trace, "utf8").matchAll(/^(\d+) +(\d+\.\d{6}) execve\("\/bin\/true".* = 0$/gm)) entries.set(Number(m[1]), Number(m[2]));
    expect(entries.size).toBe(20);
    const execs = new Map<number, string>();
    for (const line of done.stdout.split("\n")) {
      if (!line.startsWith("{")) continue;
      const e = JSON.parse(line) as { event: string; pid: number; time: string };
      if (e.event === "exec" && entries.has(e.pid)) execs.set(e.pid, e.time);
    }
    expect(execs.size).toBe(20);
    const early: string[] = [];
    for (const [pid, time] of execs) {
      const m = /^(.*T\d\d:\d\d:\d\d)\.(\d{6})([+-]\d\d:\d\d)$/.exec(time)!;
      // Whole seconds from Date, microseconds from the text: no float rounding in between.
      const seconds = Date.parse(`${m[1]}${m[3]}`) / 1000;
      const stamped = seconds * 1e6 + Number(m[2]);
      const entered = Math.round(entries.get(pid)! * 1e6);
      if (stamped < entered - 50) early.push(`${pid}: pstat ${time}, strace entry ${entries.get(pid)} (${entered - stamped} µs early)`);
    }
    expect(early).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
