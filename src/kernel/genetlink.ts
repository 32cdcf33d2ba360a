/**
 * Generic netlink wire format (see taskstats.md): nlmsghdr + genlmsghdr + attributes.
 * Pure functions and cursors over byte buffers: nothing here touches a socket.
 */
import { NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN } from "./netlink";

export const SOCK_RAW = 3;
export const NETLINK_GENERIC = 16;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;

export const GENL_HDRLEN = 4;
export const NLA_HDRLEN = 4;
/** Flag bits the kernel may set in an attribute's type (nla_nest_start sets NESTED since 5.2). */
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = 0x3fff;

/** The generic netlink controller: always this id, unlike every other family. */
export const GENL_ID_CTRL = 0x10;
export const CTRL_CMD_NEWFAMILY = 1;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;

export const TASKSTATS_GENL_NAME = "TASKSTATS";
export const TASKSTATS_GENL_VERSION = 1;
export const TASKSTATS_CMD_GET = 1;
export const TASKSTATS_CMD_NEW = 2;

/** Attributes of a TASKSTATS_CMD_NEW message. */
export const TASKSTATS_TYPE_PID = 1;
export const TASKSTATS_TYPE_TGID = 2;
export const TASKSTATS_TYPE_STATS = 3;
export const TASKSTATS_TYPE_AGGR_PID = 4;
export const TASKSTATS_TYPE_AGGR_TGID = 5;
export const TASKSTATS_TYPE_NULL = 6;

/** Attributes of a TASKSTATS_CMD_GET request. */
export const TASKSTATS_CMD_ATTR_PID = 1;
export const TASKSTATS_CMD_ATTR_TGID = 2;
export const TASKSTATS_CMD_ATTR_REGISTER_CPUMASK = 3;
export const TASKSTATS_CMD_ATTR_DEREGISTER_CPUMASK = 4;

/** Rounds up to netlink's 4-byte alignment (NLMSG_ALIGN, NLA_ALIGN). */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

const utf8 = new TextEncoder();

/**
 * Builds one generic netlink message: header, then attributes, nests closed in order.
 * For requests (a few at start and stop), so it may allocate; tests build kernel-style
 * messages with it too.
 */
export class GenlBuilder {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;
  private readonly nests: number[] = [];

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Starts a message: nlmsghdr (length filled in by finish) and genlmsghdr. */
  begin(type: number, flags: number, seq: number, cmd: number, version: number, portid = 0): this {
    this.len = 0;
    this.nests.length = 0;
    this.reserve(NLMSG_HDRLEN + GENL_HDRLEN);
    this.view.setUint16(4, type, true);
    this.view.setUint16(6, flags, true);
    this.view.setUint32(8, seq >>> 0, true);
    this.view.setUint32(12, portid >>> 0, true);
    this.view.setUint8(16, cmd);
    this.view.setUint8(17, version);
    this.view.setUint16(18, 0, true);
    this.len = NLMSG_HDRLEN + GENL_HDRLEN;
    return this;
  }

  u16(type: number, value: number): this {
    const at = this.attrAt(type, 2);
    this.view.setUint16(at, value, true);
    return this;
  }

  u32(type: number, value: number): this {
    const at = this.attrAt(type, 4);
    this.view.setUint32(at, value >>> 0, true);
    return this;
  }

  /** A NUL-terminated string attribute (NLA_STRING / NLA_NUL_STRING). */
  string(type: number, value: string): this {
    const bytes = utf8.encode(value);
    const at = this.attrAt(type, bytes.length + 1);
    this.buf.set(bytes, at);
    this.buf[at + bytes.length] = 0;
    return this;
  }

  bytes(type: number, value: Uint8Array): this {
    const at = this.attrAt(type, value.length);
    this.buf.set(value, at);
    return this;
  }

  /** Opens a nested attribute; `flags` may add NLA_F_NESTED as newer kernels do. */
  nest(type: number, flags = 0): this {
    this.reserve(NLA_HDRLEN);
    this.view.setUint16(this.len + 2, (type | flags) & 0xffff, true);
    this.nests.push(this.len);
    this.len += NLA_HDRLEN;
    return this;
  }

  endNest(): this {
    const start = this.nests.pop();
    if (start === undefined) throw new Error("endNest without nest");
    this.view.setUint16(start, this.len - start, true);
    return this;
  }

  /** The finished message (a copy: the builder can be reused at once). */
  finish(): Uint8Array {
    if (this.nests.length !== 0) throw new Error("unclosed nested attribute");
    this.view.setUint32(0, this.len, true);
    return this.buf.slice(0, this.len);
  }

