import { CN_IDX_PROC, CN_VAL_PROC, NLMSG_DONE, NLMSG_HDRLEN, PROC_EVENT_OFFSET, What } from "../kernel/netlink";
import type { AckEvent, CommEvent, CoreEvent, ExecEvent, ExitEvent, ForkEvent, GidEvent, ProcEvent, PtraceEvent, SidEvent, UidEvent } from "./types";

const HEADER = 16; // proc_event: what, cpu, timestamp_ns
const COMM_LEN = 16;

function base<K extends string>(kind: K) {
  return { kind, cpu: 0, seq: 0, ts: 0, pid: 0, tgid: 0 };
}

/**
 * Decodes proc connector datagrams in place. Each kind has one event object that is
 * refilled on every decode, so decoding allocates nothing: an event is valid only until
 * the sink returns. Short, truncated or foreign messages are counted in `malformed` and
 * skipped; nothing here throws on bad input.
 */
export class Decoder {
  malformed = 0;
  private readonly view: DataView;

  private readonly ack: AckEvent = { ...base("ack"), err: 0 };
  private readonly fork: ForkEvent = { ...base("fork" as "fork" | "clone"), parentPid: 0, parentTgid: 0 };
  private readonly exec: ExecEvent = base("exec");
  private readonly uid: UidEvent = { ...base("uid"), ruid: 0, euid: 0 };
  private readonly gid: GidEvent = { ...base("gid"), rgid: 0, egid: 0 };
  private readonly sid: SidEvent = base("sid");
  private readonly ptrace: PtraceEvent = { ...base("ptrace"), tracerPid: 0, tracerTgid: 0 };
  private readonly comm: CommEvent;
  private readonly core: CoreEvent = { ...base("core"), parentPid: 0, parentTgid: 0 };
  private readonly exit: ExitEvent = { ...base("exit"), status: 0, exitSignal: 0, parentPid: 0, parentTgid: 0 };

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.comm = { ...base("comm"), comm: bytes, commStart: 0, commEnd: 0 };
  }

  /** Calls `sink` for every valid event in the datagram at bytes[start, start+len). */
  decodeDatagram(start: number, len: number, sink: (e: ProcEvent) => void): void {
    const v = this.view;
    let off = start;
    const end = Math.min(start + len, this.bytes.byteLength);
    while (off + NLMSG_HDRLEN <= end) {
      const msgLen = v.getUint32(off, true);
      if (msgLen < NLMSG_HDRLEN || off + msgLen > end) {
        this.malformed++;
        return; // the length is garbage, so nothing after it can be trusted
      }
      const type = v.getUint16(off + 4, true);
      if (type === NLMSG_DONE) {
        const e = this.decodeMessage(off, msgLen);
        if (e === null) this.malformed++;
        else sink(e);
      } // NLMSG_NOOP, NLMSG_ERROR and anything else carry no event
      off += (msgLen + 3) & ~3;
    }
    if (off < end && end - off >= 4) this.malformed++;
  }

  /**
   * Calls `onExec` for every exec event in the datagram: a cheap first pass so command
   * lines are read the moment an exec arrives, before anything is formatted. It checks
   * what the full decode checks for an exec, so every exec seen here is decoded later,
   * but fills no event.
   */
  scanExecs(start: number, len: number, onExec: (pid: number, ts: number) => void): void {
    const v = this.view;
    let off = start;
    const end = Math.min(start + len, this.bytes.byteLength);
    while (off + NLMSG_HDRLEN <= end) {
      const msgLen = v.getUint32(off, true);
      if (msgLen < NLMSG_HDRLEN || off + msgLen > end) return;
      const p = off + PROC_EVENT_OFFSET;
      if (
        msgLen >= PROC_EVENT_OFFSET + HEADER + 8 &&
        v.getUint32(p, true) === What.EXEC &&
        v.getUint16(off + 4, true) === NLMSG_DONE &&
        v.getUint32(off + 16, true) === CN_IDX_PROC &&
        v.getUint32(off + 20, true) === CN_VAL_PROC
      ) {
        const cnLen = v.getUint16(off + 32, true);
        const pid = v.getInt32(p + HEADER, true);
        if (cnLen >= HEADER + 8 && PROC_EVENT_OFFSET + cnLen <= msgLen && pid > 0 && v.getInt32(p + HEADER + 4, true) > 0) {
          onExec(pid, v.getUint32(p + 12, true) * 4294967296 + v.getUint32(p + 8, true));
        }
      }
      off += (msgLen + 3) & ~3;
    }
  }

  /** Decodes one NLMSG_DONE message, or null when it is not a well-formed proc event. */
  decodeMessage(off: number, msgLen: number): ProcEvent | null {
    const v = this.view;
    if (msgLen < PROC_EVENT_OFFSET + HEADER) return null;
    if (v.getUint32(off + 16, true) !== CN_IDX_PROC || v.getUint32(off + 20, true) !== CN_VAL_PROC) return null;
    const cnLen = v.getUint16(off + 32, true);
    if (PROC_EVENT_OFFSET + cnLen > msgLen || cnLen < HEADER) return null;
    const p = off + PROC_EVENT_OFFSET;
    const dataLen = cnLen - HEADER;
    const d = p + HEADER;
    const what = v.getUint32(p, true);
    let e: ProcEvent;
    switch (what) {
      case What.NONE: {
        if (dataLen < 4) return null;
        const a = this.ack;
        a.err = v.getUint32(d, true);
        a.pid = a.tgid = 0;
        e = a;
        break;
      }
      case What.FORK: {
        if (dataLen < 16) return null;
        const f = this.fork;
        f.parentPid = v.getInt32(d, true);
        f.parentTgid = v.getInt32(d + 4, true);
        f.pid = v.getInt32(d + 8, true);
        f.tgid = v.getInt32(d + 12, true);
        f.kind = f.pid === f.tgid ? "fork" : "clone";
        e = f;
        break;
      }
      case What.EXEC:
        if (dataLen < 8) return null;
        e = this.ids(this.exec, d);
        break;
      case What.UID: {
        if (dataLen < 16) return null;
        const u = this.ids(this.uid, d);
        u.ruid = v.getUint32(d + 8, true);
        u.euid = v.getUint32(d + 12, true);
        e = u;
        break;
      }
      case What.GID: {
        if (dataLen < 16) return null;
        const g = this.ids(this.gid, d);
        g.rgid = v.getUint32(d + 8, true);
        g.egid = v.getUint32(d + 12, true);
        e = g;
        break;
      }
      case What.SID:
        if (dataLen < 8) return null;
        e = this.ids(this.sid, d);
        break;
      case What.PTRACE: {
        if (dataLen < 16) return null;
        const t = this.ids(this.ptrace, d);
        t.tracerPid = v.getInt32(d + 8, true);
        t.tracerTgid = v.getInt32(d + 12, true);
        e = t;
        break;
      }
      case What.COMM: {
        if (dataLen < 8 + COMM_LEN) return null;
        const c = this.ids(this.comm, d);
        const bytes = this.bytes;
        const s = d + 8;
        let n = 0;
        while (n < COMM_LEN && bytes[s + n] !== 0) n++;
        c.commStart = s;
        c.commEnd = s + n;
        e = c;
        break;
      }
      case What.COREDUMP: {
        if (dataLen < 16) return null;
        const c = this.ids(this.core, d);
        c.parentPid = v.getInt32(d + 8, true);
        c.parentTgid = v.getInt32(d + 12, true);
        e = c;
        break;
      }
      case What.EXIT: {
        if (dataLen < 24) return null;
        const x = this.ids(this.exit, d);
        x.status = v.getUint32(d + 8, true);
        x.exitSignal = v.getInt32(d + 12, true);
        x.parentPid = v.getInt32(d + 16, true);
        x.parentTgid = v.getInt32(d + 20, true);
        e = x;
        break;
      }
      default:
        return null;
    }
    if (e.kind !== "ack" && (e.pid <= 0 || e.tgid <= 0)) return null;
    e.seq = v.getUint32(off + 24, true);
    e.cpu = v.getUint32(p + 4, true);
    // Two 32-bit halves: a double holds nanoseconds since boot exactly for 104 days and to
    // well under a microsecond after that, without allocating a BigInt per event.
    e.ts = v.getUint32(p + 12, true) * 4294967296 + v.getUint32(p + 8, true);
    return e;
  }

  private ids<T extends ProcEvent>(e: T, d: number): T {
    e.pid = this.view.getInt32(d, true);
    e.tgid = this.view.getInt32(d + 4, true);
    return e;
  }
}
