import { STAT_KINDS } from "../events/kinds";
import { signalName } from "../format/signals";
import { isoTime, primeLocalTime } from "../format/time";
import type { Clock } from "../clock";
import type { ContextFields } from "../config";
import { type ProcInfo, UNKNOWN_NAME } from "../proc/table";
import { ttyName } from "../proc/tty";
import { userName } from "../proc/users";
import type { Report } from "../report";
import { usageJson } from "../usage/record";
import type { Summary } from "../usage/summary";
import type { FormatContext, Formatter } from "./formatter";
import type { Statistics } from "./statistics";
import type { Writer } from "./writer";

/** Version of the JSON schema (README "JSON Lines"); goes up when a field changes meaning. */
export const JSON_SCHEMA_VERSION = 2;

const str = JSON.stringify;
const strOrNull = (s: string | null) => (s === null ? "null" : str(s));
/** A name pstat could not read is null in JSON (text shows <unknown>). */
const name = (s: string) => (s === UNKNOWN_NAME ? "null" : str(s));

/**
 * JSON Lines: one object per event. Strings are pstat's escaped text (control characters
 * as \xNN, \n, \t; backslash doubled; invalid UTF-8 bytes as \xNN), so every line is
 * valid UTF-8 and nothing a process puts in its name is dropped or taken literally.
 */
export class JsonFormatter implements Formatter {
  private readonly clock: Clock;
  private readonly contextOn: boolean;

  constructor(private readonly o: FormatContext) {
    this.clock = o.clock;
    const f = o.context;
    this.contextOn = f.cgroup || f.ancestry || f.cwd || f.login;
    primeLocalTime();
  }

  heading(): string {
    return "";
  }

  lines(): number {
    return 1;
  }

  event(r: Report, w: Writer): void {
    w.write(this.format(r));
  }

  format(r: Report): string {
    const p = r.proc;
    let s = `{"time":${str(isoTime(this.clock.wallMs(r.ts)))},"event":"${r.kind}"`;
    if (r.kind === "lost") {
      s += `,"pid":null,"tgid":null,"process":null,"cmdline":null,"comm":null,"count":${r.count >= 0 ? r.count : "null"}`;
      return s + (r.lostSource === "usage" ? `,"source":"taskstats"}\n` : "}\n");
    }
    s += `,"pid":${r.pid},"tgid":${r.tgid},"process":${name(p.name)},"cmdline":${strOrNull(p.cmdline)},"comm":${name(p.comm)}`;
    s += `,"ppid":${r.ppid > 0 ? r.ppid : "null"}`;
    if (r.thread) s += `,"thread":true`;
    switch (r.kind) {
      case "fork":
        s += `,"parent_tid":${r.parentTid},"parent_process":${name(r.parent.name)}`;
        break;
      case "clone":
        s += `,"parent_process":${name(r.parent.name)}`;
        break;
      case "exit":
        s +=
          `,"exit_code":${r.exitCode === null ? "null" : r.exitCode},"signal":${r.signal === null ? "null" : str(signalName(r.signal))}` +
          `,"core_dumped":${r.coreDumped},"duration":${Number.isNaN(r.duration) ? "null" : r.duration.toFixed(6)}`;
        if (r.replaced) s += `,"replaced_by_exec":true`;
        if (this.o.usage) s += `,"usage":${r.usage === null ? "null" : usageJson(r.usage)}`;
        break;
      case "comm":
        s += `,"old_comm":${name(r.oldComm)}`;
        break;
      case "ptrace":
        s += `,"tracer_pid":${r.tracerPid},"attach":${r.tracerPid !== 0}`;
        break;
      case "uid":
        s += `,"ruid":${r.ruid},"euid":${r.euid}`;
        break;
      case "gid":
        s += `,"rgid":${r.rgid},"egid":${r.egid}`;
        break;
      case "sid":
        s += `,"sid":${r.pid}`;
        break;
    }
    // A uid event's own ruid/euid are the process's new ids: -x would repeat them.
    if (this.o.extra) s += extraFields(p, r.kind !== "uid");
    if (this.o.tree) s += `,"depth":${r.depth}`;
    if (this.contextOn) s += contextFields(r, this.o.context);
    return s + "}\n";
  }

  statistics(stats: Statistics, ts: number, w: Writer): void {
    const rows = stats.rows().map((row) => {
      let o = `{"process":${name(row.process)}`;
      for (const k of STAT_KINDS) o += `,"${k}":${row.counts[k]}`;
      o += `,"total":${row.total}`;
      o += stats.rowUsageJson(row);
      return o + "}";
    });
    const records = stats.recordsJson();
    w.write(
      `{"time":${str(isoTime(this.clock.wallMs(ts)))},"event":"statistics","version":${JSON_SCHEMA_VERSION},"lost":${stats.lost},` +
        `"lost_exact":${!stats.lostUncounted},"malformed":${stats.malformed}${records},"processes":[${rows.join(",")}]}\n`,
    );
  }

  summary(s: Summary, wall: number, ts: number, w: Writer): void {
    w.write(s.renderJson(wall, `"time":${str(isoTime(this.clock.wallMs(ts)))},`, `"version":${JSON_SCHEMA_VERSION},`));
  }
}

/**
 * Ancestors' names as JSON strings: the same few parents (a shell, a service manager) head
 * the chains of a whole storm of events, and their command lines can be long. Bounded, as
 * a name can be 4 KiB.
 */
const ancestorNames = new Map<string, string>();
const ANCESTOR_NAMES_MAX = 512;

function ancestorName(process: string): string {
  let json = ancestorNames.get(process);
  if (json === undefined) {
    json = name(process);
    if (ancestorNames.size >= ANCESTOR_NAMES_MAX) ancestorNames.clear();
    ancestorNames.set(process, json);
  }
  return json;
}

/** The context fields asked for; null where unknown or unreadable, `[]` for no known parent. */
function contextFields(r: Report, f: ContextFields): string {
  const c = r.proc.ctx;
  let s = "";
  if (f.cgroup) {
    s += `,"cgroup":${strOrNull(c === null ? null : c.cgroup)},"container_id":${strOrNull(c === null ? null : c.containerId)}`;
    s += `,"unit":${strOrNull(c === null ? null : c.unit)}`;
  }
  if (f.ancestry) {
    s += `,"ancestors":[`;
    for (let i = 0; i < r.ancestors.length; i++) {
      const a = r.ancestors[i]!;
      s += `${i > 0 ? "," : ""}{"pid":${a.pid},"process":${ancestorName(a.process)}}`;
    }
    s += "]";
  }
  if (f.cwd) s += `,"cwd":${strOrNull(c === null ? null : c.cwd)}`;
  if (f.login) {
    const uid = c === null ? null : c.loginUid;
    s += `,"login_user":${strOrNull(c === null ? null : c.loginUser)},"login_uid":${uid === null ? "null" : uid}`;
  }
  return s;
}

function extraFields(p: ProcInfo, ids: boolean): string {
  const id = (n: number) => (n >= 0 ? String(n) : "null");
  return `${ids ? `,"uid":${id(p.uid)},"euid":${id(p.euid)}` : ""},"user":${p.uid >= 0 ? str(userName(p.uid)) : "null"},"tty":${p.tty > 0 ? str(ttyName(p.tty)) : "null"}`;
}
