import { release } from "node:os";
import { RuntimeError } from "../errors";
import { DatagramRing } from "./datagram-ring";
import { EACCES, EAGAIN, EINTR, ENOBUFS, EPERM, errno, libc, POLLIN, strerror } from "./libc";
import {
  AF_NETLINK,
  CN_IDX_PROC,
  encodeMcastRequest,
  encodeSockaddr,
  NETLINK_CONNECTOR,
  PROC_CN_MCAST_IGNORE,
  PROC_CN_MCAST_LISTEN,
  PROC_EVENT_OFFSET,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOL_SOCKET,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  What,
} from "./netlink";

/** Slots in the main receive ring: enough to take a whole burst without going back to the kernel. */
const SLOTS = 4096;
/** One proc event is 76 bytes; a slot holds three in case a kernel packs them together. */
const SLOT_SIZE = 256;
const MSG_WAITFORONE = 0x10000;
const SO_RCVTIMEO = 20;
/** Resend an unanswered subscription this often. */
const RESEND_MS = 250;

/**
 * What a subscription came to: events flow, or the reason they do not. "silent" means no
 * acknowledgement came at all (the kernel ignores subscribers outside its initial
 * namespaces), which the caller has to diagnose.
 */
export type Subscription = { ok: true } | { ok: false; reason: string };

/** The proc connector socket: subscription and batched, non-blocking receive into a ring
 * of datagram slots. `head` and `tail` count datagrams received and consumed; datagram
 * number n lies at bytes[offset(n), + length(n)). Receiving can run ahead of decoding,
 * so short-lived processes are looked up while they still exist.
 */
export class ProcConnector extends DatagramRing {
  private readonly pollfd = new Int32Array(2);
  private seq = 0;
  /** LISTEN requests sent (and to be undone at close). */
  private listens = 0;
  private fd: number;
  /** The receive buffer the kernel granted, in bytes as asked (it reports twice that for its bookkeeping). */
  grantedRcvbuf = 0;

  private constructor(fd: number, slots: number) {
    super(slots, SLOT_SIZE);
    this.fd = fd;
    this.pollfd[0] = fd;
    this.pollfd[1] = POLLIN;
  }

  /** Opens and binds the socket to the proc connector's multicast group. */
  static open(rcvbufBytes: number, slots = SLOTS): ProcConnector {
    const fd = libc.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (fd < 0) throw new RuntimeError(`cannot open a netlink connector socket: ${strerror(errno())}`);
    const conn = new ProcConnector(fd, slots);
    conn.setReceiveBuffer(rcvbufBytes);
    const addr = encodeSockaddr(CN_IDX_PROC);
    if (libc.bind(fd, addr, addr.byteLength) < 0) {
      const e = errno();
      libc.close(fd);
      throw new RuntimeError(refusal(e) ?? `cannot bind to the process events connector: ${strerror(e)}`);
    }
    return conn;
  }

  /**
   * SO_RCVBUFFORCE (root) lifts net.core.rmem_max; without it SO_RCVBUF is capped there.
   * What was granted is read back: the kernel doubles the value for its own bookkeeping.
   */
  private setReceiveBuffer(bytes: number): void {
    const v = new Int32Array([bytes]);
    if (libc.setsockopt(this.fd, SOL_SOCKET, SO_RCVBUFFORCE, v, 4) !== 0) libc.setsockopt(this.fd, SOL_SOCKET, SO_RCVBUF, v, 4);
    const got = new Int32Array(2);
    got[1] = 4;
    this.grantedRcvbuf = libc.getsockopt(this.fd, SOL_SOCKET, SO_RCVBUF, got, got.subarray(1)) === 0 ? Math.floor(got[0]! / 2) : bytes;
  }

  private send(msg: Uint8Array): number {
    const r = libc.send(this.fd, msg, msg.byteLength, 0);
    return r < 0 ? errno() : 0;
  }

