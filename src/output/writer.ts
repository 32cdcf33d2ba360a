import { fstatSync } from "node:fs";
import { RuntimeError } from "../errors";
import { EAGAIN, EINTR, EPIPE, errno, libc, POLLOUT, strerror } from "../kernel/libc";

/** The reader went away (`pstat | head`): end quietly. */
export class OutputClosed extends Error {}

const INITIAL = 1 << 20;
/** A reader that stops reading may make pstat hold this much before it stops taking events. */
const LIMIT = 16 << 20;
/** UTF-8 takes up to 3 bytes per UTF-16 unit. */
const HEADROOM = 3;
const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;

function isPipeOrSocket(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

/** Node's and Bun's undocumented encoders that write at an offset without a view or a result object. */
type FastBuffer = Buffer & {
  utf8Write(s: string, offset: number): number;
  latin1Write(s: string, offset: number): number;
};

const alloc = (n: number) => Buffer.allocUnsafe(n) as FastBuffer;

/**
 * Buffered output to a file descriptor through write(2): lines are encoded straight into
 * one reused buffer and written in large chunks. A flush never waits: when the descriptor
 * cannot take more (a pipe whose reader is slow, EAGAIN) it keeps the rest and says so in
 * `backlogged`, and the monitor decides how to wait, so that signals are still handled.
 * Only a reader that falls 16 MiB behind makes the writer itself wait (see makeRoom).
 * A closed pipe raises OutputClosed, any other failure a RuntimeError naming it.
 */
export class Writer {
  private buf = alloc(INITIAL);
  /** Unwritten bytes are buf[start, end). */
  private start = 0;
  private end = 0;
  private readonly pollfd = new Int32Array(2);
  /** When the oldest unflushed byte was buffered (performance.now()), or -1. */
  pendingSince = -1;
  /** The last flush stopped because the descriptor was full. */
  backlogged = false;

  /**
   * `ownsFd`: nobody else writes to the descriptor, so it may be made non-blocking. A
   * blocking write into a pipe nobody reads would hang pstat beyond the reach of signals
   * (the kernel restarts the write after each handler).
   */
  constructor(
    private readonly fd: number,
    ownsFd: boolean,
  ) {
    this.pollfd[0] = fd;
    this.pollfd[1] = POLLOUT;
    if (ownsFd && isPipeOrSocket(fd)) {
      const flags = libc.fcntl(fd, F_GETFL, 0);
      if (flags >= 0) libc.fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    }
  }

  write(s: string): void {
    this.reserve(s.length * HEADROOM);
    this.end += this.buf.utf8Write(s, this.end);
  }

  /**
   * Makes room for `bytes` more; the appenders below then write without checking, so a
   * formatter reserves a line's worst case once and appends its fields straight into
   * the buffer, with no string per line.
   */
  reserve(bytes: number): void {
    if (this.end + bytes > this.buf.length) this.makeRoom(bytes);
    if (this.end === this.start) this.pendingSince = performance.now();
  }

  /** Text known to be ASCII (labels, digits, fixed words). */
  ascii(s: string): void {
    const n = s.length;
    if (n > 24) {
      this.end += this.buf.latin1Write(s, this.end);
      return;
    }
    // Labels and fixed words are short: a loop costs less than the native encoder's call.
    const b = this.buf;
    const at = this.end;
    for (let i = 0; i < n; i++) b[at + i] = s.charCodeAt(i);
    this.end = at + n;
  }

  /** Any text (names, already escaped): up to 3 bytes per UTF-16 unit. */
  utf8(s: string): void {
    this.end += this.buf.utf8Write(s, this.end);
  }

  spaces(n: number): void {
    if (n <= 0) return;
    // A column's padding is a few bytes: a loop costs less than the native fill's call.
    if (n < 32) {
      const b = this.buf;
      for (let i = this.end, e = this.end + n; i < e; i++) b[i] = 0x20;
    } else this.buf.fill(0x20, this.end, this.end + n);
    this.end += n;
  }

  byte(b: number): void {
    this.buf[this.end++] = b;
  }

  /** The first `n` bytes of `src` (a few: a loop costs less than the native copy's call). */
  bytes(src: Uint8Array, n: number): void {
    const b = this.buf;
    const at = this.end;
    for (let i = 0; i < n; i++) b[at + i] = src[i]!;
    this.end = at + n;
  }

  /** Where the next byte goes; with `copySince`, a way to keep what a field just wrote. */
  get position(): number {
    return this.end;
  }

  /** Copies what was written since `from` (a `position` taken after this line's reserve) into `into`; returns how many bytes. */
  copySince(from: number, into: Uint8Array): number {
    const n = this.end - from;
    for (let i = 0; i < n; i++) into[i] = this.buf[from + i]!;
    return n;
  }

  /** A non-negative integer right-aligned in `width` columns. */
  uint(v: number, width = 0): void {
    if (v > 0x7fffffff) return this.bigUint(v, width);
    // Below 2^31 the digits come from integer arithmetic, which the JIT keeps in registers.
    let digits = 1;
    for (let x = v | 0; x >= 10; x = (x / 10) | 0) digits++;
    if (width > digits) this.spaces(width - digits);
    const b = this.buf;
    const start = this.end;
    let x = v | 0;
    for (let i = start + digits - 1; i >= start; i--) {
      const q = (x / 10) | 0;
      b[i] = 48 + x - q * 10;
      x = q;
    }
    this.end = start + digits;
  }

  private bigUint(v: number, width: number): void {
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    this.spaces(width - digits);
    const b = this.buf;
    let i = this.end + digits - 1;
    for (let x = v; i >= this.end; x = Math.floor(x / 10)) b[i--] = 48 + (x % 10);
    this.end += digits;
  }

  /** The bytes buffered and not yet written. */
  peek(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }

  /** Writes what it can without waiting; true when everything is out. */
  flush(): boolean {
    while (this.start < this.end) {
      const n = this.end - this.start;
      const r = libc.write(this.fd, this.start === 0 ? this.buf : this.buf.subarray(this.start), n);
      if (r >= 0) {
        this.start += r;
        continue;
      }
      const e = errno();
      if (e === EINTR) continue;
      if (e === EAGAIN) {
        this.backlogged = true;
        return false;
      }
      if (e === EPIPE) throw new OutputClosed();
      throw new RuntimeError(`cannot write output: ${strerror(e)}`);
    }
    this.start = this.end = 0;
    this.pendingSince = -1;
    this.backlogged = false;
    return true;
  }

  /** Waits up to `ms` for the descriptor to take more. */
  waitWritable(ms: number): void {
    libc.poll(this.pollfd, 1, ms);
  }

  private makeRoom(need: number): void {
    this.flush();
    this.compact();
    if (this.end + need <= this.buf.length) return;
    // The reader is behind: hold more, up to LIMIT, then wait for it (the socket buffers
    // meanwhile, and what overflows there is counted as lost).
    let size = this.buf.length;
    while (size < this.end + need && size < LIMIT) size *= 2;
    if (size > this.buf.length) {
      const bigger = alloc(size);
      this.buf.copy(bigger, 0, 0, this.end);
      this.buf = bigger;
    }
    while (this.end + need > this.buf.length) {
      this.waitWritable(100);
      this.flush();
      this.compact();
    }
  }

  /** Moves the unwritten bytes to the front of the buffer. */
  private compact(): void {
    if (this.start === 0) return;
    this.buf.copyWithin(0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
  }
}
