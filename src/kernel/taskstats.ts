import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import {
  encodeDeregisterCpus,
  encodeGetFamily,
  encodeRegisterCpus,
  GENL_HDRLEN,
  GENL_ID_CTRL,
  MessageCursor,
  NETLINK_GENERIC,
  parseFamilyId,
  SOCK_RAW,
  TASKSTATS_CMD_NEW,
  TASKSTATS_GENL_NAME,
} from "./genetlink";
import { DatagramRing } from "./datagram-ring";
import { EPERM, EACCES, errno, libc, POLLIN, strerror } from "./libc";
import { AF_NETLINK, encodeSockaddr, NLMSG_ERROR, NLMSG_HDRLEN, SOCK_CLOEXEC, SOL_SOCKET, SO_RCVBUF, SO_RCVBUFFORCE } from "./netlink";

const ENOENT = 2;
const EINVAL = 22;

/** A slot holds one exit message: with a thread group's total it is two taskstats structs (2 x ~450 bytes on 6.18). */
const SLOT_SIZE = 2048;
const SLOTS = 1024;
const _MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;
/** Default receive buffer: an exit record costs ~2.3 KiB of socket memory (skb truesize), so this holds ~14,000. */
const DEFAULT_RCVBUF = 32 << 20;

export interface TaskstatsOptions {
  /** Receive buffer to ask for (SO_RCVBUFFORCE, else SO_RCVBUF capped by net.core.rmem_max). */
  rcvbufBytes?: number;
  /** Datagram slots in the receive ring. */
  slots?: number;
  /** CPU list to register for; default: every online CPU. */
  cpus?: string;
  /** How long to wait for each answer from the kernel while opening. */
  timeoutMs?: number;
  /** The generic netlink family to look up: TASKSTATS, or another name to try the not-found path. */
  family?: string;
}

/** Opening either works or says, in one sentence, why per-process usage is unavailable. */
export type TaskstatsOpen = { ok: true; socket: TaskstatsSocket } | { ok: false; reason: string; errno: number };

/**
 * The taskstats exit-record socket (generic netlink, family TASKSTATS): family lookup,
 * registration for every online CPU, batched non-blocking receive into a ring of datagram
 * slots (as ProcConnector does), deregistration at close. Datagram number n lies at
 * bytes[offset(n), + length(n)); `take` walks the exit messages and consumes them.
 */
export class TaskstatsSocket extends DatagramRing {
  readonly view: DataView;
  private readonly pollfd = new Int32Array(2);
  private readonly cursor = new MessageCursor();
  private fd: number;
  private seq = 0;
  private registered = false;
  /** The TASKSTATS family id the controller gave (it varies between boots and kernels). */
  familyId = -1;
  /** The CPU list registered for. */
  cpus = "";
  /** The receive buffer the kernel granted (getsockopt SO_RCVBUF: twice what was set, for its bookkeeping). */
  rcvbuf = 0;
  /** Datagrams longer than a slot (cut short, so not decoded). */
  truncated = 0;
  /** Messages in the stream that were neither exit records nor acknowledgements. */
  strays = 0;

  private constructor(fd: number, slots: number) {
    super(slots, SLOT_SIZE);
    this.fd = fd;
    this.view = new DataView(this.bytes.buffer);
    this.pollfd[0] = fd;
    this.pollfd[1] = POLLIN;
  }