  /**
   * Subscribes and waits for the kernel's acknowledgement. The kernel sends every
   * acknowledgement to every subscriber, so only one that echoes this request's random
   * cookie counts: another pstat starting at the same moment must not vouch for this one.
   * Events that arrive before the ack are dropped: they predate pstat's start.
   */
  listen(timeoutMs: number): Subscription {
    const seq = ++this.seq;
    const cookie = (Math.random() * 0xffffffff) >>> 0;
    const request = encodeMcastRequest(PROC_CN_MCAST_LISTEN, seq, undefined, cookie);
    const deadline = performance.now() + timeoutMs;
    const view = new DataView(this.bytes.buffer);
    let overflows = -1;
    let sentAt = 0;
    for (;;) {
      // Send again when the buffer overflowed (the ack may have been dropped) or after a
      // quiet while; listens is how many LISTENs an old kernel has counted.
      const now = performance.now();
      if (this.overflows !== overflows || now - sentAt > RESEND_MS) {
        const err = this.send(request);
        if (err !== 0) return { ok: false, reason: refusal(err) ?? `cannot subscribe to process events: ${strerror(err)}` };
        this.listens++;
        overflows = this.overflows;
        sentAt = now;
      }
      const left = deadline - performance.now();
      if (left <= 0) return { ok: false, reason: "silent" };
      if (!this.wait(Math.ceil(Math.min(left, RESEND_MS)))) continue;
      try {
        this.receive();
      } catch (e) {
        return { ok: false, reason: (e as Error).message };
      }
      for (; this.tail < this.head; this.tail++) {
        const off = this.offset(this.tail);
        if (this.length(this.tail) < PROC_EVENT_OFFSET + 20) continue;
        if (view.getUint32(off + PROC_EVENT_OFFSET, true) !== What.NONE) continue;
        // The kernel answers with ack = our ack + 1 (its seq field is the event counter).
        if (view.getUint32(off + 28, true) !== (cookie + 1) >>> 0) continue;
        this.tail = this.head; // everything before the ack predates the subscription
        const err = view.getUint32(off + PROC_EVENT_OFFSET + 16, true);
        if (err === 0) return { ok: true };
        return { ok: false, reason: refusal(err) ?? `the kernel refused the subscription: ${strerror(err)}` };
      }
    }
  }

  /**
   * Asks a 6.6+ kernel to drop events outside `mask` before they reach the socket.
   * The kernel filters the acknowledgement too, so there is no answer to wait for;
   * older kernels ignore the request and pstat's own filter does the work.
   */
  setKernelFilter(mask: number): void {
    this.seq++;
    this.send(encodeMcastRequest(PROC_CN_MCAST_LISTEN, this.seq, mask));
  }

  /** Waits until a datagram is ready or `timeoutMs` passes; true when one is ready. */
  wait(timeoutMs: number): boolean {
    const r = libc.poll(this.pollfd, 1, timeoutMs);
    return r > 0;
  }

  /** The socket, for a poll(2) that waits on it among others (see Sleeper). */
  get descriptor(): number {
    return this.fd;
  }

  /**
   * Moves every datagram already queued in the socket into free ring slots, without
   * blocking; returns how many. When the kernel had to drop events because the socket's
   * buffer was full (it says so once, with ENOBUFS), `overflows` goes up.
   */
  receive(): number {
    const got = this.pull(this.fd);
    if (this.failed !== 0) {
      const e = this.failed;
      this.failed = 0;
      throw new RuntimeError(`receiving process events failed: ${strerror(e)}`);
    }
    return got;
  }

  /**
   * Blocks until at least one datagram arrives (then takes what else is queued) or
   * `timeoutMs` passes; returns how many were taken. One syscall per wakeup where
   * poll + receive would take two; signals still cut it short (a socket with a receive
   * timeout is never restarted after a signal handler).
   */
  receiveWaiting(timeoutMs: number): number {
    // Whole milliseconds, so a loop that waits out a deadline sets the timeout once or twice, not per call.
    const us = Math.max(1, Math.ceil(timeoutMs)) * 1000;
    if (us !== this.timeoutUs) {
      this.timeval[0] = BigInt(Math.floor(us / 1e6));
      this.timeval[1] = BigInt(us % 1e6);
      libc.setsockopt(this.fd, SOL_SOCKET, SO_RCVTIMEO, this.timeval, 16);
      this.timeoutUs = us;
    }
    const n = this.pullOnce(this.fd, MSG_WAITFORONE);
    if (n >= 0) return n;
    if (n < 0) {
      const e = errno();
      if (e === ENOBUFS) this.overflows++;
      // A timeout (EAGAIN) or a signal (EINTR) is a wait that ended; anything else fails as receive() does.
      else if (e !== EAGAIN && e !== EINTR) throw new RuntimeError(`receiving process events failed: ${strerror(e)}`);
    }
    return 0;
  }
  private readonly timeval = new BigInt64Array(2);
  private timeoutUs = 0;

  /**
   * Drops the subscription, so the kernel stops building events when no one listens, and
   * closes. Kernels before 6.6 count every LISTEN, so each gets its IGNORE (newer kernels
   * treat repeats as one).
   */
  close(): void {
    if (this.fd < 0) return;
    for (; this.listens > 0; this.listens--) {
      this.seq++;
      this.send(encodeMcastRequest(PROC_CN_MCAST_IGNORE, this.seq));
    }
    libc.close(this.fd);
    this.fd = -1;
  }
}

/** Whether this kernel applies the 8-byte filtered subscription (Linux 6.6 and later). */
export function kernelFilters(): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release());
  return m !== null && (Number(m[1]) > 6 || (Number(m[1]) === 6 && Number(m[2]) >= 6));
}

/** Kernels before 6.6 let only CAP_NET_ADMIN subscribe, and say so with EPERM (at bind or in the ack). */
function refusal(err: number): string | null {
  return err === EPERM || err === EACCES ? "this kernel lets only root (CAP_NET_ADMIN) receive process events (Linux 6.6 and later let every user)" : null;
}
