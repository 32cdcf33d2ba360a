/**
 * `pstat top -b`: a snapshot per interval as plain text (like `top -b`) or one JSON
 * object per line, for scripts and tests.
 */
import { createColors } from "picocolors";
import type { Grouping, Snapshot, SortColumn, TopModel } from "./model";
import { renderBatchJson, renderBatchText } from "./render";

export interface BatchOptions {
  json: boolean;
  /** Snapshots to print before done (Infinity for no end). */
  count: number;
  grouping: Grouping;
  sort: SortColumn;
  filter: string;
  /** Most rows per snapshot (all when absent). */
  limit?: number;
  color: boolean;
  write(s: string): void;
  /** The wall-clock time of a snapshot, for JSON (ISO 8601), or null. */
  time?(snap: Snapshot): string | null;
}

export class TopBatch {
  private printed = 0;
  private readonly colors: ReturnType<typeof createColors>;

  constructor(
    private readonly model: TopModel,
    private readonly opts: BatchOptions,
  ) {
    this.colors = createColors(opts.color);
  }

  /** Closes the interval at `now` and prints it; true once `count` snapshots are out. */
  tick(now: number): boolean {
    const snap = this.model.tick(now);
    const o = this.opts;
    const view = { grouping: o.grouping, sort: o.sort, filter: o.filter, limit: o.limit };
    o.write(o.json ? renderBatchJson(snap, { ...view, time: o.time?.(snap) ?? null }) : renderBatchText(snap, view, this.colors));
    return ++this.printed >= o.count;
  }
}
