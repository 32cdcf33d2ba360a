import { describe, expect, test } from "bun:test";
import {
  align4,
  AttrCursor,
  CTRL_ATTR_FAMILY_ID,
  CTRL_ATTR_FAMILY_NAME,
  CTRL_CMD_NEWFAMILY,
  encodeDeregisterCpus,
  encodeGetFamily,
  encodeRegisterCpus,
  GENL_ID_CTRL,
  GenlBuilder,
  MessageCursor,
  NLA_F_NESTED,
  parseFamilyId,
} from "../../src/kernel/genetlink";
import { NLMSG_DONE, NLMSG_ERROR } from "../../src/kernel/netlink";

function le16(n: number): number[] {
  return [n & 0xff, n >> 8];
}
function le32(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
}
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** Concatenates messages as the kernel packs them in one datagram: each padded to 4 bytes. */
function datagram(...msgs: Uint8Array[]): DataView {
  const total = msgs.reduce((n, m) => n + align4(m.length), 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const m of msgs) {
    out.set(m, at);
    at += align4(m.length);
  }
  return new DataView(out.buffer);
}

/** An NLMSG_ERROR answering `seq`: error is the negative errno (0 for an ack). */
function errorMessage(seq: number, error: number): Uint8Array {
  const b = new Uint8Array(36);
  const v = new DataView(b.buffer);
  v.setUint32(0, 36, true);
  v.setUint16(4, NLMSG_ERROR, true);
  v.setUint32(8, seq, true);
  v.setInt32(16, error, true);
  return b;
}

function doneMessage(seq: number): Uint8Array {
  const b = new Uint8Array(20);
  const v = new DataView(b.buffer);
  v.setUint32(0, 20, true);
  v.setUint16(4, NLMSG_DONE, true);
  v.setUint32(8, seq, true);
  return b;
}

describe("requests", () => {
  test("CTRL_CMD_GETFAMILY for TASKSTATS, byte for byte", () => {
    const msg = encodeGetFamily("TASKSTATS", 7);
    expect([...msg]).toEqual([
      ...le32(36),
      ...le16(0x10),
      ...le16(1),
      ...le32(7),
      ...le32(0), // nlmsghdr: len, GENL_ID_CTRL, NLM_F_REQUEST, seq, port
      3,
      1,
      0,
      0, // genlmsghdr: CTRL_CMD_GETFAMILY, version 1
      ...le16(14),
      ...le16(2),
      ...ascii("TASKSTATS"),
      0,
      0,
      0, // CTRL_ATTR_FAMILY_NAME "TASKSTATS\0", padded to 4
    ]);
  });

  test("register uses attribute 3, deregister attribute 4, both ask for an ack", () => {
    const reg = encodeRegisterCpus(31, "0-1", 2);
    const dereg = encodeDeregisterCpus(31, "0-1", 3);
    const expected = (attr: number, seq: number) => [
      ...le32(28),
      ...le16(31),
      ...le16(1 | 4),
      ...le32(seq),
      ...le32(0),
      1,
      1,
      0,
      0, // TASKSTATS_CMD_GET, version 1
      ...le16(8),
      ...le16(attr),
      ...ascii("0-1"),
      0,
    ];
    expect([...reg]).toEqual(expected(3, 2));
    expect([...dereg]).toEqual(expected(4, 3));
  });

  test("a cpu list of any length is NUL-terminated and padded", () => {
    for (const list of ["0", "0-3", "0-3,8-11", "0,2,4,6,8,10,12"]) {
      const m = encodeRegisterCpus(20, list, 1);
      const v = new DataView(m.buffer);
      expect(m.length % 4).toBe(0);
      expect(v.getUint32(0, true)).toBe(m.length);
      expect(v.getUint16(20, true)).toBe(4 + list.length + 1);
      expect(m[24 + list.length]).toBe(0);
      expect(new TextDecoder().decode(m.subarray(24, 24 + list.length))).toBe(list);
    }
  });

  test("nested attributes get their length when closed, and unclosed nests are refused", () => {
    const m = new GenlBuilder(8).begin(40, 0, 1, 2, 1).nest(4, NLA_F_NESTED).u32(1, 0xdeadbeef).u16(9, 0xabcd).endNest().finish();
    const v = new DataView(m.buffer);
    expect(v.getUint32(0, true)).toBe(m.length);
    expect(v.getUint16(20, true)).toBe(4 + 8 + 8);
    expect(v.getUint16(22, true)).toBe(4 | NLA_F_NESTED);
    expect(v.getUint32(28, true)).toBe(0xdeadbeef);
    expect(v.getUint16(32, true)).toBe(6);
    expect(v.getUint16(36, true)).toBe(0xabcd);
    expect(() => new GenlBuilder().begin(40, 0, 1, 2, 1).nest(4).finish()).toThrow();
  });
});

