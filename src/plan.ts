import type { Config } from "./config";
import { SELECTORS, STAT_KINDS, type StatKind } from "./events/kinds";
import { What } from "./kernel/netlink";

/** What the process table reads from /proc, beyond the command line it always reads. */
export interface ProcReads {
  /** /proc/PID/stat: start time, parent, process group, tty, kernel-thread flag. */
  stat: boolean;
  /** /proc/PID/stat again at each exec, for the new program's comm. */
  execStat: boolean;
  /** /proc/PID/status: real and effective uid. */
  uids: boolean;
  /** /proc/PID/status again at each exec, for the effective uid a set-uid program takes. */
  execUids: boolean;
  /** /proc/PID/cgroup: the cgroup path, container id and systemd unit. */
  cgroup: boolean;
  /** /proc/PID/cwd: the working directory, read with the command line at each exec. */
  cwd: boolean;
  /** /proc/PID/loginuid: the audit login uid. */
  loginuid: boolean;
}

/** Everything the configuration decides about the work to do, derived once. */
export interface Plan {
  /** Which kinds of line to write. Thread exits are shown with clone, process exits with exit. */
  show: Readonly<Record<StatKind, boolean>>;
  /** Only exits with a non-zero status or a signal (exitnonzero without exit). */
  failingExitsOnly: boolean;
  /** Keep the process table: every fork, exec and exit is needed. */
  track: boolean;
  /** The event kinds pstat needs from the kernel (What bits). */
  mask: number;
  /** Ask the kernel (6.6+) to drop the rest before it reaches the socket. */
  kernelFilter: boolean;
  /** Read each exec'd command line the moment its event arrives. */
  execReadAhead: boolean;
  reads: ProcReads;
  /** Subscribe to the kernel's per-task accounting records: --summary, or --usage with exit lines to put them on. */
  usage: boolean;
  /** --summary: every process exit of the followed job is needed, whether shown or not. */
  summary: boolean;
}

/**
 * What each consumer of process information needs read from /proc. A filter or column
 * that compares a field nobody reads would silently compare against "unknown": every
 * consumer is listed here, and the plan reads the union.
 */
const NEEDS: { when: (c: Config) => boolean; reads: Partial<ProcReads> }[] = [
  { when: (c) => c.extra, reads: { stat: true, uids: true, execUids: true } }, // UID, EUID, TTY columns
  { when: (c) => c.format === "json", reads: { stat: true, execStat: true } }, // comm, ppid
  { when: (c) => c.name.comm, reads: { execStat: true } }, // -c names by comm
  { when: (c) => c.pgrp !== null, reads: { stat: true } },
  { when: (c) => c.uid !== null, reads: { uids: true, execUids: true } },
  { when: (c) => c.excludeUsers !== null, reads: { uids: true, execUids: true } },
  { when: (c) => c.context.cgroup, reads: { cgroup: true } }, // cgroup, container, unit
  { when: (c) => c.containers !== null || c.cgroup !== null || c.units !== null || c.excludeCgroup !== null, reads: { cgroup: true } },
  { when: (c) => c.context.cwd, reads: { cwd: true } },
  { when: (c) => c.context.login, reads: { loginuid: true } },
  { when: (c) => c.summary, reads: { execStat: true } }, // --summary names programs by comm
];

export function makePlan(c: Config): Plan {
  const selected = [...c.events];
  const show = Object.fromEntries(STAT_KINDS.map((k) => [k, false])) as Record<StatKind, boolean>;
  for (const s of selected) for (const k of SELECTORS[s].shows) show[k] = true;
  const following = c.pids !== null || c.command !== null;
  // Ancestry is read from the table's parent links, and an excluded subtree grows by forks.
  const track = following || c.tree || c.context.ancestry || c.excludePids !== null || selected.some((s) => SELECTORS[s].track);
  let mask = 0;
  for (const s of selected) mask |= SELECTORS[s].kernel;
  if (track) mask |= What.FORK | What.EXEC | What.EXIT;
  // With every exit wanted anyway, the non-zero-only bit would only narrow them.
  if (mask & What.EXIT) mask &= ~What.NONZERO_EXIT;
  mask >>>= 0;
  const reads: ProcReads = { stat: track, execStat: false, uids: false, execUids: false, cgroup: false, cwd: false, loginuid: false };
  for (const n of NEEDS) if (n.when(c)) Object.assign(reads, n.reads);
  return {
    show,
    failingExitsOnly: !show.exit && c.events.has("exitnonzero"),
    track,
    mask,
    kernelFilter: worthFiltering(mask),
    execReadAhead: show.exec || track,
    reads,
    usage: c.summary || (c.usage && (show.exit || show.clone || c.events.has("exitnonzero"))),
    summary: c.summary,
  };
}

/**
 * Whether to ask the kernel to filter. Filtering costs pstat its exact loss count (the
 * kernel's per-CPU sequence then skips filtered events too), so it is worth it only when
 * it keeps out part of the bulk of the traffic, forks, execs and exits; when all three
 * are needed anyway, the rest is too rare to matter.
 */
function worthFiltering(mask: number): boolean {
  const bulk = What.FORK | What.EXEC | What.EXIT;
  return (mask & bulk) >>> 0 !== bulk >>> 0;
}
