// The plan: what the kernel must send, whether to keep the process table, and what each
// consumer needs read from /proc, derived from the command line alone. The context options
// and filters read nothing without them, and with them only what each one looks at.
import { describe, expect, test } from "bun:test";
import { parseCli } from "../../src/cli/parse";
import { What } from "../../src/kernel/netlink";
import { makePlan, type Plan } from "../../src/plan";

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
    expect(plan("-e", "exec").reads).toEqual({ stat: false, execStat: false, uids: false, execUids: false, cgroup: false, cwd: false, loginuid: false });
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

const context = (p: Plan) => ({ cgroup: p.reads.cgroup, cwd: p.reads.cwd, loginuid: p.reads.loginuid });
const NONE = { cgroup: false, cwd: false, loginuid: false };

describe("without the context options, no context read", () => {
  const invocations = [
    [],
    ["-e", "exec"],
    ["-e", "exec,exit"],
    ["-x"],
    ["-j"],
    ["-X", "-j", "-t"],
    ["-c", "-s", "-d"],
    ["--comm", "x"],
    ["-u", "0"],
    ["-p", "1"],
    ["--pid", "1"],
  ];
  for (const args of invocations) test(args.join(" ") || "(no options)", () => expect(context(plan(...args))).toEqual(NONE));

  test("-e exec alone still keeps no process table", () => {
    expect(plan("-e", "exec").track).toBe(false);
  });
});

describe("each option reads only what it needs", () => {
  test("--context: every file, and the table for the parents", () => {
    const p = plan("--context", "-e", "exec");
    expect(context(p)).toEqual({ cgroup: true, cwd: true, loginuid: true });
    expect(p.track).toBe(true);
  });

  test("--show-cgroup, --show-cwd, --show-login: their own file", () => {
    expect(context(plan("--show-cgroup"))).toEqual({ ...NONE, cgroup: true });
    expect(context(plan("--show-cwd"))).toEqual({ ...NONE, cwd: true });
    expect(context(plan("--show-login"))).toEqual({ ...NONE, loginuid: true });
  });

  test("--show-ancestry: no file, the process table", () => {
    const p = plan("--show-ancestry", "-e", "exec");
    expect(context(p)).toEqual(NONE);
    expect(p.track).toBe(true);
  });

  test("filters on the cgroup read the cgroup only", () => {
    for (const args of [
      ["--container", "ab"],
      ["--cgroup", "/x/*"],
      ["--unit", "nginx"],
      ["--exclude-cgroup", "/x/**"],
    ]) {
      expect({ args, reads: context(plan(...args)) }).toEqual({ args, reads: { ...NONE, cgroup: true } });
    }
  });

  test("--exclude-user reads the uids, --exclude-comm nothing, --exclude-pid keeps the table", () => {
    const user = plan("-e", "exec", "--exclude-user", "0");
    expect(user.reads.uids).toBe(true);
    expect(context(user)).toEqual(NONE);
    const comm = plan("-e", "exec", "--exclude-comm", "x");
    expect(comm.reads).toEqual(plan("-e", "exec").reads);
    expect(comm.track).toBe(false);
    const pid = plan("-e", "exec", "--exclude-pid", "1");
    expect(pid.track).toBe(true);
    expect(context(pid)).toEqual(NONE);
  });
});

describe("--usage and --summary", () => {
  test("taskstats only with --usage or --summary", () => {
    expect(plan().usage).toBe(false);
    expect(plan("-U").usage).toBe(true);
    expect(plan("--summary", "--", "make").usage).toBe(true);
  });

  test("--usage without exit lines to put figures on (-e exec): no taskstats", () => {
    expect(plan("-U", "-e", "exec").usage).toBe(false);
    expect(plan("-U", "-e", "exec,exitnonzero").usage).toBe(true);
    expect(plan("-U", "-e", "clone").usage).toBe(true);
  });

  test("--summary: every process exit comes, exec's comm is read (programs are named by it)", () => {
    const p = plan("--summary", "-e", "exec", "--", "make");
    expect(p.summary).toBe(true);
    expect(p.show.exit).toBe(false);
    expect(p.reads.execStat).toBe(true);
    expect(plan("-e", "exec", "--", "make").reads.execStat).toBe(false);
  });
});
