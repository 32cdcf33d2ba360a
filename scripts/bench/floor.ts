/**
 * floor.c in Bun, for `npm run bench`: what the runtime alone adds to the least an exec
 * monitor must do. It is compiled like pstat (bun build --compile), so it pays the same
 * runtime, and does what floor.c does, as leanly as Bun allows: pstat's own subscription,
 * one blocking recv(2) per datagram, one open/read/close of /proc/PID/cmdline per exec
 * (pstat's own reader), and the line floor.c prints,
 *
 *   exec PID /bin/true arg...      (NULs between arguments shown as spaces)
 *   exec PID <unknown>             (the process was gone, or had no command line)
 *
 * bytes copied straight into a 64 MiB buffer written out at SIGINT or SIGTERM. No fork or
 * exit events, no loss accounting, no escaping, no timestamps. Not a product.
 *
 * With --all (floor-bun-all), the least a monitor of forks, execs and exits does, as
 * forkstat and pstat do: no kernel filter, and a line for each fork and exit too,
 *
 *   fork CHILD_PID
 *   exit PID
 *
 * at pstat's own priority: behind the forks and exits in one queue, more than half of a
 * storm's command lines were gone before a normal-priority reader got to them.
 *
 * With --source (floor-bun-source), the same lines from pstat's own event source: its
 * exec watch (a wakeup per exec, to read the command line) and its bulk socket drained in
 * batches, decoded, at pstat's priority. Everything pstat does but its own work per event
 * (process table, names, escaping, formatting): what pstat's design costs in Bun. An exec
 * line is written when its command line is read, ahead of its place among the others.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { writeSync } from "node:fs";
import { ProcConnector } from "../../src/kernel/connector";
import { libcName } from "../../src/kernel/libc-name";
import { libc } from "../../src/kernel/libc";
import { raisePriority } from "../../src/kernel/priority";
import { NLMSG_DONE, NLMSG_HDRLEN, PROC_EVENT_OFFSET, SOL_SOCKET, What } from "../../src/kernel/netlink";
import type { ProcEvent } from "../../src/events/types";
import { data, readProcFile } from "../../src/proc/procfs";
import { EventSource } from "../../src/source/event-source";

const { i32, u32, ptr: pointer } = FFIType;
// pstat itself receives with recvmmsg; the floor takes one datagram per wakeup, as floor.c.
const { recv } = dlopen(libcName(), { recv: { args: [i32, pointer, u32, i32], returns: i32 } }).symbols;

const SO_RCVTIMEO = 20;
const CMDLINE_MAX = 4096;
/** exec's and exit's event_data: process_pid, then process_tgid. */
const EXEC_TGID = PROC_EVENT_OFFSET + 16 + 4;
const EXIT_PID = PROC_EVENT_OFFSET + 16;
/** fork's event_data: parent_pid, parent_tgid, child_pid, child_tgid. */
const FORK_CHILD = PROC_EVENT_OFFSET + 16 + 8;
const SOURCE = process.argv.includes("--source");
const ALL = SOURCE || process.argv.includes("--all");
const FORK = Buffer.from("fork ");
const EXIT = Buffer.from("exit ");
const UNKNOWN = Buffer.from("<unknown>\n");

const out = Buffer.allocUnsafe(64 << 20);
let end = 0;

function printPid(pid: number): void {
  let digits = 1;
  for (let p = pid; p >= 10; p = Math.floor(p / 10)) digits++;
  for (let k = digits - 1, p = pid; k >= 0; k--, p = Math.floor(p / 10)) out[end + k] = 48 + (p % 10);
  end += digits;
}

/** "fork PID" or "exit PID" (--all). */
function printOther(tag: Buffer, pid: number): void {
  if (end + 32 > out.length) flush();
  end += tag.copy(out, end);
  printPid(pid);
  out[end++] = 0x0a;
}

function printExec(pid: number): void {
  if (end + CMDLINE_MAX + 32 > out.length) flush();
  out[end++] = 0x65; // "exec "
  out[end++] = 0x78;
  out[end++] = 0x65;
  out[end++] = 0x63;
  out[end++] = 0x20;
  printPid(pid);
  out[end++] = 0x20;
  let n = readProcFile(pid, "cmdline", CMDLINE_MAX);
  while (n > 0 && data[n - 1] === 0) n--;
  if (n <= 0) {
    end += UNKNOWN.copy(out, end);
    return;
  }
  for (let i = 0; i < n; i++) {
    const b = data[i]!;
    out[end++] = b === 0 ? 0x20 : b;
  }
  out[end++] = 0x0a;
}

function flush(): void {
  for (let at = 0; at < end; ) at += writeSync(1, out.subarray(at, end));
  end = 0;
}

let stopping = false;
process.on("SIGINT", () => (stopping = true));
process.on("SIGTERM", () => (stopping = true));

if (SOURCE) await runSource();

// pstat's own subscription code; the floor only receives differently.
const conn = ProcConnector.open(32 << 20, 16);
if (!conn.listen(1000).ok) {
  process.stderr.write("floor-bun: cannot subscribe to process events\n");
  process.exit(1);
}
if (ALL) raisePriority();
else conn.setKernelFilter(What.EXEC);
const fd = conn.descriptor;
// A receive timeout: Bun's signal handlers restart syscalls, but not a timed-out receive.
libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, new BigInt64Array([1n, 0n]), 16);

const buf = new Uint8Array(8192);
const view = new DataView(buf.buffer);
const bufAddr = ptr(buf);
while (!stopping) {
  const len = recv(fd, bufAddr, buf.byteLength, 0);
  if (len <= 0) {
    // a signal or the timeout: let Bun run the signal handler
    await new Promise<void>((r) => setImmediate(r));
    continue;
  }
  // Some kernels pack several messages into one datagram.
  for (let off = 0; off + NLMSG_HDRLEN <= len; ) {
    const msgLen = view.getUint32(off, true);
    if (msgLen < NLMSG_HDRLEN || off + msgLen > len) break;
    if (view.getUint16(off + 4, true) === NLMSG_DONE && msgLen >= FORK_CHILD + 4) {
      const what = view.getUint32(off + PROC_EVENT_OFFSET, true);
      if (what === What.EXEC) printExec(view.getUint32(off + EXEC_TGID, true));
      else if (ALL && what === What.FORK) printOther(FORK, view.getUint32(off + FORK_CHILD, true));
      else if (ALL && what === What.EXIT) printOther(EXIT, view.getUint32(off + EXIT_PID, true));
    }
    off += (msgLen + 3) & ~3;
  }
}
flush();
conn.close();

/** --source: pstat's EventSource and its turn (wait, drain), with the floor's lines. */
async function runSource(): Promise<never> {
  raisePriority();
  const source = EventSource.open({
    rcvbuf: 32 << 20,
    mask: (What.FORK | What.EXEC | What.EXIT) >>> 0,
    kernelFilter: false,
    readAhead: (pid) => printExec(pid),
    onLost: () => {},
  });
  const sink = (e: ProcEvent) => {
    if (e.kind === "fork") printOther(FORK, e.pid);
    else if (e.kind === "exit") printOther(EXIT, e.pid);
  };
  const never = () => false;
  let gathering = false;
  while (!stopping) {
    // As pstat's pump: anything but events ending the wait means the event loop has work (a signal).
    if (!source.ready && !source.wait(1000, gathering)) await new Promise<void>((r) => setImmediate(r));
    gathering = source.drain(4096, sink, never) >= 16;
  }
  source.drain(Infinity, sink, never);
  flush();
  source.close();
  process.exit(0);
}