  /**
   * Opens, resolves the family and registers. Never throws for what the kernel refuses
   * (no privilege, no CONFIG_TASKSTATS, a container's namespaces): that comes back as
   * `{ ok: false, reason }`, so the caller can say once why the figures are missing.
   */
  static open(opts: TaskstatsOptions = {}): TaskstatsOpen {
    const timeoutMs = opts.timeoutMs ?? 1000;
    const fd = libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
    if (fd < 0) {
      const e = errno();
      return fail(e, `cannot open a generic netlink socket: ${strerror(e)}`);
    }
    const ts = new TaskstatsSocket(fd, opts.slots ?? SLOTS);
    const failed = (e: number, reason: string): TaskstatsOpen => {
      ts.closeSocket();
      return fail(e, reason);
    };
    ts.rcvbuf = ts.setReceiveBuffer(opts.rcvbufBytes ?? DEFAULT_RCVBUF);
    const addr = encodeSockaddr(0);
    if (libc.bind(fd, addr, addr.byteLength) < 0) {
      const e = errno();
      return failed(e, `cannot bind a generic netlink socket: ${strerror(e)}`);
    }

    const family = ts.request(encodeGetFamily(opts.family ?? TASKSTATS_GENL_NAME, ++ts.seq), timeoutMs, true);
    if (family.error === ENOENT) return failed(ENOENT, "the kernel has no per-task accounting (built without CONFIG_TASKSTATS)");
    if (family.error !== 0) return failed(family.error, `cannot look up the kernel's taskstats family: ${strerror(family.error)}`);
    if (family.id < 0) return failed(0, "the kernel did not answer the taskstats family lookup");
    ts.familyId = family.id;

    ts.cpus = opts.cpus ?? onlineCpus();
    const reg = ts.request(encodeRegisterCpus(ts.familyId, ts.cpus, ++ts.seq), timeoutMs, false);
    if (reg.error === EPERM || reg.error === EACCES) {
      return failed(reg.error, "the kernel gives per-task accounting (taskstats) only to root or CAP_NET_ADMIN");
    }
    if (reg.error === EINVAL) {
      return failed(EINVAL, `the kernel refused to send taskstats for CPUs ${ts.cpus}: it does so only to the host's user and PID namespaces (a container?)`);
    }
    if (reg.error !== 0) return failed(reg.error, `cannot register for taskstats: ${strerror(reg.error)}`);
    if (!reg.acked) return failed(0, "the kernel did not acknowledge the taskstats registration");
    ts.registered = true;
    return { ok: true, socket: ts };
  }

  /** SO_RCVBUFFORCE (root) lifts net.core.rmem_max; fall back to SO_RCVBUF. Returns what was granted. */
  private setReceiveBuffer(bytes: number): number {
    const v = new Int32Array([bytes]);
    if (libc.setsockopt(this.fd, SOL_SOCKET, SO_RCVBUFFORCE, v, 4) !== 0) libc.setsockopt(this.fd, SOL_SOCKET, SO_RCVBUF, v, 4);
    const len = new Uint32Array([4]);
    v[0] = 0;
    return libc.getsockopt(this.fd, SOL_SOCKET, SO_RCVBUF, v, len) === 0 ? v[0]! : 0;
  }

