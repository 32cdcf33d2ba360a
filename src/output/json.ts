import { STAT_KINDS } from "../events/kinds";
import { signalName } from "../format/signals";
import { isoTime, primeLocalTime } from "../format/time";
import type { Clock } from "../clock";
import { type ProcInfo, UNKNOWN_NAME } from "../proc/table";
import { ttyName } from "../proc/tty";
import { userName } from "../proc/users";
import type { Report } from "../report";
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

  constructor(private readonly o: FormatContext) {
    this.clock = o.clock;
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
    if (r.kind === "lost") return s + `,"pid":null,"tgid":null,"process":null,"cmdline":null,"comm":null,"count":${r.count >= 0 ? r.count : "null"}}\n`;
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
    return s + "}\n";
  }

  statistics(stats: Statistics, ts: number, w: Writer): void {
    const rows = stats.rows().map((row) => {
      let o = `{"process":${name(row.process)}`;
      for (const k of STAT_KINDS) o += `,"${k}":${row.counts[k]}`;
      return o + `,"total":${row.total}}`;
    });
    w.write(
      `{"time":${str(isoTime(this.clock.wallMs(ts)))},"event":"statistics","version":${JSON_SCHEMA_VERSION},"lost":${stats.lost},` +
        `"lost_exact":${!stats.lostUncounted},"malformed":${stats.malformed},"processes":[${rows.join(",")}]}\n`,
    );
  }
}

function extraFields(p: ProcInfo, ids: boolean): string {
  const id = (n: number) => (n >= 0 ? String(n) : "null");
  return `${ids ? `,"uid":${id(p.uid)},"euid":${id(p.euid)}` : ""},"user":${p.uid >= 0 ? str(userName(p.uid)) : "null"},"tty":${p.tty > 0 ? str(ttyName(p.tty)) : "null"}`;
}
