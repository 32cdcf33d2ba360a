import type { TimeFormat } from "./format/time";
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
  pgrp: number | null;
  realtime: boolean;
  rcvbuf: number;
  time: TimeFormat;
}
