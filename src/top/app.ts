/**
 * `pstat top` on a terminal: the model's snapshots drawn at each tick, keys applied to the
 * view. The caller owns the clock and the events: it feeds the model, and calls `tick`
 * when an interval ends (from its own loop or a timer), so the app adds no timer of its own.
 */
import { createColors } from "picocolors";
import type { Key } from "./keys";
import type { Snapshot, TopModel } from "./model";
import { initialState, renderScreen, visibleRows, type ViewState } from "./render";
import { applyKey } from "./state";
import { ESC_WAIT_MS, Terminal, type EndReason, type TerminalOptions } from "./terminal";

export interface TopAppOptions {
  model: TopModel;
  color: boolean;
  terminal?: TerminalOptions;
  /** A signal or crash ends the view (the terminal is restored already); by default the process exits. */
  onEnd?(reason: EndReason): void;
}

/** Lines above and below the rows: totals, mode, headings; status. */
const CHROME_ROWS = 4;

export class TopApp {
  private readonly model: TopModel;
  private readonly colors: ReturnType<typeof createColors>;
  private readonly terminal: Terminal;
  private state: ViewState = initialState();
  private shown: Snapshot | null = null;
  private resolveDone!: (status: number) => void;
  /** Resolves with the exit status when the user quits (q, Ctrl-C). */
  readonly done: Promise<number>;
  private finished = false;

  constructor(opts: TopAppOptions) {
    this.model = opts.model;
    this.colors = createColors(opts.color);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.terminal = new Terminal(
      {
        onKey: (k) => this.key(k),
        onResize: () => {
          this.terminal.invalidate();
          this.redraw();
        },
        onEnd: opts.onEnd,
      },
      opts.terminal,
    );
  }

  start(): void {
    this.terminal.open();
    this.redraw();
  }

  /** The interval ends at `now`: take the model's snapshot, and show it unless paused. */
  tick(now: number): Snapshot {
    const snap = this.model.tick(now);
    if (!this.state.paused || this.shown === null) {
      this.shown = snap;
      if (this.state.detail !== null)
        this.state = { ...this.state, detail: { ...this.state.detail, recent: this.model.recent(this.state.detail.grouping, this.state.detail.key) } };
      this.redraw();
    }
    return snap;
  }

  /**
   * How long the caller may sleep outside the event loop before it visits it again: short
   * while a lone ESC waits to be told from the start of an arrow key; otherwise no limit.
   */
  maxSleepMs(): number {
    return this.terminal.pendingInput() ? ESC_WAIT_MS : Infinity;
  }

  /** Gives the terminal back (also done on every way out on its own). */
  stop(): void {
    this.terminal.close();
    this.finish(0);
  }

  get view(): Readonly<ViewState> {
    return this.state;
  }

  private finish(status: number): void {
    if (this.finished) return;
    this.finished = true;
    this.resolveDone(status);
  }

  private redraw(): void {
    if (this.finished) return;
    this.terminal.draw(renderScreen(this.shown, this.terminal.size(), this.state, this.colors));
  }

  private key(k: Key): void {
    const snap = this.shown;
    const rows = snap === null ? [] : visibleRows(snap, this.state);
    const step = applyKey(this.state, k, {
      rowCount: rows.length,
      pageRows: Math.max(this.terminal.size().rows - CHROME_ROWS, 1),
      groupings: snap?.groupings ?? [],
      usageAvailable: snap?.usageAvailable ?? false,
    });
    this.state = step.state;
    switch (step.action) {
      case "quit":
        this.terminal.close();
        this.finish(0);
        return;
      case "suspend":
        this.terminal.suspend();
        return;
      case "redraw":
        this.terminal.invalidate();
        break;
      case "open-detail": {
        const row = rows[Math.min(this.state.selected, rows.length - 1)];
        if (row !== undefined)
          this.state = { ...this.state, detail: { grouping: this.state.grouping, key: row.key, recent: this.model.recent(this.state.grouping, row.key) } };
        break;
      }
    }
    this.redraw();
  }
}
