// --usage and --summary on the command line, parsed without running anything. (The cases
// belong with test/unit/parse.test.ts once that file is on main.)
import { describe, expect, test } from "bun:test";
import { parseCli } from "../../src/cli/parse";
import type { Config } from "../../src/config";
import { UsageError } from "../../src/errors";
import { makePlan } from "../../src/plan";

function config(argv: string[]): Config {
  const cli = parseCli(argv);
  if (cli.action !== "run") throw new Error(`not a run: ${cli.action}`);
  return cli.config;
}

function usageError(argv: string[]): string {
  try {
    parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  return "(no error)";
}

describe("usage errors", () => {
  test.each([
    [["--summary"], "--summary needs a command after -- or --pid"],
    [["--summary", "-S"], "--summary needs a command after -- or --pid"],
    [["--summary", "--usage", "-D", "1"], "--summary needs a command after -- or --pid"],
    [["--summary=yes", "--", "true"], "option --summary takes no value"],
    [["--usage=1"], "option --usage takes no value"],
    [["--no-usage"], "unknown option --no-usage"],
    [["--Usage"], "unknown option --Usage"],
    [["-U", "x"], "unexpected argument 'x' (a command to run goes after --)"],
  ])("%p: %s", (argv, message) => {
    expect(usageError(argv)).toBe(message);
  });
});

describe("good command lines", () => {
  test("-U and --usage alike; neither by default", () => {
    expect(config(["-U"]).usage).toBe(true);
    expect(config(["--usage"]).usage).toBe(true);
    expect(config(["-SU"]).usage).toBe(true);
    expect(config([]).usage).toBe(false);
    expect(config([]).summary).toBe(false);
  });

  test("--summary with a command or --pid", () => {
    expect(config(["--summary", "--", "make"]).summary).toBe(true);
    expect(config(["--summary", "--pid", "1,2"]).summary).toBe(true);
  });

  test("--summary alone lists no events and prints no statistics: the table instead", () => {
    const c = config(["--summary", "--", "make"]);
    expect([c.quiet, c.statistics]).toEqual([true, false]);
  });

  test("--usage, -e or -E with --summary list the events too", () => {
    for (const extra of [["--usage"], ["-U"], ["-e", "exec"], ["-E"], ["-X"]]) {
      expect(config(["--summary", ...extra, "--", "make"]).quiet).toBe(false);
    }
  });

  test("-q with --summary: the statistics and the table", () => {
    const c = config(["-q", "--summary", "--", "make"]);
    expect([c.quiet, c.statistics]).toEqual([true, true]);
  });
});

describe("the plan", () => {
  test("taskstats only with --usage or --summary", () => {
    expect(makePlan(config([])).usage).toBe(false);
    expect(makePlan(config(["-U"])).usage).toBe(true);
    expect(makePlan(config(["--summary", "--", "make"])).usage).toBe(true);
  });

  test("--summary: every process exit comes, exec's comm is read (programs are named by it)", () => {
    const p = makePlan(config(["--summary", "-e", "exec", "--", "make"]));
    expect(p.summary).toBe(true);
    expect(p.show.exit).toBe(false);
    expect(p.reads.execStat).toBe(true);
    expect(makePlan(config(["-e", "exec", "--", "make"])).reads.execStat).toBe(false);
  });
});

test("--usage without exit lines to put figures on (-e exec): no taskstats", () => {
  expect(makePlan(config(["-U", "-e", "exec"])).usage).toBe(false);
  expect(makePlan(config(["-U", "-e", "exec,exitnonzero"])).usage).toBe(true);
  expect(makePlan(config(["-U", "-e", "clone"])).usage).toBe(true);
});
