// Fuzzing the decoder: over a million random, truncated and mutated datagrams from a
// fixed-seed PRNG. Nothing may throw or hang, and every event the decoder reports must be
// exactly what the bytes of one whole, well-formed message inside the datagram say.
import { describe, expect, test } from "bun:test";
import { Decoder } from "../../src/events/decoder";
import type { ProcEvent } from "../../src/events/types";
import { What } from "../../src/kernel/netlink";
import { writeProcHeader } from "../lib/proc-message";

/** xorshift128: small, fast, deterministic. */
class Rng {
  private x: number;
  private y = 362436069;
  private z = 521288629;
  private w = 88675123;
  constructor(seed: number) {
    this.x = seed >>> 0 || 1;
  }
  u32(): number {
    const t = this.x ^ (this.x << 11);
    this.x = this.y;
    this.y = this.z;
    this.z = this.w;
    this.w = (this.w ^ (this.w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return this.w;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

const KINDS = [What.NONE, What.FORK, What.EXEC, What.UID, What.GID, What.SID, What.PTRACE, What.COMM, What.COREDUMP, What.EXIT] as const;
/** event_data bytes each `what` needs. */
const DATA_LEN: Record<number, number> = {
  [What.NONE]: 4,
  [What.FORK]: 16,
  [What.EXEC]: 8,
  [What.UID]: 16,
  [What.GID]: 16,
  [What.SID]: 8,
  [What.PTRACE]: 16,
  [What.COMM]: 24,
  [What.COREDUMP]: 16,
  [What.EXIT]: 24,
};
const KIND_OF: Record<number, string[]> = {
  [What.NONE]: ["ack"],
  [What.FORK]: ["fork", "clone"],
  [What.EXEC]: ["exec"],
  [What.UID]: ["uid"],
  [What.GID]: ["gid"],
  [What.SID]: ["sid"],
  [What.PTRACE]: ["ptrace"],
  [What.COMM]: ["comm"],
  [What.COREDUMP]: ["core"],
  [What.EXIT]: ["exit"],
};
const INTERESTING = [
  0, 1, 2, 3, 4, 15, 16, 17, 35, 36, 51, 52, 53, 75, 76, 77, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
];

const BUF_SIZE = 4096;
const buf = new Uint8Array(BUF_SIZE);
const view = new DataView(buf.buffer);

function randomPid(r: Rng): number {
  if (r.chance(0.03)) return r.pick([0, -1, -2147483648, 2147483647]);
  return 1 + r.int(4194304);
}

/**
 * Writes one well-formed proc event message at `off` (optionally with extra payload the
 * kernel might add in future); returns its length (unaligned).
 */
function writeMessage(r: Rng, off: number, what: number): number {
  const extra = r.chance(0.1) ? r.int(24) : 0;
  const len = writeProcHeader(view, off, {
    what,
    dataLen: DATA_LEN[what]!,
    extra,
    nlFlags: r.int(65536),
    nlSeq: r.u32(),
    nlPid: r.u32(),
    seq: r.u32(),
    ack: r.chance(0.9) ? 0 : r.u32(),
    cnFlags: r.chance(0.9) ? 0 : r.int(65536),
    cpu: r.chance(0.8) ? r.int(64) : r.u32(),
    ts: (BigInt(r.int(0x200000)) << 32n) | BigInt(r.u32()), // < 2^53 ns in all
  });
  const d = off + 52;
  const pid = randomPid(r);
  const tgid = r.chance(0.7) ? pid : randomPid(r);
  if (what === What.FORK) {
    view.setInt32(d, randomPid(r), true);
    view.setInt32(d + 4, randomPid(r), true);
    view.setInt32(d + 8, pid, true);
    view.setInt32(d + 12, tgid, true);
  } else if (what === What.NONE) {
    view.setUint32(d, r.chance(0.8) ? 0 : r.u32(), true);
  } else {
    view.setInt32(d, pid, true);
    view.setInt32(d + 4, tgid, true);
    if (what === What.COMM) {
      const n = r.int(17);
      for (let i = 0; i < 16; i++) buf[d + 8 + i] = i < n ? 1 + r.int(255) : 0;
    } else for (let i = 8; i < DATA_LEN[what]!; i += 4) view.setUint32(d + i, r.u32(), true);
  }
  for (let i = 36 + 16 + DATA_LEN[what]!; i < len; i++) buf[off + i] = r.int(256);
  return len;
}

/** A datagram of 1-4 messages (sometimes with NOOP/ERROR ones between); returns its length. */
function writeDatagram(r: Rng, start: number): { len: number; expected: number; rejected: number } {
  const count = 1 + r.int(4);
  let off = start;
  let expected = 0;
  let rejected = 0; // messages with a pid or tgid <= 0: no task has those
  for (let k = 0; k < count; k++) {
    if (r.chance(0.05)) {
      // NLMSG_NOOP / NLMSG_ERROR: no event
      const len = 16 + 4 * r.int(8);
      for (let i = 0; i < len; i++) buf[off + i] = r.int(256);
      view.setUint32(off, len, true);
      view.setUint16(off + 4, r.pick([1, 2]), true);
      off += len;
      continue;
    }
    const what = r.pick(KINDS);
    const len = writeMessage(r, off, what);
    const pid = view.getInt32(off + 52 + (what === What.FORK ? 8 : 0), true);
    const tgid = view.getInt32(off + 52 + (what === What.FORK ? 12 : 4), true);
    if (what === What.NONE || (pid > 0 && tgid > 0)) expected++;
    else rejected++;
    for (let i = off + len; i < off + ((len + 3) & ~3); i++) buf[i] = 0;
    off += (len + 3) & ~3;
  }
  return { len: off - start, expected, rejected };
}

function mutate(r: Rng, start: number, len: number): number {
  const ops = 1 + r.int(4);
  for (let k = 0; k < ops; k++) {
    const at = start + r.int(Math.max(1, len));
    switch (r.int(9)) {
      case 0: // bit flip
        buf[at] = buf[at]! ^ (1 << r.int(8));
        break;
      case 1: // random byte
        buf[at] = r.int(256);
        break;
      case 2: // interesting u32 at a field boundary
        if (((at - start) & ~3) + start + 4 <= BUF_SIZE) view.setUint32(((at - start) & ~3) + start, r.pick(INTERESTING), true);
        break;
      case 3: // nlmsg len of the first message
        view.setUint32(start, r.pick(INTERESTING), true);
        break;
      case 4: // cn_msg len
        view.setUint16(start + 32, r.pick(INTERESTING) & 0xffff, true);
        break;
      case 5: // connector id
        view.setUint32(start + 16 + 4 * r.int(2), r.pick(INTERESTING), true);
        break;
      case 6: // what
        view.setUint32(start + 36, r.chance(0.5) ? r.u32() : r.pick([...KINDS, What.NONZERO_EXIT, 0x3, 0x8, 0x400, 0xc0000000]) >>> 0, true);
        break;
      case 7: // truncate
        len = r.int(len + 1);
        break;
      case 8: // grow the claimed datagram past what was written (possibly past the buffer)
        len += r.int(600);
        break;
    }
  }
  return len;
}

/** The messages reachable by walking nlmsghdr.len through [start, end), as netlink defines it. */
function walk(start: number, end: number): number[] {
  const offs: number[] = [];
  let off = start;
  while (off + 16 <= end) {
    const l = view.getUint32(off, true);
    if (l < 16 || off + l > end) break;
    offs.push(off);
    off += (l + 3) & ~3;
  }
  return offs;
}

/** Why event `e` is not what the message at `off` says, or null when it is exactly that. */
function mismatch(e: ProcEvent, off: number, end: number): string | null {
  const msgLen = view.getUint32(off, true);
  if (off + msgLen > end) return "message extends past the datagram";
  if (view.getUint16(off + 4, true) !== 3) return "not NLMSG_DONE";
  if (msgLen < 52) return "message shorter than a proc_event header";
  if (view.getUint32(off + 16, true) !== 1 || view.getUint32(off + 20, true) !== 1) return "not the proc connector's id";
  const cnLen = view.getUint16(off + 32, true);
  if (36 + cnLen > msgLen) return "cn_msg.len runs past the message";
  const what = view.getUint32(off + 36, true);
  const kinds = KIND_OF[what];
  if (kinds === undefined) return `unknown what 0x${what.toString(16)}`;
  if (!kinds.includes(e.kind)) return `kind ${e.kind} for what 0x${what.toString(16)}`;
  if (cnLen < 16 + DATA_LEN[what]!) return `cn_msg.len ${cnLen} too short for ${e.kind}`;
  if (e.seq !== view.getUint32(off + 24, true)) return "seq";
  if (e.cpu !== view.getUint32(off + 40, true)) return "cpu";
  if (e.ts !== view.getUint32(off + 48, true) * 4294967296 + view.getUint32(off + 44, true)) return "ts";
  const d = off + 52;
  const i32 = (k: number) => view.getInt32(d + k, true);
  const u32 = (k: number) => view.getUint32(d + k, true);
  if (e.kind === "ack") return e.err === u32(0) ? null : "ack err";
  if (!(e.pid > 0 && e.tgid > 0)) return `pid ${e.pid} tgid ${e.tgid}`;
  switch (e.kind) {
    case "fork":
    case "clone":
      if (e.parentPid !== i32(0) || e.parentTgid !== i32(4) || e.pid !== i32(8) || e.tgid !== i32(12)) return "fork fields";
      if ((e.kind === "fork") !== (e.pid === e.tgid)) return "fork/clone";
      return null;
  }
  if (e.pid !== i32(0) || e.tgid !== i32(4)) return "pid/tgid";
  switch (e.kind) {
    case "exec":
    case "sid":
      return null;
    case "uid":
      return e.ruid === u32(8) && e.euid === u32(12) ? null : "uid fields";
    case "gid":
      return e.rgid === u32(8) && e.egid === u32(12) ? null : "gid fields";
    case "ptrace":
      return e.tracerPid === i32(8) && e.tracerTgid === i32(12) ? null : "ptrace fields";
    case "core":
      return e.parentPid === i32(8) && e.parentTgid === i32(12) ? null : "core fields";
    case "exit":
      return e.status === u32(8) && e.exitSignal === i32(12) && e.parentPid === i32(16) && e.parentTgid === i32(20) ? null : "exit fields";
    case "comm": {
      if (e.comm !== buf) return "comm buffer";
      if (e.commStart !== d + 8 || e.commEnd < d + 8 || e.commEnd > d + 24) return "comm range";
      for (let i = e.commStart; i < e.commEnd; i++) if (buf[i] === 0) return "NUL inside comm";
      if (e.commEnd < d + 24 && buf[e.commEnd] !== 0) return "comm cut short";
      return null;
    }
  }
  return "unexpected kind";
}

interface Tally {
  datagrams: number;
  events: number;
  failures: string[];
}

/** Decodes bytes[start, start+len) and checks every event against the messages the walk reaches. */
function check(dec: Decoder, start: number, len: number, t: Tally, what: string, expected?: number, rejected = 0): void {
  const end = Math.min(start + len, BUF_SIZE);
  const offs = walk(start, end);
  let next = 0;
  let events = 0;
  const execs: number[] = [];
  const malformedBefore = dec.malformed;
  try {
    dec.decodeDatagram(start, len, (e) => {
      events++;
      // The event must come from a message after the previous event's, reached by the walk.
      let why: string | null = "no message left for it";
      while (next < offs.length) {
        why = mismatch(e, offs[next++]!, end);
        if (why === null) break;
      }
      if (why !== null && t.failures.length < 10) t.failures.push(`${what}: ${e.kind} pid ${e.pid}: ${why} @${start}+${len} ${hex(start, len)}`);
      if (e.kind === "exec") execs.push(e.pid, e.ts);
    });
    // The first pass for execs must see exactly the execs the full decode reports, in order.
    const scanned: number[] = [];
    dec.scanExecs(start, len, (pid, ts) => scanned.push(pid, ts));
    if (scanned.join() !== execs.join() && t.failures.length < 10) t.failures.push(`${what}: scanExecs [${scanned}] vs decode [${execs}] ${hex(start, len)}`);
  } catch (err) {
    if (t.failures.length < 10) t.failures.push(`${what}: threw ${String(err)} @${start}+${len} ${hex(start, len)}`);
  }
  if (expected !== undefined) {
    if ((events !== expected || dec.malformed - malformedBefore !== rejected) && t.failures.length < 10)
      t.failures.push(`${what}: ${events} events, expected ${expected}; malformed +${dec.malformed - malformedBefore} ${hex(start, len)}`);
  }
  t.datagrams++;
  t.events += events;
}

function hex(start: number, len: number): string {
  const end = Math.min(start + len, BUF_SIZE, start + 160);
  return Buffer.from(buf.subarray(start, end)).toString("hex");
}

function fuzz(seed: number, n: number, budgetMs: number): Tally {
  const r = new Rng(seed);
  const dec = new Decoder(buf);
  const t: Tally = { datagrams: 0, events: 0, failures: [] };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if ((i & 4095) === 0 && performance.now() - t0 > budgetMs) {
      t.failures.push(`over the time budget after ${i} datagrams`);
      break;
    }
    // Unaligned starts too: the ring's slots are aligned, but nothing may assume it.
    const start = r.chance(0.8) ? 4 * r.int(64) : r.int(256);
    const mode = r.int(10);
    if (mode < 2) {
      const { len, expected, rejected } = writeDatagram(r, start);
      check(dec, start, len, t, "valid", expected, rejected);
    } else if (mode < 8) {
      const { len } = writeDatagram(r, start);
      check(dec, start, mutate(r, start, len), t, "mutated");
    } else if (mode < 9) {
      const len = r.int(400);
      for (let k = start; k < Math.min(start + len, BUF_SIZE); k++) buf[k] = r.int(256);
      check(dec, start, len, t, "random");
    } else {
      // random bytes behind a plausible header: right ids and a valid what
      const len = 36 + r.int(120);
      for (let k = start; k < start + len; k++) buf[k] = r.int(256);
      view.setUint32(start, r.chance(0.5) ? len : r.pick(INTERESTING), true);
      view.setUint16(start + 4, 3, true);
      view.setUint32(start + 16, 1, true);
      view.setUint32(start + 20, 1, true);
      if (len >= 40) view.setUint32(start + 36, r.pick(KINDS) >>> 0, true);
      check(dec, start, len, t, "header+garbage");
    }
  }
  return t;
}

describe("decoder fuzzing (fixed seeds)", () => {
  test("well-formed datagrams decode completely", () => {
    const r = new Rng(7);
    const dec = new Decoder(buf);
    const t: Tally = { datagrams: 0, events: 0, failures: [] };
    for (let i = 0; i < 20000; i++) {
      const start = 4 * r.int(64);
      const { len, expected, rejected } = writeDatagram(r, start);
      check(dec, start, len, t, "valid", expected, rejected);
    }
    expect(t.failures).toEqual([]);
    expect(t.events).toBeGreaterThan(20000);
  });

  test("1,100,000 random and mutated datagrams: no throw, no hang, no wrong event", () => {
    const t0 = performance.now();
    const seeds = [0x9e3779b9, 12345, 0xdeadbeef, 42];
    let datagrams = 0;
    let events = 0;
    const failures: string[] = [];
    for (const seed of seeds) {
      const t = fuzz(seed, 275_000, 20_000);
      datagrams += t.datagrams;
      events += t.events;
      failures.push(...t.failures.map((f) => `seed ${seed}: ${f}`));
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(datagrams).toBeGreaterThanOrEqual(1_000_000);
    // The mutations leave plenty of valid messages: the checks above did run on real events.
    expect(events).toBeGreaterThan(300_000);
    expect(performance.now() - t0).toBeLessThan(60_000);
  }, 90_000);
});
