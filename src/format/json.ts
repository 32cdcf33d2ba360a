import type { ProcInfo } from "../proc/table";
import { ttyName } from "../proc/tty";
import { userName } from "../proc/users";
import type { Report } from "../report";
import type { Statistics } from "../stats";
import { STAT_KINDS } from "../stats";
import { signalName } from "./signals";
import { isoTime, primeLocalTime } from "./time";
import type { Clock } from "../clock";

const str = JSON.stringify;
const strOrNull = (s: string | null) => (s === null ? "null" : str(s));

/**
 * JSON Lines: one object per event. Strings are pstat's escaped text (control characters
 * as \xNN, \n, \t; backslash doubled; invalid UTF-8 bytes as \xNN), so every line is
 * valid UTF-8 and nothing a process puts in its name is dropped or taken literally.
 */
export class JsonFormatter {
  constructor(
    private readonly clock: Clock,
    private readonly extra: boolean,
    private readonly tree: boolean,
  ) {
    primeLocalTime();
  }

  format(r: Report): string {
    const p = r.proc;
    let s = `{"time":${str(isoTime(this.clock.wallMs(r.ts)))},"event":"${r.kind}"`;
    if (r.kind === "lost") return s + `,"pid":null,"tgid":null,"process":null,"cmdline":null,"comm":null,"count":${r.count >= 0 ? r.count : "null"}}\n`;
    s += `,"pid":${r.pid},"tgid":${r.tgid},"process":${str(p.name)},"cmdline":${strOrNull(p.cmdline)},"comm":${str(p.comm)}`;
    switch (r.kind) {
      case "fork":
      case "clone":
        s += `,"ppid":${r.ppid},"parent_tgid":${r.parentTgid},"parent_process":${str(r.parent.name)}`;
        break;
      case "exit":
        s +=
          `,"exit_code":${r.exitCode === null ? "null" : r.exitCode},"signal":${r.signal === null ? "null" : str(signalName(r.signal))}` +
          `,"core_dumped":${r.coreDumped},"duration":${Number.isNaN(r.duration) ? "null" : r.duration.toFixed(6)},"ppid":${r.ppid}`;
        break;
      case "core":
        s += `,"ppid":${r.ppid}`;
        break;
      case "comm":
        s += `,"old_comm":${str(r.oldComm)}`;
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
    if (this.extra) s += extraFields(p);
    if (this.tree) s += `,"depth":${r.depth}`;
    return s + "}\n";
  }

  statistics(stats: Statistics, ts: number): string {
    const rows = stats.rows().map((row) => {
      let o = `{"process":${str(row.process)}`;
      for (const k of STAT_KINDS) o += `,"${k}":${row.counts[k]}`;
      return o + `,"total":${row.total}}`;
    });
    return (
      `{"time":${str(isoTime(this.clock.wallMs(ts)))},"event":"statistics","lost":${stats.lost},` +
      `"lost_exact":${!stats.lostUncounted},"processes":[${rows.join(",")}]}\n`
    );
  }
}

function extraFields(p: ProcInfo): string {
  const id = (n: number) => (n >= 0 ? String(n) : "null");
  return `,"uid":${id(p.uid)},"euid":${id(p.euid)},"user":${p.uid >= 0 ? str(userName(p.uid)) : "null"},"tty":${p.tty > 0 ? str(ttyName(p.tty)) : "null"}`;
}
