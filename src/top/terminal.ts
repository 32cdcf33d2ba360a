/**
 * The full-screen terminal for `pstat top`: alternate screen, hidden cursor, raw keys,
 * resize, whole frames written at once, and the terminal given back as it was on every
 * way out (quit, a signal, a crash).
 *
 * A small module of its own rather than a terminal library: top needs a dozen escape
 * sequences, raw mode (built into Bun), the window size and its changes (built in), and
 * display widths (Bun.stringWidth); the libraries that do more (blessed, terminal-kit,
 * ink, OpenTUI) bring hundreds of kilobytes to megabytes of code, or a native library per
 * platform, into a single compiled binary whose size and start-up matter.
 */
import { writeSync } from "node:fs";
import { KeyDecoder, type Key } from "./keys";
import type { Size } from "./render";
import { displayWidth } from "./width";

const CSI = "\x1b[";
const ENTER = `${CSI}?1049h${CSI}?25l${CSI}?7l${CSI}H${CSI}2J`;
/** Synchronised output: terminals that know it show the frame at once; others ignore it. */
const SYNC_BEGIN = `${CSI}?2026h`;
const SYNC_END = `${CSI}?2026l`;
const LEAVE = `${SYNC_END}${CSI}0m${CSI}?7h${CSI}?25h${CSI}?1049l`;
/** How long a lone ESC waits for the rest of a sequence before it counts as the Escape key. */
export const ESC_WAIT_MS = 50;

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 } as const;
type EndSignal = keyof typeof SIGNALS;

export type EndReason = { kind: "signal"; signal: EndSignal; status: number } | { kind: "crash"; error: unknown; status: number };

export interface TerminalHandlers {
  onKey(key: Key): void;
  onResize(size: Size): void;
  /**
   * The program is ending from outside (a signal) or by a crash. The terminal is restored
   * already; the default then prints a line for a crash and exits with `status`.
   */
  onEnd?(reason: EndReason): void;
}

export interface TerminalOptions {
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
  /** Descriptor frames are written to (the output's). */
  fd?: number;
}

/** Writes all of `s` to `fd`, waiting out a full non-blocking descriptor briefly; failures are dropped (the terminal may be gone). */
function writeAll(fd: number, s: string): void {
  const buf = Buffer.from(s, "utf8");
  let off = 0;
  let tries = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN" || ++tries > 2000) return;
      Bun.sleepSync(1);
    }
  }
}

export class Terminal {
  private readonly input: NodeJS.ReadStream;
  private readonly output: NodeJS.WriteStream;
  private readonly fd: number;
  private readonly decoder = new KeyDecoder();
  private escTimer: ReturnType<typeof setTimeout> | null = null;
  private active = false;
  private installed = false;
  private lastFrame: string[] = [];

  private readonly onData = (chunk: Buffer | string) => {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    if (this.escTimer !== null) {
      clearTimeout(this.escTimer);
      this.escTimer = null;
    }
    this.deliver(this.decoder.feed(bytes));
    if (this.decoder.pending()) this.escTimer = setTimeout(() => this.flushKeys(), ESC_WAIT_MS);
  };
  private readonly onResize = () => {
    if (this.active) this.handlers.onResize(this.size());
  };
  private readonly onSignal = (signal: EndSignal) => this.end({ kind: "signal", signal, status: 128 + SIGNALS[signal] });
  private readonly signalHandlers = new Map<EndSignal, () => void>();
  private readonly onCrash = (error: unknown) => this.end({ kind: "crash", error, status: 1 });
  private readonly onExit = () => this.close();

  constructor(
    private readonly handlers: TerminalHandlers,
    opts: TerminalOptions = {},
  ) {
    this.input = opts.input ?? process.stdin;
    this.output = opts.output ?? process.stdout;
    this.fd = opts.fd ?? 1;
  }

  /** Both ends are terminals: the full-screen view can run. */
  static usable(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stdout): boolean {
    return input.isTTY === true && output.isTTY === true && typeof input.setRawMode === "function";
  }

  /** Takes the terminal: alternate screen, no cursor, raw keys; and arranges for it to be given back. */
  open(): void {
    if (this.active) return;
    this.installHandlers();
    this.input.setRawMode(true);
    this.input.on("data", this.onData);
    this.input.resume();
    writeAll(this.fd, ENTER);
    this.active = true;
    this.lastFrame = [];
  }

