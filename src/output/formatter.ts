import type { Clock } from "../clock";
import type { ContextFields } from "../config";
import type { TimeFormat } from "../format/time";
import type { Report } from "../report";
import type { Summary } from "../usage/summary";
import type { Statistics } from "./statistics";
import type { Writer } from "./writer";

/** What a formatter may use: the configuration's say on layout, and the clock for times. */
export interface FormatContext {
  clock: Clock;
  time: TimeFormat;
  pidWidth: number;
  glyphs: boolean;
  extra: boolean;
  color: boolean;
  tree: boolean;
  /** Which context to show (the report's process's `ctx`, and `ancestors`). */
  context: ContextFields;
  /** --usage: exit lines carry what the process cost (absent: off). */
  usage?: boolean;
}

/**
 * One output format. Formatters append straight into the writer's buffer; they keep no
 * report (the tracker reuses it) and never write to the descriptor themselves.
 */
export interface Formatter {
  /** The heading, written at start and again every screenful on a terminal; "" for none. */
  heading(): string;
  /** One event, or a `lost` report. */
  event(r: Report, w: Writer): void;
  /** Screen lines one report takes, for paging. */
  lines(r: Report): number;
  /** The end-of-run statistics; `afterEvents` when event lines came before them. */
  statistics(s: Statistics, ts: number, w: Writer, afterEvents: boolean): void;
  /** --summary: the job's table at its end; `wall` in seconds. */
  summary(s: Summary, wall: number, ts: number, w: Writer, afterOutput: boolean): void;
}
