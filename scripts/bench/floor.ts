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
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { writeSync } from "node:fs";
import { ProcConnector } from "../../src/kernel/connector";
import { libcName } from "../../src/kernel/libc-name";
import { libc } from "../../src/kernel/libc";
import { NLMSG_DONE, NLMSG_HDRLEN, PROC_EVENT_OFFSET, SOL_SOCKET, What } from "../../src/kernel/netlink";
import { data, readProcFile } from "../../src/proc/procfs";

const { i32, u32, ptr: pointer } = FFIType;
// pstat itself receives with recvmmsg; the floor takes one datagram per wakeup, as floor.c.
const { recv } = dlopen(libcName(), { recv: { args: [i32, pointer, u32, i32], returns: i32 } }).symbols;

const SO_RCVTIMEO = 20;
const CMDLINE_MAX = 4096;
/** exec's event_data: process_pid, then process_tgid. */
const EXEC_TGID = PROC_EVENT_OFFSET + 16 + 4;
const UNKNOWN = Buffer.from("<unknown>\n");

const out = Buffer.allocUnsafe(64 << 20);
let end = 0;

function printExec(pid: number): void {
  if (end + CMDLINE_MAX + 32 > out.length) flush();
  out[end++] = 0x65; // "exec "
  out[end++] = 0x78;
  out[end++] = 0x65;
  out[end++] = 0x63;
  out[end++] = 0x20;
  let digits = 1;
  for (let p = pid; p >= 10; p = Math.floor(p / 10)) digits++;
  for (let k = digits - 1, p = pid; k >= 0; k--, p = Math.floor(p / 10)) out[end + k] = 48 + (p % 10);
  end += digits;
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

// pstat's own subscription code; the floor only receives differently.
const conn = ProcConnector.open(32 << 20, 16);
if (!conn.listen(1000).ok) {
  process.stderr.write("floor-bun: cannot subscribe to process events\n");
  process.exit(1);
}
conn.setKernelFilter(What.EXEC);
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
    if (view.getUint16(off + 4, true) === NLMSG_DONE && msgLen >= EXEC_TGID + 4 && view.getUint32(off + PROC_EVENT_OFFSET, true) === What.EXEC)
      printExec(view.getUint32(off + EXEC_TGID, true));
    off += (msgLen + 3) & ~3;
  }
}
flush();
conn.close();
