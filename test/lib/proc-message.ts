// One builder of proc connector messages for every test that feeds the decoder: laid out
// as the kernel lays them out (shared/proc-connector.md), with every header field settable.

export interface ProcMessageHeader {
  /** proc_event.what */
  what: number;
  /** Bytes of event_data that follow the header (the caller writes them at off + 52). */
  dataLen: number;
  /** Bytes after event_data that a future kernel might add. */
  extra?: number;
  type?: number;
  nlFlags?: number;
  nlSeq?: number;
  nlPid?: number;
  /** cn_msg seq: the per-CPU event counter. */
  seq?: number;
  ack?: number;
  cnFlags?: number;
  cpu?: number;
  ts?: bigint;
}

export const EVENT_DATA = 52;

/** Writes the nlmsghdr, cn_msg and proc_event header at `off`, zeroes the rest; returns the message length (unaligned). */
export function writeProcHeader(view: DataView, off: number, h: ProcMessageHeader): number {
  const cnLen = 16 + h.dataLen + (h.extra ?? 0);
  const len = 36 + cnLen;
  for (let i = 0; i < len; i++) view.setUint8(off + i, 0);
  view.setUint32(off, len, true);
  view.setUint16(off + 4, h.type ?? 3, true); // NLMSG_DONE
  view.setUint16(off + 6, h.nlFlags ?? 0, true);
  view.setUint32(off + 8, h.nlSeq ?? 0, true);
  view.setUint32(off + 12, h.nlPid ?? 0, true);
  view.setUint32(off + 16, 1, true); // CN_IDX_PROC
  view.setUint32(off + 20, 1, true); // CN_VAL_PROC
  view.setUint32(off + 24, h.seq ?? 7, true);
  view.setUint32(off + 28, h.ack ?? 0, true);
  view.setUint16(off + 32, cnLen, true);
  view.setUint16(off + 34, h.cnFlags ?? 0, true);
  view.setUint32(off + 36, h.what >>> 0, true);
  view.setUint32(off + 40, h.cpu ?? 1, true);
  view.setBigUint64(off + 44, h.ts ?? 123456789012345n, true);
  return len;
}

/** A whole message with 32-bit event_data words (and a comm string after them, for COMM). */
export function procMessage(what: number, data: number[], h: Partial<ProcMessageHeader> & { comm?: string } = {}): Uint8Array {
  const dataLen = data.length * 4 + (h.comm !== undefined ? 16 : 0);
  const b = new Uint8Array(36 + 16 + dataLen + (h.extra ?? 0));
  const v = new DataView(b.buffer);
  writeProcHeader(v, 0, { ...h, what, dataLen });
  data.forEach((x, i) => v.setInt32(EVENT_DATA + i * 4, x, true));
  if (h.comm !== undefined) b.set(new TextEncoder().encode(h.comm), EVENT_DATA + data.length * 4);
  return b;
}
