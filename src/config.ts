import type { TimeFormat } from "./format/time";
import type { Format } from "./output/formats";
import type { NameMode } from "./proc/table";
import type { Selection } from "./selection";

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
  /** Command mode: the command to start and follow, or null. */
  command: string[] | null;
  /** Command mode: end when the command itself ends, not when its last descendant does. */
  exitWithCommand: boolean;
}