  /**
   * Sends a request and waits for its answer (matched by sequence number): the family id
   * for a lookup, the acknowledgement's error for the rest. Exit records queued before the
   * answer are dropped (they predate the registration); those after it stay for `take`.
   */
  private request(msg: Uint8Array, timeoutMs: number, wantFamily: boolean): { error: number; id: number; acked: boolean } {
    const answer = { error: 0, id: -1, acked: false };
    if (libc.send(this.fd, msg, msg.byteLength, 0) < 0) {
      answer.error = errno();
      return answer;
    }
    const seq = this.seq;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return answer;
      if (libc.poll(this.pollfd, 1, Math.ceil(left)) <= 0) continue;
      this.receive();
      for (; this.tail < this.head; this.tail++) {
        const m = this.cursor.reset(this.view, this.offset(this.tail), this.offset(this.tail) + this.length(this.tail));
        while (m.next()) {
          if (m.seq !== seq) continue;
          if (m.type === NLMSG_ERROR) {
            answer.error = m.error;
            answer.acked = true;
            return this.answered(answer);
          }
          if (wantFamily && m.type === GENL_ID_CTRL) {
            answer.id = parseFamilyId(this.view, m.offset, m.length);
            return this.answered(answer);
          }
        }
      }
    }
  }

  /** The answer was in the datagram at `tail`: consume it and what came before. */
  private answered<T>(answer: T): T {
    this.tail++;
    return answer;
  }

  /** The socket, for a poll(2) that waits on it among others. */
  get descriptor(): number {
    return this.fd;
  }

  /**
   * Moves every datagram already queued into free ring slots without blocking; returns
   * how many. When the kernel dropped records because the socket's buffer was full (it
   * says so once, with ENOBUFS), `overflows` goes up.
   */
  receive(): number {
    const got = this.pull(this.fd);
    // Anything else (EBADF after close) ends this batch; the caller sees no new records.
    this.failed = 0;
    return got;
  }

  /** Every ring slot holds a datagram not yet taken: the socket may hold more. */
  get full(): boolean {
    return this.head - this.tail >= this.slots;
  }

  /**
   * Calls `visit` for every exit message (TASKSTATS_CMD_NEW, nlmsghdr at `offset`) in the
   * received datagrams, in order, and consumes them; returns how many. `visit` must not
   * keep the view's bytes: the ring reuses them. `max`: datagrams to take at most (the
   * rest stay in the ring).
   */
  take(visit: (view: DataView, offset: number, length: number) => void, max = Infinity): number {
    let count = 0;
    const m = this.cursor;
    const end = Math.min(this.head, this.tail + max);
    while (this.tail < end) {
      // The kernel sends each record alone in its datagram: read its header in place.
      if (this.takeAlone(visit)) {
        count++;
        continue;
      }
      const n = this.tail++;
      if ((this.flags(n) & MSG_TRUNC) !== 0) {
        this.truncated++;
        continue;
      }
      const off = this.offset(n);
      const len = this.length(n);
      m.reset(this.view, off, off + len);
      while (m.next()) {
        if (m.type === this.familyId && m.cmd === TASKSTATS_CMD_NEW) {
          visit(this.view, m.offset, m.length);
          count++;
        } else if (m.type !== NLMSG_ERROR || m.error !== 0) {
          this.strays++;
        }
      }
    }
    return count;
  }

  /**
   * Visits the next datagram if it is one exit message and nothing else (what the kernel
   * sends), and consumes it; returns false, taking nothing, when there is none or it is
   * anything else (then `take` deals with it).
   */
  takeAlone(visit: (view: DataView, offset: number, length: number) => void): boolean {
    const n = this.tail;
    if (n === this.head || (this.flags(n) & MSG_TRUNC) !== 0) return false;
    const off = this.offset(n);
    const len = this.length(n);
    if (!this.isRecordAlone(off, len)) return false;
    this.tail = n + 1;
    visit(this.view, off, len);
    return true;
  }

  /** The datagram at `off` is one exit message and nothing else (what MessageCursor would find first, and only). */
  private isRecordAlone(off: number, len: number): boolean {
    const v = this.view;
    return (
      len >= NLMSG_HDRLEN + GENL_HDRLEN &&
      v.getUint32(off, true) === len &&
      v.getUint16(off + 4, true) === this.familyId &&
      v.getUint8(off + NLMSG_HDRLEN) === TASKSTATS_CMD_NEW
    );
  }

  /** Deregisters (so the kernel stops building records for pstat) and closes. */
  close(): void {
    if (this.fd < 0) return;
    if (this.registered) {
      const msg = encodeDeregisterCpus(this.familyId, this.cpus, ++this.seq);
      libc.send(this.fd, msg, msg.byteLength, 0);
      this.registered = false;
    }
    this.closeSocket();
  }

  private closeSocket(): void {
    if (this.fd < 0) return;
    libc.close(this.fd);
    this.fd = -1;
  }
}

function fail(e: number, reason: string): TaskstatsOpen {
  return { ok: false, reason, errno: e };
}

/** The kernel's list of online CPUs ("0-3,6"); every CPU this process can count when sysfs is hidden. */
export function onlineCpus(): string {
  try {
    const s = readFileSync("/sys/devices/system/cpu/online", "latin1").trim();
    if (/^[0-9][0-9,-]*$/.test(s)) return s;
  } catch {
    // fall through
  }
  return `0-${Math.max(1, availableParallelism()) - 1}`;
}
