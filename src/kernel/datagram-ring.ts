import { ptr } from "bun:ffi";
import { EAGAIN, EINTR, ENOBUFS, errno, libc } from "./libc";

const MMSGHDR_SIZE = 64; // struct mmsghdr on LP64: msghdr (56) + msg_len + padding
const MSG_DONTWAIT = 0x40;

/**
 * A ring of datagram slots that recvmmsg(2) fills straight from a socket, for the sockets
 * that extend it (the proc connector, taskstats). `head` and `tail` count datagrams
 * received and consumed; datagram number n lies at bytes[offset(n), + length(n)).
 */
export class DatagramRing {
  readonly bytes: Uint8Array;
  private readonly mmsgView: DataView;
  private readonly mmsgAddr: number;
  /** Kept referenced: the kernel reads the slots' addresses from it. */
  private readonly iov: BigUint64Array;
  /** Datagrams received so far. */
  head = 0;
  /** Datagrams consumed so far; head - tail are waiting in the ring. */
  tail = 0;
  /** Times the kernel reported dropped datagrams (ENOBUFS). */
  overflows = 0;
  /** errno of the last receive that failed for another reason than no data, EINTR or ENOBUFS; 0 for none. */
  protected failed = 0;

  constructor(
    protected readonly slots: number,
    private readonly slotSize: number,
  ) {
    this.bytes = new Uint8Array(slots * slotSize);
    const mmsg = new Uint8Array(slots * MMSGHDR_SIZE);
    this.mmsgView = new DataView(mmsg.buffer);
    this.iov = new BigUint64Array(slots * 2);
    const base = BigInt(ptr(this.bytes));
    const iovBase = BigInt(ptr(this.iov));
    for (let i = 0; i < slots; i++) {
      this.iov[i * 2] = base + BigInt(i * slotSize);
      this.iov[i * 2 + 1] = BigInt(slotSize);
      const m = i * MMSGHDR_SIZE;
      // msg_iov at offset 16, msg_iovlen at 24 (msg_name/namelen/control stay zero).
      this.mmsgView.setBigUint64(m + 16, iovBase + BigInt(i * 16), true);
      this.mmsgView.setBigUint64(m + 24, 1n, true);
    }
    this.mmsgAddr = ptr(mmsg);
  }

  /**
   * Moves every datagram already queued in `fd` into free slots, without blocking; returns
   * how many. ENOBUFS (the kernel dropped datagrams; it says so once) counts in
   * `overflows`; another failure ends the batch and is left in `failed`.
   */
  protected pull(fd: number): number {
    let got = 0;
    for (;;) {
      const n = this.pullOnce(fd, MSG_DONTWAIT);
      if (n > 0) {
        got += n;
        if (n < this.contiguousFree(n)) return got;
        continue;
      }
      if (n === 0) return got;
      const e = errno();
      if (e === EINTR) continue;
      if (e === EAGAIN) return got;
      if (e === ENOBUFS) {
        this.overflows++;
        continue;
      }
      this.failed = e;
      return got;
    }
  }

  /** One recvmmsg(2) into the free slots up to the ring's end; the raw result (-1: see errno). */
  protected pullOnce(fd: number, flags: number): number {
    const free = this.slots - (this.head - this.tail);
    if (free === 0) return 0;
    const slot = this.head % this.slots;
    const n = libc.recvmmsg(fd, this.mmsgAddr + slot * MMSGHDR_SIZE, Math.min(free, this.slots - slot), flags, null);
    if (n > 0) this.head += n;
    return n;
  }

  /** How many slots the last pullOnce could fill: fewer received means the socket is empty. */
  private contiguousFree(received: number): number {
    const free = this.slots - (this.head - received - this.tail);
    const slot = (this.head - received) % this.slots;
    return Math.min(free, this.slots - slot);
  }

  /** Where datagram number n starts in `bytes`. */
  offset(n: number): number {
    return (n % this.slots) * this.slotSize;
  }

  /** Byte length of datagram number n (at most a slot: a longer one was cut, see `flags`). */
  length(n: number): number {
    return Math.min(this.mmsgView.getUint32((n % this.slots) * MMSGHDR_SIZE + 56, true), this.slotSize);
  }

  /** msg_flags of datagram number n (MSG_TRUNC when it did not fit its slot). */
  flags(n: number): number {
    return this.mmsgView.getInt32((n % this.slots) * MMSGHDR_SIZE + 48, true);
  }
}
