// The command line, parsed without running anything: every usage error has its exact
// message, and good command lines give the configuration they should.
import { describe, expect, test } from "bun:test";
import { parseCli } from "../../src/cli/parse";
import { UsageError } from "../../src/errors";

const EVENTS = "fork, exec, exit, core, comm, clone, ptrace, uid, sid, exitnonzero, all";
const DURATION = "(expected seconds, e.g. 10 or 0.5)";
const SIZE = "(expected bytes, e.g. 65536, 512K or 8M)";

const ERRORS: [string[], string][] = [
  [["-Z"], "unknown option -Z"],
  [["-dZ"], "unknown option -Z"],
  [["--foo"], "unknown option --foo"],
  [["--Quiet"], "unknown option --Quiet"],
  [["---quiet"], "unknown option ---quiet"],
  [["--line_buffered"], "unknown option --line_buffered"],
  [["--=x"], "unknown option --=x"],
  [["--no-quiet"], "unknown option --no-quiet"],
  [["-e", "bogus"], `unknown event 'bogus' for -e (expected ${EVENTS})`],
  [["-e", "exec,bogus"], `unknown event 'bogus' for -e (expected ${EVENTS})`],
  [["-e", ""], "option -e/--event needs a value"],
  [["-e", ","], "option -e needs a list of events"],
  [["-e"], "option -e/--event needs a value"],
  [["--event="], "option -e/--event needs a value"],
  [["-D"], "option -D/--duration needs a value"],
  [["-D", "-5"], `invalid duration '-5' for -D ${DURATION}`],
  [["-D", "abc"], `invalid duration 'abc' for -D ${DURATION}`],
  [["-D", "1e5"], `invalid duration '1e5' for -D ${DURATION}`],
  [["-D", "Infinity"], `invalid duration 'Infinity' for -D ${DURATION}`],
  [["-D", "99999999999"], "duration '99999999999' is too large"],
  [["-Dq"], `invalid duration 'q' for -D ${DURATION}`],
  [["--rcvbuf", "255"], "--rcvbuf must be between 256 bytes and 1G, not '255'"],
  [["--rcvbuf", "2G"], "--rcvbuf must be between 256 bytes and 1G, not '2G'"],
  [["--rcvbuf", "1.5M"], `invalid size '1.5M' for --rcvbuf ${SIZE}`],
  [["--rcvbuf", "10X"], `invalid size '10X' for --rcvbuf ${SIZE}`],
  [["-p", "0"], "invalid process group '0' for -p (expected a positive number)"],
  [["-p", "x"], "invalid process group 'x' for -p (expected a positive number)"],
  [["foo"], "unexpected argument 'foo' (a command to run goes after --)"],
  [["-S", "extra"], "unexpected argument 'extra' (a command to run goes after --)"],
  [["--quiet=yes"], "option --quiet takes no value"],
  [["--json=1"], "option --json takes no value"],
  [["--"], "no command after --"],
  [["--time", "bogus"], "unknown time format 'bogus' for --time (expected datetime, time, iso, relative, none)"],
  [["--pid", "0"], "invalid PID '0' for --pid (expected positive numbers separated by commas)"],
  [["--pid", "1,,2"], "invalid PID '' for --pid (expected positive numbers separated by commas)"],
  [["--pid", "1", "--", "true"], "--pid and a command after -- cannot be combined"],
  [["-u", "no-such-user-pstat-test"], "unknown user 'no-such-user-pstat-test' for -u"],
  [["--comm", "("], "invalid regular expression '(' for --comm"],
  [["-o", ""], "option -o/--output needs a value"],
  [["--format", "xml"], "unknown format 'xml' for --format (expected text, json)"],
  [["--format", "text", "-j"], "-j/--json and --format text contradict each other"],
  [["--exit-with-command"], "--exit-with-command needs a command after --"],
];

describe("usage errors", () => {
  for (const [args, message] of ERRORS) {
    test(`${JSON.stringify(args)}`, () => {
      let caught: unknown;
      try {
        parseCli(args);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(UsageError);
      expect((caught as Error).message).toBe(message);
    });
  }
});

function config(args: string[]) {
  const cli = parseCli(args);
  if (cli.action !== "run") throw new Error(`not a run: ${cli.action}`);
  return cli.config;
}

describe("good command lines", () => {
  test("help and version", () => {
    expect(parseCli(["-h"]).action).toBe("help");
    expect(parseCli(["--version"]).action).toBe("version");
  });

  test("defaults", () => {
    const c = config([]);
    expect(c.format).toBe("text");
    expect(c.rcvbuf).toBe(32 << 20);
    expect(c.durationMs).toBe(0);
    expect([...c.events].sort()).toEqual(["clone", "comm", "core", "exec", "exit", "exitnonzero", "fork", "ptrace", "sid", "uid"]);
    expect(c.command).toBeNull();
    expect(c.exitWithCommand).toBe(false);
  });

  test("-j and --format json mean the same", () => {
    expect(config(["-j"]).format).toBe("json");
    expect(config(["--format", "json"]).format).toBe("json");
    expect(config(["--format=json", "-j"]).format).toBe("json");
  });

  test("aliases and case in -e", () => {
    expect([...config(["-e", "PTRCE,gid,coredump, nonzeroexit"]).events].sort()).toEqual(["core", "exitnonzero", "ptrace", "uid"]);
  });

  test("sizes, durations, short groups and the command", () => {
    expect(config(["--rcvbuf", "1G"]).rcvbuf).toBe(1 << 30);
    expect(config(["--rcvbuf", "512k"]).rcvbuf).toBe(512 << 10);
    const c = config(["-qD1.5", "--exit-with-command", "--", "make", "-j8", "--", "x"]);
    expect(c.quiet && c.statistics).toBe(true);
    expect(c.durationMs).toBe(1500);
    expect(c.command).toEqual(["make", "-j8", "--", "x"]);
    expect(c.exitWithCommand).toBe(true);
  });

  test("-X is -E -g -r -S -x", () => {
    const c = config(["-X"]);
    expect([c.glyphs, c.realtime, c.statistics, c.extra]).toEqual([true, true, true, true]);
  });
});
