// `pstat top`'s command line, parsed without running anything: its usage errors have their
// exact messages, and good command lines give the configuration they should, the event
// log's filters parsed the same way as for the event log.
import { describe, expect, test } from "bun:test";
import { parseCli } from "../../src/cli/parse";
import { UsageError } from "../../src/errors";
import { makePlan } from "../../src/plan";
import { parseTopCli, renderTopHelp } from "../../src/top/cli";
import { topOptions } from "../../src/top/options";

const ERRORS: [string[], string][] = [
  [["-x"], "unknown option -x"],
  [["--foo"], "unknown option --foo"],
  [["-E"], "unknown option -E"],
  [["foo"], "unexpected argument 'foo'"],
  [["--", "make"], "unexpected argument 'make'"],
  [["-d"], "option -d/--delay needs a value"],
  [["-d", ""], "option -d/--delay needs a value"],
  [["-d", "abc"], "invalid interval 'abc' for -d (expected seconds, e.g. 1 or 0.5)"],
  [["-d", "-1"], "invalid interval '-1' for -d (expected seconds, e.g. 1 or 0.5)"],
  [["-d", "1e3"], "invalid interval '1e3' for -d (expected seconds, e.g. 1 or 0.5)"],
  [["-d", "0"], "interval '0' for -d is too short (at least 0.1 seconds)"],
  [["-d", "0.05"], "interval '0.05' for -d is too short (at least 0.1 seconds)"],
  [["-d", "99999999999"], "interval '99999999999' is too large"],
  [["-n"], "option -n/--iterations needs a value"],
  [["-n", "0"], "invalid count '0' for -n (expected a positive whole number)"],
  [["-n", "1.5"], "invalid count '1.5' for -n (expected a positive whole number)"],
  [["-n", "x"], "invalid count 'x' for -n (expected a positive whole number)"],
  [["-bn"], "option -n/--iterations needs a value"],
  [["--batch=1"], "option --batch takes no value"],
  [["--json=yes"], "option --json takes no value"],
  [["--no-batch"], "unknown option --no-batch"],
  [["-u", "no-such-user-pstat-test"], "unknown user 'no-such-user-pstat-test' for -u"],
  [["--comm", "("], "invalid regular expression '(' for --comm"],
  [["--pid", "0"], "invalid PID '0' for --pid (expected positive numbers separated by commas)"],
  [["--pid"], "option --pid needs a value"],
  [["--rcvbuf", "10X"], "invalid size '10X' for --rcvbuf (expected bytes, e.g. 65536, 512K or 8M)"],
];

describe("usage errors", () => {
  for (const [args, message] of ERRORS) {
    test(JSON.stringify(args), () => {
      let caught: unknown;
      try {
        parseTopCli(args);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(UsageError);
      expect((caught as Error).message).toBe(message);
    });
  }
});

function config(args: string[]) {
  const cli = parseTopCli(args);
  if (cli.action !== "run") throw new Error(`not a run: ${cli.action}`);
  return cli.config;
}

describe("good command lines", () => {
  test("defaults: one second, full screen, no end; the event log's pipeline as `pstat` alone runs it, with task accounting", () => {
    const c = config([]);
    expect(c).toMatchObject({ intervalMs: 1000, batch: false, json: false, count: Infinity });
    const log = parseCli([]);
    if (log.action !== "run") throw new Error("not a run");
    expect({ ...c.events, usage: false }).toEqual(log.config);
    // The CPU and MAXRSS columns: the plan subscribes to taskstats for them (every exit is shown).
    expect(c.events.usage).toBe(true);
    expect(makePlan(c.events).usage).toBe(true);
    expect([c.events.uid, c.events.comm, c.events.pids]).toEqual([null, null, null]);
  });

  test("-d takes decimals, -n a count, -b batch; -j means batch with JSON", () => {
    expect(config(["-d", "0.5"]).intervalMs).toBe(500);
    expect(config(["--delay=2"]).intervalMs).toBe(2000);
    expect(config(["-d0.1"]).intervalMs).toBe(100);
    expect(config(["-b", "-n", "3"])).toMatchObject({ batch: true, count: 3, json: false });
    expect(config(["-bn3"])).toMatchObject({ batch: true, count: 3 });
    expect(config(["-j"])).toMatchObject({ batch: true, json: true });
    expect(config(["--json", "--iterations", "2"])).toMatchObject({ batch: true, json: true, count: 2 });
  });

  test("the event log's filters and receive buffer, parsed as for the event log", () => {
    const c = config(["-u", "0", "--comm", "^make", "--pid", "1,2", "--rcvbuf", "8M"]);
    expect(c.events.uid).toBe(0);
    expect(c.events.comm).toEqual(/^make/);
    expect(c.events.pids).toEqual([1, 2]);
    expect(c.events.rcvbuf).toBe(8 << 20);
    const log = parseCli(["-u", "0", "--comm", "^make", "--pid", "1,2", "--rcvbuf", "8M"]);
    if (log.action !== "run") throw new Error("not a run");
    expect([log.config.uid, log.config.comm, log.config.pids, log.config.rcvbuf]).toEqual([c.events.uid, c.events.comm, c.events.pids, c.events.rcvbuf]);
  });

  test("-h and --help; the help lists every option of top's table", () => {
    expect(parseTopCli(["-h"]).action).toBe("help");
    expect(parseTopCli(["-b", "--help"]).action).toBe("help");
    const help = renderTopHelp();
    for (const [name, def] of Object.entries(topOptions)) {
      expect(help).toContain(`--${name}`);
      if ("alias" in def) expect(help).toContain(`-${def.alias}, --${name}`);
    }
  });
});
