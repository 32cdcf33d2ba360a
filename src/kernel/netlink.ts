/**
 * Wire constants and message encoding for the proc connector (see proc-connector.md).
 * Pure functions over byte buffers: nothing here touches a socket.
 */
export const AF_NETLINK = 16;
export const SOCK_DGRAM = 2;
export const SOCK_CLOEXEC = 0o2000000;
export const NETLINK_CONNECTOR = 11;
export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
export const SO_RCVBUFFORCE = 33;

export const CN_IDX_PROC = 1;
export const CN_VAL_PROC = 1;

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

export const NLMSG_HDRLEN = 16;
export const CN_MSG_LEN = 20;
/** Offset of proc_event inside a netlink message: nlmsghdr + cn_msg. */
export const PROC_EVENT_OFFSET = NLMSG_HDRLEN + CN_MSG_LEN;

export const PROC_CN_MCAST_LISTEN = 1;
export const PROC_CN_MCAST_IGNORE = 2;

/** proc_event.what values, which double as the kernel's event-filter mask bits. */
export const What = {
  NONE: 0x0,
  FORK: 0x1,
  EXEC: 0x2,
  UID: 0x4,
  GID: 0x40,
  SID: 0x80,
  PTRACE: 0x100,
  COMM: 0x200,
  NONZERO_EXIT: 0x20000000,
  COREDUMP: 0x40000000,
  EXIT: 0x80000000,
} as const;

/** The 12-byte sockaddr_nl that joins the proc connector's multicast group. */
export function encodeSockaddr(groups: number): Uint8Array {
  const buf = new Uint8Array(12);
  const v = new DataView(buf.buffer);
  v.setUint16(0, AF_NETLINK, true);
  v.setUint32(4, 0, true); // nl_pid 0: the kernel assigns our port id
  v.setUint32(8, groups, true);
  return buf;
}

/**
 * A LISTEN or IGNORE request. With `mask` the 8-byte proc_input form is used, which
 * kernels 6.6+ apply as a per-socket event filter; older kernels ignore it.
 */
export function encodeMcastRequest(op: number, seq: number, mask?: number, ack = 0): Uint8Array {
  const payload = mask === undefined ? 4 : 8;
  const len = NLMSG_HDRLEN + CN_MSG_LEN + payload;
  const buf = new Uint8Array(len);
  const v = new DataView(buf.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, NLMSG_DONE, true);
  v.setUint16(6, 0, true);
  v.setUint32(8, seq, true);
  v.setUint32(12, 0, true);
  v.setUint32(16, CN_IDX_PROC, true);
  v.setUint32(20, CN_VAL_PROC, true);
  v.setUint32(24, seq, true);
  v.setUint32(28, ack >>> 0, true);
  v.setUint16(32, payload, true);
  v.setUint16(34, 0, true);
  v.setUint32(36, op, true);
  if (mask !== undefined) v.setUint32(40, mask >>> 0, true);
  return buf;
}