  /**
   * Part of a key sequence is held: the Escape key is told apart only if the event loop
   * runs again within ESC_WAIT_MS. A caller that sleeps outside the loop caps its sleep so.
   */
  pendingInput(): boolean {
    return this.escTimer !== null;
  }

  size(): Size {
    return { rows: this.output.rows || 24, cols: this.output.columns || 80 };
  }

  /**
   * Writes a whole frame in one write. Each line goes to its row by cursor position and
   * clears only the rest of that row, so nothing is blanked before it is redrawn; lines
   * that did not change since the last frame are not sent again.
   */
  draw(lines: readonly string[]): void {
    if (!this.active) return;
    const { rows, cols } = this.size();
    let frame = SYNC_BEGIN;
    const n = Math.min(lines.length, rows);
    for (let i = 0; i < n; i++) {
      const line = lines[i]!;
      if (this.lastFrame[i] === line) continue;
      frame += `${CSI}${i + 1};1H${line}`;
      if (displayWidth(line) < cols) frame += `${CSI}K`;
    }
    if (n < rows && this.lastFrame.length !== n) frame += `${CSI}${n + 1};1H${CSI}0m${CSI}J`;
    frame += SYNC_END;
    this.lastFrame = lines.slice(0, n);
    writeAll(this.fd, frame);
  }

  /** The next draw rewrites every line (after a resize, Ctrl-L, or anything else that drew on the screen). */
  invalidate(): void {
    if (this.active) writeAll(this.fd, `${CSI}0m${CSI}H${CSI}2J`);
    this.lastFrame = [];
  }

  /** Ctrl-Z: give the terminal back, stop until continued (fg), then take it again. */
  suspend(): void {
    if (!this.active) return;
    this.release();
    // SIGTSTP, not SIGSTOP: where no shell could continue it (an orphaned process group)
    // the kernel discards it, and the view simply comes back.
    process.kill(process.pid, "SIGTSTP");
    // Runs once continued.
    this.input.setRawMode(true);
    this.input.resume();
    writeAll(this.fd, ENTER);
    this.active = true;
    this.lastFrame = [];
    this.handlers.onResize(this.size());
  }

  /** Gives the terminal back as it was. Safe to call more than once, and from any way out. */
  close(): void {
    if (this.escTimer !== null) clearTimeout(this.escTimer);
    this.escTimer = null;
    if (this.active) this.release();
    this.input.off("data", this.onData);
    this.input.pause();
    this.removeHandlers();
  }

  private release(): void {
    this.active = false;
    writeAll(this.fd, LEAVE);
    try {
      this.input.setRawMode(false);
    } catch {
      // The terminal is gone (hang-up): nothing to restore.
    }
  }

  private flushKeys(): void {
    this.escTimer = null;
    this.deliver(this.decoder.flush());
  }

  private deliver(keys: Key[]): void {
    for (const k of keys) {
      if (!this.active) return;
      this.handlers.onKey(k);
    }
  }

  private end(reason: EndReason): void {
    this.close();
    if (this.handlers.onEnd !== undefined) {
      this.handlers.onEnd(reason);
      return;
    }
    if (reason.kind === "crash") {
      const e = reason.error;
      process.stderr.write(`pstat: ${e instanceof Error ? e.message : String(e)}\n`);
    }
    process.exit(reason.status);
  }

  private installHandlers(): void {
    if (this.installed) return;
    this.installed = true;
    this.output.on("resize", this.onResize);
    for (const sig of Object.keys(SIGNALS) as EndSignal[]) {
      const h = () => this.onSignal(sig);
      this.signalHandlers.set(sig, h);
      process.on(sig, h);
    }
    process.on("uncaughtException", this.onCrash);
    process.on("unhandledRejection", this.onCrash);
    process.on("exit", this.onExit);
  }

  private removeHandlers(): void {
    if (!this.installed) return;
    this.installed = false;
    this.output.off("resize", this.onResize);
    for (const [sig, h] of this.signalHandlers) process.off(sig, h);
    this.signalHandlers.clear();
    process.off("uncaughtException", this.onCrash);
    process.off("unhandledRejection", this.onCrash);
    process.off("exit", this.onExit);
  }
}