  /** Writes an attribute header, zero-fills the padded value; returns where the value goes. */
  private attrAt(type: number, valueLen: number): number {
    const total = align4(NLA_HDRLEN + valueLen);
    this.reserve(total);
    this.buf.fill(0, this.len, this.len + total);
    this.view.setUint16(this.len, NLA_HDRLEN + valueLen, true);
    this.view.setUint16(this.len + 2, type, true);
    const at = this.len + NLA_HDRLEN;
    this.len += total;
    return at;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}

/** CTRL_CMD_GETFAMILY: asks the controller for a family's id by name. */
export function encodeGetFamily(name: string, seq: number): Uint8Array {
  return new GenlBuilder(64).begin(GENL_ID_CTRL, NLM_F_REQUEST, seq, CTRL_CMD_GETFAMILY, 1).string(CTRL_ATTR_FAMILY_NAME, name).finish();
}

/** TASKSTATS_CMD_GET with REGISTER_CPUMASK (attribute 3): exit records for these CPUs, e.g. "0-3". */
export function encodeRegisterCpus(familyId: number, cpulist: string, seq: number): Uint8Array {
  return cpumaskRequest(familyId, TASKSTATS_CMD_ATTR_REGISTER_CPUMASK, cpulist, seq);
}

/** TASKSTATS_CMD_GET with DEREGISTER_CPUMASK (attribute 4): stop them. */
export function encodeDeregisterCpus(familyId: number, cpulist: string, seq: number): Uint8Array {
  return cpumaskRequest(familyId, TASKSTATS_CMD_ATTR_DEREGISTER_CPUMASK, cpulist, seq);
}

function cpumaskRequest(familyId: number, attr: number, cpulist: string, seq: number): Uint8Array {
  // NLM_F_ACK: the kernel answers NLMSG_ERROR with 0 or the reason (EPERM without CAP_NET_ADMIN).
  return new GenlBuilder(64)
    .begin(familyId, NLM_F_REQUEST | NLM_F_ACK, seq, TASKSTATS_CMD_GET, TASKSTATS_GENL_VERSION)
    .string(attr, cpulist)
    .finish();
}

/**
 * Walks the netlink messages of one received datagram, which may hold several. Reused:
 * `reset` then `while (m.next())`. Stops at the first header that does not fit, and says
 * so in `malformed`.
 */
export class MessageCursor {
  private view: DataView = new DataView(new ArrayBuffer(0));
  private at = 0;
  private end = 0;
  /** Where the current message starts (its nlmsghdr) and how long it is. */
  offset = 0;
  length = 0;
  type = 0;
  flags = 0;
  seq = 0;
  portid = 0;
  /** NLMSG_ERROR: the errno it carries, positive (0: an acknowledgement); otherwise 0. */
  error = 0;
  /** A header was cut short or claimed more bytes than there are. */
  malformed = false;

  reset(view: DataView, start: number, end: number): this {
    this.view = view;
    this.at = start;
    this.end = Math.min(end, view.byteLength);
    this.malformed = false;
    return this;
  }

  next(): boolean {
    const v = this.view;
    const left = this.end - this.at;
    if (left < NLMSG_HDRLEN) {
      if (left > 0) this.malformed = true;
      return false;
    }
    const len = v.getUint32(this.at, true);
    if (len < NLMSG_HDRLEN || len > left) {
      this.malformed = true;
      return false;
    }
    this.offset = this.at;
    this.length = len;
    this.type = v.getUint16(this.at + 4, true);
    this.flags = v.getUint16(this.at + 6, true);
    this.seq = v.getUint32(this.at + 8, true);
    this.portid = v.getUint32(this.at + 12, true);
    this.error = 0;
    if (this.type === NLMSG_ERROR) {
      if (len < NLMSG_HDRLEN + 4) {
        this.malformed = true;
        return false;
      }
      this.error = -v.getInt32(this.at + NLMSG_HDRLEN, true) | 0; // | 0: an ack is 0, not -0
    }
    this.at += align4(len);
    return true;
  }

  /** NLMSG_DONE ends a multi-part answer. */
  get done(): boolean {
    return this.type === NLMSG_DONE;
  }

  /** The generic netlink command of the current message (the byte after nlmsghdr). */
  get cmd(): number {
    return this.length >= NLMSG_HDRLEN + GENL_HDRLEN ? this.view.getUint8(this.offset + NLMSG_HDRLEN) : -1;
  }

  /** Where the current message's attributes start (after nlmsghdr and genlmsghdr). */
  get attrsStart(): number {
    return this.offset + NLMSG_HDRLEN + GENL_HDRLEN;
  }
}

/**
 * Walks the attributes in [start, end): a message's, or a nested attribute's value.
 * `type` has the NESTED and NET_BYTEORDER flags taken off (in `nested`).
 */
export class AttrCursor {
  private view: DataView = new DataView(new ArrayBuffer(0));
  private at = 0;
  private end = 0;
  type = 0;
  nested = false;
  /** Where the current attribute's value starts, and its length without padding. */
  offset = 0;
  length = 0;
  malformed = false;

  reset(view: DataView, start: number, end: number): this {
    this.view = view;
    this.at = start;
    this.end = Math.min(end, view.byteLength);
    this.malformed = false;
    return this;
  }

  next(): boolean {
    const left = this.end - this.at;
    if (left < NLA_HDRLEN) {
      if (left > 0) this.malformed = true;
      return false;
    }
    const len = this.view.getUint16(this.at, true);
    if (len < NLA_HDRLEN || len > left) {
      this.malformed = true;
      return false;
    }
    const raw = this.view.getUint16(this.at + 2, true);
    this.type = raw & NLA_TYPE_MASK;
    this.nested = (raw & NLA_F_NESTED) !== 0;
    this.offset = this.at + NLA_HDRLEN;
    this.length = len - NLA_HDRLEN;
    this.at += align4(len);
    return true;
  }
}

/**
 * The family id in a controller answer (CTRL_CMD_NEWFAMILY) whose nlmsghdr starts at
 * `offset`; -1 when the message is not one or carries no id.
 */
export function parseFamilyId(view: DataView, offset: number, length: number): number {
  const m = new MessageCursor().reset(view, offset, offset + length);
  if (!m.next() || m.type !== GENL_ID_CTRL || m.cmd !== CTRL_CMD_NEWFAMILY) return -1;
  const a = new AttrCursor().reset(view, m.attrsStart, m.offset + m.length);
  while (a.next()) if (a.type === CTRL_ATTR_FAMILY_ID && a.length >= 2) return view.getUint16(a.offset, true);
  return -1;
}
