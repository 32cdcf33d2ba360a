// The plan: what the kernel must send, whether to keep the process table, and what each
// consumer needs read from /proc, derived from the command line alone.
import { describe, expect, test } from "bun:test";
import { parseCli } from "../../src/cli/parse";
import { What } from "../../src/kernel/netlink";
import { makePlan } from "../../src/plan";

function plan(...args: string[]) {
  const cli = parseCli(args);
  if (cli.action !== "run") throw new Error("not a run");
  return makePlan(cli.config);
}

const BULK = What.FORK | What.EXEC | What.EXIT;

describe("kernel mask and filter", () => {
  test("everything: all bits, no kernel filter (exact loss counting)", () => {
    const p = plan();
    expect(p.mask & BULK).toBe(BULK);
    expect(p.kernelFilter).toBe(false);
    expect(p.track).toBe(true);
  });

  test("-e exec: only execs cross, read ahead, no table", () => {
    const p = plan("-e", "exec");
    expect(p.mask).toBe(What.EXEC);
    expect(p.kernelFilter).toBe(true);
    expect(p.track).toBe(false);
    expect(p.execReadAhead).toBe(true);
  });

  test("-e core: only core dumps cross, and nothing is read ahead", () => {
    const p = plan("-e", "core");
    expect(p.mask).toBe(What.COREDUMP);
    expect(p.track).toBe(false);
    expect(p.execReadAhead).toBe(false);
    expect(p.show).toMatchObject({ core: true, fork: false, exec: false, exit: false });
  });

  test("-e exitnonzero: failing exits only, with the table for their names", () => {
    const p = plan("-e", "exitnonzero");
    expect(p.failingExitsOnly).toBe(true);
    expect(p.show.exit).toBe(false);
    expect(p.track).toBe(true);
    expect(p.mask & BULK).toBe(BULK);
    expect(p.mask & What.NONZERO_EXIT).toBe(0); // every exit is needed for the table
  });

  test("-e uid shows uid and gid lines", () => {
    const p = plan("-e", "uid");
    expect(p.mask).toBe((What.UID | What.GID) >>> 0);
    expect(p.show).toMatchObject({ uid: true, gid: true });
  });

  test("following (command, --pid, --tree) needs the table whatever -e says", () => {
    for (const p of [plan("-e", "exec", "--", "true"), plan("-e", "exec", "--pid", "1"), plan("-e", "exec", "-t")]) {
      expect(p.track).toBe(true);
      expect(p.mask & BULK).toBe(BULK);
      expect(p.kernelFilter).toBe(false);
    }
  });
});

describe("/proc reads: every consumer's field is read", () => {
  test("plain text of execs reads only command lines", () => {
    expect(plan("-e", "exec").reads).toEqual({ stat: false, execStat: false, uids: false, execUids: false });
  });
  test("--pgrp reads stat (the process group)", () => expect(plan("-e", "exec", "-p", "1").reads.stat).toBe(true));
  test("-u reads the uids, again at each exec (a set-uid program's)", () =>
    expect(plan("-e", "exec", "-u", "0").reads).toMatchObject({ uids: true, execUids: true }));
  test("-x reads uids, again at each exec, and stat (tty)", () =>
    expect(plan("-e", "exec", "-x").reads).toMatchObject({ uids: true, execUids: true, stat: true }));
  test("JSON reads the comm at exec", () => expect(plan("-e", "exec", "-j").reads).toMatchObject({ stat: true, execStat: true }));
  test("-c reads the comm at exec", () => expect(plan("-e", "exec", "-c").reads.execStat).toBe(true));
  test("the table needs start times (durations) and parents", () => expect(plan().reads.stat).toBe(true));
});
