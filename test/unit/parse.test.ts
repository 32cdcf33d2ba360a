// The command line, parsed without running anything: every usage error has its exact
// message, and good command lines give the configuration they should.
import { describe, expect, test } from "bun:test";
import { parseCli } from "../../src/cli/parse";
import { UsageError } from "../../src/errors";

const EVENTS = "fork, exec, exit, core, comm, clone, ptrace, uid, sid, exitnonzero, all";
const DURATION = "(expected seconds, e.g. 10 or 0.5)";
const SIZE = "(expected bytes, e.g. 65536, 512K or 8M)";
const CONTAINER = "3f4c2b1a9d8e7f60a1b2c3d4e5f60718293a4b5c6d7e8f900123456789abcdef";

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
  // context and exclusions
  [["--container", "xyz"], "invalid container id 'xyz' for --container (expected hex digits)"],
  [["--container", `${CONTAINER}0`], `invalid container id '${CONTAINER}0' for --container (expected hex digits)`],
  [["--container", "3f,,4c"], "invalid container id '' for --container (expected hex digits)"],
  [["--container"], "option --container needs a value"],
  [["--container="], "option --container needs a value"],
  [["--cgroup", "/[z-a]"], "invalid pattern '/[z-a]' for --cgroup: an invalid character class"],
  [["--exclude-cgroup", "/a/[b-a]"], "invalid pattern '/a/[b-a]' for --exclude-cgroup: an invalid character class"],
  [["--cgroup"], "option --cgroup needs a value"],
  [["--unit", "system.slice/nginx.service"], "invalid unit name 'system.slice/nginx.service' for --unit (expected a name such as nginx.service)"],
  [["--unit", "a,"], "invalid unit name '' for --unit (expected a name such as nginx.service)"],
  [["--exclude-comm", "("], "invalid regular expression '(' for --exclude-comm"],
  [["--exclude-pid", "0"], "invalid PID '0' for --exclude-pid (expected positive numbers separated by commas)"],
  [["--exclude-pid", "1,,2"], "invalid PID '' for --exclude-pid (expected positive numbers separated by commas)"],
  [["--exclude-pid", "abc"], "invalid PID 'abc' for --exclude-pid (expected positive numbers separated by commas)"],
  [["--exclude-pid", "99999999"], "invalid PID '99999999' for --exclude-pid (expected positive numbers separated by commas)"],
  [["--exclude-pid"], "option --exclude-pid needs a value"],
  [["--exclude-user", "no-such-user-pstat-test"], "unknown user 'no-such-user-pstat-test' for --exclude-user"],
  [["--exclude-user", "root,no-such-user-pstat-test"], "unknown user 'no-such-user-pstat-test' for --exclude-user"],
  [["--context=yes"], "option --context takes no value"],
  [["--show-cwd=1"], "option --show-cwd takes no value"],
  [["--show-everything"], "unknown option --show-everything"],
  // usage and summary
  [["--summary"], "--summary needs a command after -- or --pid"],
  [["--summary", "-S"], "--summary needs a command after -- or --pid"],
  [["--summary", "--usage", "-D", "1"], "--summary needs a command after -- or --pid"],
  [["--summary=yes", "--", "true"], "option --summary takes no value"],
  [["--usage=1"], "option --usage takes no value"],
  [["--no-usage"], "unknown option --no-usage"],
  [["--Usage"], "unknown option --Usage"],
  [["-U", "x"], "unexpected argument 'x' (a command to run goes after --)"],
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

describe("context fields", () => {
  test("none by default", () => {
    expect(config([]).context).toEqual({ cgroup: false, ancestry: false, cwd: false, login: false });
  });

  test("--context turns on every field, --show-* one each", () => {
    expect(config(["--context"]).context).toEqual({ cgroup: true, ancestry: true, cwd: true, login: true });
    expect(config(["--show-cgroup"]).context).toEqual({ cgroup: true, ancestry: false, cwd: false, login: false });
    expect(config(["--show-ancestry", "--show-cwd"]).context).toEqual({ cgroup: false, ancestry: true, cwd: true, login: false });
    expect(config(["--show-login"]).context).toEqual({ cgroup: false, ancestry: false, cwd: false, login: true });
  });
});

describe("filters", () => {
  test("not given: null", () => {
    const c = config([]);
    expect([c.containers, c.cgroup, c.units, c.excludeComm, c.excludePids, c.excludeUsers, c.excludeCgroup]).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  test("--container: hex prefixes, lower-cased, a comma list", () => {
    expect(config(["--container", "3F4C"]).containers).toEqual(["3f4c"]);
    expect(config(["--container", `${CONTAINER},beef`]).containers).toEqual([CONTAINER, "beef"]);
  });

  test("--cgroup and --exclude-cgroup: globs", () => {
    expect(config(["--cgroup", "/system.slice/*"]).cgroup!.test("/system.slice/a.service")).toBe(true);
    expect(config(["--exclude-cgroup", "docker-*.scope"]).excludeCgroup!.test(`/system.slice/docker-${CONTAINER}.scope`)).toBe(true);
  });

  test("--unit: a comma list of names", () => {
    expect(config(["--unit", "nginx,user@1000.service"]).units).toEqual(["nginx", "user@1000.service"]);
  });

  test("--exclude-comm, --exclude-pid, --exclude-user", () => {
    expect(config(["--exclude-comm", "^c+$"]).excludeComm!.test("ccc")).toBe(true);
    expect(config(["--exclude-pid", "12, 34,56"]).excludePids).toEqual([12, 34, 56]);
    expect(config(["--exclude-user", "root,1000"]).excludeUsers).toEqual([0, 1000]); // every passwd has root
  });
});

describe("--usage and --summary", () => {
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