describe("MessageCursor", () => {
  test("walks a datagram of several messages, with errno, ack and DONE", () => {
    // A message whose length is not a multiple of 4: the next one starts at the aligned offset.
    const odd = new GenlBuilder()
      .begin(31, 0, 5, 2, 1)
      .bytes(1, new Uint8Array([1, 2, 3]))
      .finish()
      .subarray(0, 27);
    new DataView(odd.buffer).setUint32(0, 27, true);
    const v = datagram(errorMessage(1, -1), odd, errorMessage(2, 0), doneMessage(3));
    const m = new MessageCursor().reset(v, 0, v.byteLength);
    const seen: [number, number, number][] = [];
    while (m.next()) seen.push([m.type, m.seq, m.error]);
    expect(seen).toEqual([
      [NLMSG_ERROR, 1, 1], // EPERM, positive
      [31, 5, 0],
      [NLMSG_ERROR, 2, 0], // an acknowledgement
      [NLMSG_DONE, 3, 0],
    ]);
    expect(m.malformed).toBe(false);
  });

  test("gives the generic header's command and where attributes start", () => {
    const msg = new GenlBuilder().begin(31, 0, 9, 2, 1).u32(1, 77).finish();
    const m = new MessageCursor().reset(new DataView(msg.buffer), 0, msg.length);
    expect(m.next()).toBe(true);
    expect(m.cmd).toBe(2);
    expect(m.attrsStart).toBe(20);
    expect(m.done).toBe(false);
  });

  test("stops at a header that claims more than there is, or less than a header", () => {
    const good = doneMessage(1);
    const bad = new Uint8Array(20);
    new DataView(bad.buffer).setUint32(0, 400, true);
    let m = new MessageCursor().reset(datagram(good, bad), 0, 40);
    expect(m.next()).toBe(true);
    expect(m.next()).toBe(false);
    expect(m.malformed).toBe(true);

    const tiny = new Uint8Array(20);
    new DataView(tiny.buffer).setUint32(0, 8, true);
    m = new MessageCursor().reset(new DataView(tiny.buffer), 0, 20);
    expect(m.next()).toBe(false);
    expect(m.malformed).toBe(true);

    m = new MessageCursor().reset(new DataView(new ArrayBuffer(10)), 0, 10);
    expect(m.next()).toBe(false);
    expect(m.malformed).toBe(true);
  });

  test("an NLMSG_ERROR too short to hold its code is malformed", () => {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setUint32(0, 16, true);
    v.setUint16(4, NLMSG_ERROR, true);
    const m = new MessageCursor().reset(v, 0, 16);
    expect(m.next()).toBe(false);
    expect(m.malformed).toBe(true);
  });

  test("an empty range is simply the end", () => {
    const m = new MessageCursor().reset(new DataView(new ArrayBuffer(8)), 0, 0);
    expect(m.next()).toBe(false);
    expect(m.malformed).toBe(false);
  });
});

describe("AttrCursor", () => {
  test("masks the NESTED flag off the type, skips padding", () => {
    const msg = new GenlBuilder().begin(31, 0, 0, 2, 1).bytes(6, new Uint8Array(1)).nest(5, NLA_F_NESTED).u32(2, 42).endNest().finish();
    const v = new DataView(msg.buffer);
    const a = new AttrCursor().reset(v, 20, msg.length);
    expect(a.next()).toBe(true);
    expect([a.type, a.length, a.nested]).toEqual([6, 1, false]);
    expect(a.next()).toBe(true);
    expect([a.type, a.length, a.nested]).toEqual([5, 8, true]);
    const inner = new AttrCursor().reset(v, a.offset, a.offset + a.length);
    expect(inner.next()).toBe(true);
    expect([inner.type, v.getUint32(inner.offset, true)]).toEqual([2, 42]);
    expect(inner.next()).toBe(false);
    expect(a.next()).toBe(false);
    expect(a.malformed).toBe(false);
  });

  test("an attribute longer than its container is malformed", () => {
    const b = new Uint8Array(8);
    const v = new DataView(b.buffer);
    v.setUint16(0, 12, true);
    const a = new AttrCursor().reset(v, 0, 8);
    expect(a.next()).toBe(false);
    expect(a.malformed).toBe(true);
  });
});

describe("parseFamilyId", () => {
  function newFamily(attrs: (b: GenlBuilder) => GenlBuilder): Uint8Array {
    return attrs(new GenlBuilder().begin(GENL_ID_CTRL, 0, 1, CTRL_CMD_NEWFAMILY, 2)).finish();
  }

  test("finds CTRL_ATTR_FAMILY_ID after the (padded) name", () => {
    const msg = newFamily((b) => b.string(CTRL_ATTR_FAMILY_NAME, "TASKSTATS").u16(CTRL_ATTR_FAMILY_ID, 31).u32(3, 1));
    expect(parseFamilyId(new DataView(msg.buffer), 0, msg.length)).toBe(31);
  });

  test("reads the id wherever the message sits in the datagram", () => {
    const msg = newFamily((b) => b.u16(CTRL_ATTR_FAMILY_ID, 0x1234));
    const v = datagram(doneMessage(9), msg);
    expect(parseFamilyId(v, 20, msg.length)).toBe(0x1234);
  });

  test("-1 without an id, for another command or another sender", () => {
    expect(parseFamilyId(new DataView(newFamily((b) => b.string(CTRL_ATTR_FAMILY_NAME, "X")).buffer), 0, 28)).toBe(-1);
    const getFamily = encodeGetFamily("TASKSTATS", 1);
    expect(parseFamilyId(new DataView(getFamily.buffer), 0, getFamily.length)).toBe(-1);
    const err = errorMessage(1, -2);
    expect(parseFamilyId(new DataView(err.buffer), 0, err.length)).toBe(-1);
  });
});
