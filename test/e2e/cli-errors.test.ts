// The option parser, through the compiled binary: every bad invocation is a usage error
// (exit 2, one line on stderr, nothing on stdout), found before pstat subscribes.
import { describe, expect, test } from "bun:test";
import { PSTAT } from "./helpers";

interface Result {
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs pstat with `args`; kills it after `limitMs` (a bad invocation must not start monitoring). */
async function run(args: string[], limitMs = 5000): Promise<Result> {
  const t0 = performance.now();
  const p = Bun.spawn([PSTAT, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  const timer = setTimeout(() => p.kill("SIGKILL"), limitMs);
  const [stdout, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  await p.exited;
  clearTimeout(timer);
  return { args, code: p.exitCode, stdout, stderr, ms: performance.now() - t0 };
}

/** A compact, bounded description of a result, for failure messages. */
function summary(r: Result): string {
  return JSON.stringify({ args: r.args, code: r.code, stdoutBytes: r.stdout.length, stdout: r.stdout.slice(0, 120), stderr: r.stderr.slice(0, 300) });
}

const BAD: string[][] = [
  // unknown options
  ["-Z"],
  ["-dZ"],
  ["-SdZ"],
  ["--foo"],
  ["--Quiet"],
  ["---quiet"],
  ["--line_buffered"],
  ["--=x"],
  // events
  ["-e", "bogus"],
  ["-e", "exec,bogus"],
  ["--event=exec,bogus"],
  ["-e", "exec fork"],
  ["-e", ""],
  ["-e", ","],
  ["-e", " , "],
  ["-e"],
  ["--event"],
  ["--event="],
  // durations
  ["-D"],
  ["--duration"],
  ["-D", "-5"],
  ["-D", "abc"],
  ["-D", "1e5x"],
  ["-D", "1e5"],
  ["-D", "1.5.2"],
  ["-D", " 1"],
  ["-D", "Infinity"],
  ["-D", "NaN"],
  ["-D", "0x10"],
  ["-D", "99999999999"],
  ["--duration=abc"],
  ["--duration="],
  ["-D", "-S"],
  ["-D", "--quiet"],
  ["-Dq"],
  ["-dD"],
  // receive buffer sizes
  ["--rcvbuf"],
  ["--rcvbuf="],
  ["--rcvbuf", "1"],
  ["--rcvbuf", "255"],
  ["--rcvbuf", "0"],
  ["--rcvbuf", "10X"],
  ["--rcvbuf", "2G"],
  ["--rcvbuf", "2048M"],
  ["--rcvbuf", "-1K"],
  ["--rcvbuf", "0x100"],
  ["--rcvbuf", "1.5M"],
  ["--rcvbuf", "-S"],
  // process groups
  ["-p"],
  ["--pgrp"],
  ["-p", "0"],
  ["-p", "x"],
  ["-p", "-3"],
  ["-p", "1.5"],
  ["-p", ""],
  ["-p", "99999999999"],
  ["--pgrp=abc"],
  // stray arguments
  ["foo"],
  ["-S", "extra"],
  ["-x", "foo"],
  ["-"],
  ["-d", "-"],
  ["-D", "1", "2"],
  // booleans given a value
  ["--quiet=yes"],
  ["--dirstrip=false"],
  ["--help=1"],
  ["--version=1"],
  ["--statistics="],
  ["-E=1"],
  // command mode with no command
  ["--"],
  ["-S", "--"],
  // newer options
  ["--time"],
  ["--time="],
  ["--time", "bogus"],
  ["--pid"],
  ["--pid", "0"],
  ["--pid", "abc"],
  ["--pid", "1,,2"],
  ["--pid", "-1"],
  ["-u"],
  ["-u", "no-such-user-pstat-test"],
  ["--comm"],
  ["--comm", "("],
  ["-o"],
  ["-o", ""],
  ["--json=1"],
  ["-j=1"],
  ["-t=1"],
  // context and exclusions (each message is checked word for word in test/unit/parse.test.ts)
  ["--context=1"],
  ["--container", "xyz"],
  ["--cgroup", "/[z-a]"],
  ["--unit", "a/b"],
  ["--exclude-cgroup"],
  ["--exclude-comm", "("],
  ["--exclude-pid", "0"],
  ["--exclude-user", "no-such-user-pstat-test"],
];

describe("usage errors: exit 2, one line on stderr, nothing on stdout", () => {
  test(`${BAD.length} bad invocations`, async () => {
    expect(BAD.length).toBeGreaterThanOrEqual(30);
    const results = await Promise.all(BAD.map((args) => run(args)));
    const wrong = results.filter((r) => {
      const lines = r.stderr.split("\n");
      return (
        r.code !== 2 ||
        r.stdout !== "" ||
        !r.stderr.endsWith("\n") ||
        lines.length !== 2 ||
        !lines[0]!.startsWith("pstat: ") ||
        // no raw control characters in the message (the bad argument may be echoed)
        /[\x00-\x08\x0b-\x1f\x7f]/.test(lines[0]!)
      );
    });
    expect(wrong.map(summary)).toEqual([]);
  }, 60000);

  test("the bad value is named in the message", async () => {
    const checks: [string[], string][] = [
      [["-Z"], "-Z"],
      [["--foo"], "--foo"],
      [["-e", "bogus"], "bogus"],
      [["-D", "abc"], "abc"],
      [["--rcvbuf", "10X"], "10X"],
      [["-p", "x"], "x"],
      [["foo"], "foo"],
      [["--quiet=yes"], "--quiet"],
    ];
    const results = await Promise.all(checks.map(([args]) => run(args)));
    const wrong = results.filter((r, i) => !r.stderr.includes(checks[i]![1])).map(summary);
    expect(wrong).toEqual([]);
  }, 30000);

  test("a hostile argument is not echoed raw to the terminal", async () => {
    const r = await run(["-e", "exec\x1b[2J\x1b]0;pwned\x07,fork"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n").length).toBe(2);
    expect(/[\x00-\x08\x0b-\x1f\x7f]/.test(r.stderr.slice(0, -1))).toBe(false);
  });

  test("undocumented --no-<flag> negations are rejected like any unknown option", async () => {
    const results = await Promise.all(
      [
        ["--no-quiet", "-D", "0.1"],
        ["--no-dirstrip", "-D", "0.1"],
        ["--no-statistics", "-D", "0.1"],
      ].map((a) => run(a, 3000)),
    );
    expect(results.filter((r) => r.code !== 2 || r.stdout !== "" || r.stderr.split("\n").length !== 2).map(summary)).toEqual([]);
  }, 30000);
});

describe("good invocations that exit at once", () => {
  test("-h, --help, -v, --version: exit 0, output on stdout, nothing on stderr", async () => {
    const cases = [["-h"], ["--help"], ["-v"], ["--version"], ["-d", "--help"], ["-h", "-v"]];
    const results = await Promise.all(cases.map((args) => run(args)));
    const wrong = results.filter((r) => r.code !== 0 || r.stderr !== "" || r.stdout.length === 0).map(summary);
    expect(wrong).toEqual([]);
    expect(results[0]!.stdout).toBe(results[1]!.stdout);
    expect(results[0]!.stdout).toContain("Usage: pstat");
    expect(results[2]!.stdout).toBe(results[3]!.stdout);
    expect(results[2]!.stdout).toMatch(/^pstat\b.*\d+\.\d+\.\d+/);
    expect(results[2]!.stdout.split("\n").length).toBe(2);
  }, 30000);

  test("the completions subcommand that --help advertises works", async () => {
    const help = (await run(["--help"])).stdout;
    expect(help).toContain("pstat completions bash|zsh|fish");
    const results = await Promise.all(["bash", "zsh", "fish"].map((s) => run(["completions", s])));
    const wrong = results.filter((r) => r.code !== 0 || r.stderr !== "" || !r.stdout.includes("pstat")).map(summary);
    expect(wrong).toEqual([]);
    const bad = await run(["completions", "tcsh"]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr.split("\n").length).toBe(2);
  }, 30000);
});
