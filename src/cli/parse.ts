import type { Config } from "../config";
import { GlobError, globToRegExp } from "../context/glob";
import { UsageError } from "../errors";
import { TIME_FORMATS, type TimeFormat } from "../format/time";
import { FORMAT_NAMES, type Format } from "../output/formats";
import { parseEvents, selectAll } from "../selection";
import { uidOf } from "../proc/users";
import { type Args, readArgs } from "./args";
import { type filterOptions, options } from "./options";

/** Room for tens of thousands of events, for the moments pstat is not scheduled (a storm on every core). */
const DEFAULT_RCVBUF = "32M";

export type Cli = { action: "help" } | { action: "version" } | { action: "run"; config: Config };

/**
 * Parses pstat's command line into a validated configuration: see readArgs for the
 * strictness; stray arguments are usage errors too (a command goes after --).
 */
export function parseCli(argv: string[]): Cli {
  const dashdash = argv.indexOf("--");
  const own = dashdash < 0 ? argv : argv.slice(0, dashdash);
  const a = readArgs(own, options);
  const { str, flag } = a;
  if (flag("help")) return { action: "help" };
  if (flag("version")) return { action: "version" };
  if (a.positional.length > 0) throw new UsageError(`unexpected argument '${a.positional[0]}' (a command to run goes after --)`);
  const command = dashdash < 0 ? null : argv.slice(dashdash + 1);
  if (command !== null && command.length === 0) throw new UsageError("no command after --");

  const everything = flag("everything");
  const eventList = str("event");
  const events = flag("all") || everything || eventList === undefined ? selectAll() : parseEvents(eventList);
  const duration = str("duration");
  const quiet = flag("quiet");
  const filters = parseFilters(a);
  const pids = filters.pids;
  const allContext = flag("context");
  if (command !== null && pids !== null) throw new UsageError("--pid and a command after -- cannot be combined");
  if (flag("exit-with-command") && command === null) throw new UsageError("--exit-with-command needs a command after --");
  const usage = flag("usage");
  const summary = flag("summary");
  if (summary && command === null && pids === null) throw new UsageError("--summary needs a command after -- or --pid");
  // --summary is the job's table instead of its events, unless lines are asked for as well.
  const summaryOnly = summary && !usage && eventList === undefined && !flag("all") && !everything;
  return {
    action: "run",
    config: {
      events,
      durationMs: duration === undefined ? 0 : parseDuration(duration),
      name: { comm: flag("use-comm"), short: flag("shortname"), dirstrip: flag("dirstrip") },
      statistics: flag("statistics") || quiet || everything,
      quiet: quiet || summaryOnly,
      glyphs: flag("glyphs") || everything,
      extra: flag("extra") || everything,
      lineBuffered: flag("line-buffered"),
      realtime: flag("realtime") || everything,
      rcvbuf: parseSize(str("rcvbuf") ?? DEFAULT_RCVBUF),
      time: parseTime(str("time")),
      format: parseFormat(str("format"), flag("json")),
      tree: flag("tree"),
      output: str("output") ?? null,
      pgrp: parsePgrp(str("pgrp")),
      ...filters,
      context: {
        cgroup: allContext || flag("show-cgroup"),
        ancestry: allContext || flag("show-ancestry"),
        cwd: allContext || flag("show-cwd"),
        login: allContext || flag("show-login"),
      },
      command,
      exitWithCommand: flag("exit-with-command"),
      usage,
      summary,
    },
  };
}

/** The filters on the process an event is about, which every command that takes events accepts. */
export type Filters = Pick<
  Config,
  "uid" | "comm" | "pids" | "containers" | "cgroup" | "units" | "excludeComm" | "excludePids" | "excludeUsers" | "excludeCgroup"
>;

export function parseFilters(a: Args<keyof typeof filterOptions>): Filters {
  const str = a.str;
  return {
    uid: parseUser(str("user"), "-u"),
    comm: parseRegex(str("comm"), "--comm"),
    pids: parsePids(str("pid"), "--pid"),
    containers: parseList(str("container"), parseContainerId),
    cgroup: parseGlob(str("cgroup"), "--cgroup"),
    units: parseList(str("unit"), parseUnitName),
    excludeComm: parseRegex(str("exclude-comm"), "--exclude-comm"),
    excludePids: parsePids(str("exclude-pid"), "--exclude-pid"),
    excludeUsers: parseList(str("exclude-user"), (u) => parseUser(u, "--exclude-user")!),
    excludeCgroup: parseGlob(str("exclude-cgroup"), "--exclude-cgroup"),
  };
}

