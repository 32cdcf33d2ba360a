import { EAGAIN, EINTR, EPIPE, errno, libc, strerror } from "../kernel/libc";
import { RuntimeError } from "../errors";

/** The reader went away (`pstat | head`): end quietly. */
export class OutputClosed extends Error {}

const CAPACITY = 1 << 20;
/** Flush before a string this long could fail to fit (UTF-8 takes up to 3 bytes per UTF-16 unit). */
const HEADROOM = 3;
const POLLOUT = 4;

/**
 * Buffered output to a file descriptor through write(2): lines are encoded straight into
 * one reused buffer and written in large chunks. Handles short writes, EINTR and
 * non-blocking descriptors; a closed pipe raises OutputClosed, any other failure a
 * RuntimeError naming it.
 */
export class Writer {
  private readonly buf = Buffer.allocUnsafe(CAPACITY);
  private len = 0;
  private readonly pollfd = new Int32Array(2);
  /** When the oldest unflushed byte was buffered (performance.now()), or -1. */
  pendingSince = -1;

  constructor(private readonly fd: number) {
    this.pollfd[0] = fd;
    this.pollfd[1] = POLLOUT;
  }

  get buffered(): number {
    return this.len;
  }

  write(s: string): void {
    if (this.len + s.length * HEADROOM > CAPACITY) {
      this.flush();
      if (s.length * HEADROOM > CAPACITY) {
        // Larger than the whole buffer (cannot happen with bounded command lines); write through.
        const b = Buffer.from(s);
        this.writeAll(b, b.length);
        return;
      }
    }
    if (this.len === 0) this.pendingSince = performance.now();
    this.len += this.buf.write(s, this.len);
  }

  flush(): void {
    if (this.len === 0) return;
    const n = this.len;
    this.len = 0;
    this.pendingSince = -1;
    this.writeAll(this.buf, n);
  }

  private writeAll(b: Uint8Array, n: number): void {
    let off = 0;
    while (off < n) {
      const r = Number(libc.write(this.fd, off === 0 ? b : b.subarray(off), n - off));
      if (r >= 0) {
        off += r;
        continue;
      }
      const e = errno();
      if (e === EINTR) continue;
      if (e === EAGAIN) {
        libc.poll(this.pollfd, 1, 1000); // a non-blocking descriptor: wait until it drains
        continue;
      }
      if (e === EPIPE) throw new OutputClosed();
      throw new RuntimeError(`cannot write output: ${strerror(e)}`);
    }
  }
}
