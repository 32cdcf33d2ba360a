import type { TimeFormat } from "./format/time";
import type { Format } from "./output/formats";
import type { NameMode } from "./proc/table";
import type { Selection } from "./selection";

/** Which context to show for each process (--context, --show-*). */
export interface ContextFields {
  /** The cgroup path, with the container id and systemd unit read from it. */
  cgroup: boolean;
  /** The chain of parents, from the process table. */
  ancestry: boolean;
  /** The working directory at the process's exec. */
  cwd: boolean;
  /** The audit login uid and its user name. */
  login: boolean;
}

/** Everything the command line decided, validated. */
export interface Config {
  events: Selection;
  /** 0: run until interrupted. */
  durationMs: number;
  name: NameMode;
  statistics: boolean;
  quiet: boolean;
  glyphs: boolean;
  extra: boolean;
  lineBuffered: boolean;
  realtime: boolean;
  rcvbuf: number;
  time: TimeFormat;
  format: Format;
  tree: boolean;
  /** -o FILE, or null for standard output. */
  output: string | null;
  /** Process filters. */
  pgrp: number | null;
  uid: number | null;
  comm: RegExp | null;
  pids: number[] | null;
  /** Context filters: container id prefixes, a cgroup glob, unit names (null: not given). */
  containers: string[] | null;
  cgroup: RegExp | null;
  units: string[] | null;
  /** Exclusions. */
  excludeComm: RegExp | null;
  excludePids: number[] | null;
  excludeUsers: number[] | null;
  excludeCgroup: RegExp | null;
  context: ContextFields;
  /** Command mode: the command to start and follow, or null. */
  command: string[] | null;
  /** Command mode: end when the command itself ends, not when its last descendant does. */
  exitWithCommand: boolean;
  /** --usage: each exit's CPU, memory and I/O from the kernel's task accounting. */
  usage: boolean;
  /** --summary: what the followed job cost, as one table at its end. */
  summary: boolean;
}