function parseDuration(s: string): number {
  return parseSeconds(s, "duration", "-D", "10");
}

/** Seconds (decimals allowed) to milliseconds; `what` and `opt` name the value in messages, `example` is a typical value. */
export function parseSeconds(s: string, what: string, opt: string, example: string): number {
  if (!/^\d+(\.\d+)?$/.test(s)) throw new UsageError(`invalid ${what} '${s}' for ${opt} (expected seconds, e.g. ${example} or 0.5)`);
  const ms = Number(s) * 1000;
  if (!Number.isFinite(ms) || ms > 2 ** 31 * 1000) throw new UsageError(`${what} '${s}' is too large`);
  return ms;
}

function parsePgrp(s: string | undefined): number | null {
  if (s === undefined) return null;
  if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 4194304) throw new UsageError(`invalid process group '${s}' for -p (expected a positive number)`);
  return Number(s);
}

export function parseSize(s: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(s);
  if (!m) throw new UsageError(`invalid size '${s}' for --rcvbuf (expected bytes, e.g. 65536, 512K or 8M)`);
  const n = Number(m[1]) * 1024 ** " kmg".indexOf((m[2] || " ").toLowerCase());
  if (n < 256 || n > 1 << 30) throw new UsageError(`--rcvbuf must be between 256 bytes and 1G, not '${s}'`);
  return n;
}

function parseTime(s: string | undefined): TimeFormat {
  if (s === undefined) return "datetime";
  if (!(TIME_FORMATS as readonly string[]).includes(s)) throw new UsageError(`unknown time format '${s}' for --time (expected ${TIME_FORMATS.join(", ")})`);
  return s as TimeFormat;
}

function parseFormat(s: string | undefined, json: boolean): Format {
  if (s === undefined) return json ? "json" : "text";
  if (!(FORMAT_NAMES as readonly string[]).includes(s)) throw new UsageError(`unknown format '${s}' for --format (expected ${FORMAT_NAMES.join(", ")})`);
  if (json && s !== "json") throw new UsageError(`-j/--json and --format ${s} contradict each other`);
  return s as Format;
}

function parsePids(s: string | undefined, option: string): number[] | null {
  if (s === undefined) return null;
  const pids = s.split(",").map((x) => x.trim());
  for (const p of pids) {
    if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 4194304)
      throw new UsageError(`invalid PID '${p}' for ${option} (expected positive numbers separated by commas)`);
  }
  return pids.map(Number);
}

function parseUser(s: string | undefined, option: string): number | null {
  if (s === undefined) return null;
  if (/^\d+$/.test(s)) return Number(s);
  const uid = uidOf(s);
  if (uid === null) throw new UsageError(`unknown user '${s}' for ${option}`);
  return uid;
}

function parseRegex(s: string | undefined, option: string): RegExp | null {
  if (s === undefined) return null;
  try {
    return new RegExp(s);
  } catch {
    throw new UsageError(`invalid regular expression '${s}' for ${option}`);
  }
}

/** A comma-separated list, each item checked by `item`. */
function parseList<T>(s: string | undefined, item: (v: string) => T): T[] | null {
  return s === undefined ? null : s.split(",").map((v) => item(v.trim()));
}

/** A container id prefix: 1 to 64 hex digits, any case (ids are lower-case hex). */
function parseContainerId(s: string): string {
  if (!/^[0-9a-fA-F]{1,64}$/.test(s)) throw new UsageError(`invalid container id '${s}' for --container (expected hex digits)`);
  return s.toLowerCase();
}

/** A unit or slice name as systemd spells it: not empty, no '/'. */
function parseUnitName(s: string): string {
  if (s === "" || s.includes("/")) throw new UsageError(`invalid unit name '${s}' for --unit (expected a name such as nginx.service)`);
  return s;
}

function parseGlob(s: string | undefined, option: string): RegExp | null {
  if (s === undefined) return null;
  try {
    return globToRegExp(s);
  } catch (e) {
    if (e instanceof GlobError) throw new UsageError(`invalid pattern '${s}' for ${option}: ${e.message}`);
    throw e;
  }
}
