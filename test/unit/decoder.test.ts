// The decoder on hand-built datagrams: every kind, several messages per datagram, bad input.
import { describe, expect, test } from "bun:test";
import { Decoder } from "../../src/events/decoder";
import type { ProcEvent } from "../../src/events/types";
import { What } from "../../src/kernel/netlink";
import { procMessage } from "../lib/proc-message";

const message = procMessage;

function decodeAll(...msgs: Uint8Array[]): { events: ProcEvent[]; malformed: number } {
  const pad = (n: number) => (n + 3) & ~3;
  const total = msgs.reduce((a, m) => a + pad(m.length), 0);
  const buf = new Uint8Array(total + 64);
  let off = 0;
  for (const m of msgs) {
    buf.set(m, off);
    off += pad(m.length);
  }
  const d = new Decoder(buf);
  const events: ProcEvent[] = [];
  // Events are reused between calls: copy them out.
  d.decodeDatagram(0, total, (e) => events.push({ ...e }));
  return { events, malformed: d.malformed };
}

describe("decoder: one event of each kind", () => {
  test("ack", () => {
    const { events } = decodeAll(message(What.NONE, [0]));
    expect(events[0]).toMatchObject({ kind: "ack", err: 0 });
  });
  test("fork (new process) and clone (new thread)", () => {
    const { events } = decodeAll(message(What.FORK, [100, 100, 200, 200]), message(What.FORK, [100, 100, 201, 150]));
    expect(events[0]).toMatchObject({ kind: "fork", parentPid: 100, parentTgid: 100, pid: 200, tgid: 200 });
    expect(events[1]).toMatchObject({ kind: "clone", pid: 201, tgid: 150 });
  });
  test("exec with header fields", () => {
    const { events } = decodeAll(message(What.EXEC, [300, 300], { seq: 42, cpu: 3, ts: 5_000_000_123n }));
    expect(events[0]).toEqual({ kind: "exec", pid: 300, tgid: 300, seq: 42, cpu: 3, ts: 5_000_000_123 });
  });
  test("uid and gid", () => {
    const { events } = decodeAll(message(What.UID, [1, 1, 1000, 0]), message(What.GID, [1, 1, 50, 60]));
    expect(events[0]).toMatchObject({ kind: "uid", ruid: 1000, euid: 0 });
    expect(events[1]).toMatchObject({ kind: "gid", rgid: 50, egid: 60 });
  });
  test("sid", () => {
    expect(decodeAll(message(What.SID, [9, 9])).events[0]).toMatchObject({ kind: "sid", pid: 9 });
  });
  test("ptrace attach and detach", () => {
    const { events } = decodeAll(message(What.PTRACE, [5, 5, 7, 7]), message(What.PTRACE, [5, 5, 0, 0]));
    expect(events[0]).toMatchObject({ kind: "ptrace", tracerPid: 7, tracerTgid: 7 });
    expect(events[1]).toMatchObject({ kind: "ptrace", tracerPid: 0 });
  });
  test("comm: the name up to its NUL, as bytes", () => {
    const d = new Decoder(message(What.COMM, [8, 8], { comm: "worker" }));
    let got = "";
    d.decodeDatagram(0, 92, (e) => {
      if (e.kind === "comm") got = new TextDecoder().decode(e.comm.subarray(e.commStart, e.commEnd));
    });
    expect(got).toBe("worker");
  });
  test("comm of the full 16 bytes without a NUL stays within the field", () => {
    const d = new Decoder(message(What.COMM, [8, 8], { comm: "abcdefghijklmnop" }));
    let n = -1;
    d.decodeDatagram(0, 92, (e) => {
      if (e.kind === "comm") n = e.commEnd - e.commStart;
    });
    expect(n).toBe(16);
  });
  test("coredump", () => {
    expect(decodeAll(message(What.COREDUMP, [4, 4, 3, 3])).events[0]).toMatchObject({ kind: "core", pid: 4, parentPid: 3 });
  });
  test("exit: status, exit signal and parent", () => {
    const { events } = decodeAll(message(What.EXIT, [10, 10, 3 << 8, 17, 2, 2]), message(What.EXIT, [11, 10, 0, -1, 2, 2]));
    expect(events[0]).toMatchObject({ kind: "exit", pid: 10, status: 768, exitSignal: 17, parentTgid: 2 });
    expect(events[1]).toMatchObject({ kind: "exit", pid: 11, tgid: 10, exitSignal: -1 });
  });
  test("a timestamp beyond 2^32 ns keeps its precision", () => {
    const ts = 86_400n * 1_000_000_000n + 987_654_321n;
    expect(decodeAll(message(What.EXEC, [1, 1], { ts })).events[0]!.ts).toBe(Number(ts));
  });
});

describe("decoder: datagrams and bad input", () => {
  test("several messages in one datagram, NOOP and ERROR skipped", () => {
    const { events, malformed } = decodeAll(
      message(What.EXEC, [1, 1]),
      message(What.EXEC, [2, 2], { type: 1 }),
      message(What.EXEC, [3, 3], { type: 2 }),
      message(What.EXIT, [4, 4, 0, 17, 1, 1]),
    );
    expect(events.map((e) => e.pid)).toEqual([1, 4]);
    expect(malformed).toBe(0);
  });
  test("a truncated message is counted, not decoded", () => {
    const m = message(What.FORK, [1, 1, 2, 2]);
    const d = new Decoder(m);
    const seen: ProcEvent[] = [];
    d.decodeDatagram(0, m.length - 8, (e) => seen.push(e));
    expect(seen).toHaveLength(0);
    expect(d.malformed).toBe(1);
  });
  test("a proc_event shorter than its kind needs is rejected", () => {
    const m = message(What.EXIT, [1, 1]); // exit needs 24 bytes of data
    const { events, malformed } = decodeAll(m);
    expect(events).toHaveLength(0);
    expect(malformed).toBe(1);
  });
  test("an unknown kind, a foreign connector id and zero pids are rejected", () => {
    const foreign = message(What.EXEC, [1, 1]);
    new DataView(foreign.buffer).setUint32(16, 5, true);
    const { events, malformed } = decodeAll(message(0x1234, [1, 1, 1, 1]), foreign, message(What.EXEC, [0, 0]));
    expect(events).toHaveLength(0);
    expect(malformed).toBe(3);
  });
  test("a length field past the end stops the walk", () => {
    const m = message(What.EXEC, [1, 1]);
    new DataView(m.buffer).setUint32(0, 4096, true);
    const { events, malformed } = decodeAll(m);
    expect(events).toHaveLength(0);
    expect(malformed).toBe(1);
  });
  test("decoding allocates no event objects: each kind's object is reused", () => {
    const a = message(What.EXEC, [1, 1]);
    const d = new Decoder(a);
    const seen: ProcEvent[] = [];
    d.decodeDatagram(0, a.length, (e) => seen.push(e));
    d.decodeDatagram(0, a.length, (e) => seen.push(e));
    expect(seen[0]).toBe(seen[1]!);
  });
});
