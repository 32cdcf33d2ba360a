// Readers for the /proc files (and the CPU clock) the bench samples while a monitor runs.
import { FFIType, dlopen, ptr } from "bun:ffi";
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { libcName } from "../../src/kernel/libc-name";

const NETLINK_CONNECTOR = 11;
const CN_IDX_PROC = 1;

let clkTckCache: number | undefined;

/** Clock ticks per second, the unit of utime/stime in /proc/PID/stat. */
export function clkTck(): number {
  if (clkTckCache === undefined) {
    const r = Bun.spawnSync(["getconf", "CLK_TCK"]);
    const v = Number.parseInt(r.stdout.toString().trim(), 10);
    clkTckCache = Number.isFinite(v) && v > 0 ? v : 100;
  }
  return clkTckCache;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** utime + stime of the whole thread group, in clock ticks (stat fields 14 and 15). */
export function cpuTicks(pid: number): number | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // comm (field 2) may hold spaces and parentheses: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : undefined;
}

/**
 * Scheduler run time of each thread of the process in nanoseconds, by TID: the first
 * field of /proc/PID/task/TID/schedstat. Unlike utime + stime (10 ms ticks) it can
 * tell 0.01 % from 0.09 % of a CPU over a few seconds. Undefined once the process is gone.
 */
export function threadRuntimeNs(pid: number): Map<number, number> | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const runtime = new Map<number, number>();
  for (const tid of tids) {
    // a thread that exits between readdir and read is simply left out
    const ns = Number(readText(`/proc/${pid}/task/${tid}/schedstat`)?.split(" ")[0]);
    if (Number.isFinite(ns)) runtime.set(Number(tid), ns);
  }
  return runtime;
}

function openCpuClock() {
  return dlopen(libcName(), {
    clock_getcpuclockid: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    clock_gettime: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  }).symbols;
}
let cpuClock: ReturnType<typeof openCpuClock> | undefined;
const clockId = new Int32Array(1);
const timespec = new BigInt64Array(2);

/**
 * CPU time of the whole process in nanoseconds, every thread it ever had included: its
 * POSIX CPU clock (clock_getcpuclockid + clock_gettime), which the kernel sums from the
 * scheduler's run time of the live threads plus what ended threads left to the thread
 * group. The /proc files fall short of it (checked on Linux 6.18 with a process whose
 * threads burn CPU and end): /proc/PID/schedstat is the main thread alone,
 * /proc/PID/task/ no longer lists an ended thread, and utime + stime in /proc/PID/stat
 * do count ended threads but in 10 ms ticks. Undefined once the process is gone.
 */
export function processCpuNs(pid: number): number | undefined {
  cpuClock ??= openCpuClock();
  if (cpuClock.clock_getcpuclockid(pid, ptr(clockId)) !== 0) return undefined;
  if (cpuClock.clock_gettime(clockId[0] as number, ptr(timespec)) !== 0) return undefined;
  return Number(timespec[0]) * 1e9 + Number(timespec[1]);
}

export interface Memory {
  rssKiB: number;
  hwmKiB: number;
}

export function memory(pid: number): Memory | undefined {
  const status = readText(`/proc/${pid}/status`);
  if (status === undefined) return undefined;
  const field = (name: string): number => {
    const m = status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"));
    return m ? Number(m[1]) : Number.NaN;
  };
  return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM") };
}

/** True while the process exists and is not a zombie. */
export function alive(pid: number): boolean {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return false;
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

export interface ProcSocket {
  /** bytes waiting in the receive queue */
  rmem: number;
  /** datagrams the kernel dropped because the receive queue was full */
  drops: number;
}

function socketInodes(pid: number): Set<number> {
  const inodes = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
      if (m) inodes.add(Number(m[1]));
    } catch {
      // fd closed between readdir and readlink
    }
  }
  return inodes;
}

/**
 * The process's NETLINK_CONNECTOR socket bound to the proc connector group, from
 * /proc/net/netlink. Its existence tells that the monitor has bound (it sends its
 * LISTEN request right after); Rmem tells whether it has drained its backlog and
 * Drops counts what the kernel threw away on overflow, whatever the monitor prints.
 */
export function procConnectorSocket(pid: number): ProcSocket | undefined {
  const inodes = socketInodes(pid);
  if (inodes.size === 0) return undefined;
  const table = readText("/proc/net/netlink");
  if (table === undefined) return undefined;
  // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
  for (const line of table.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    if (Number(f[1]) !== NETLINK_CONNECTOR) continue;
    if ((Number.parseInt(f[3] ?? "0", 16) & CN_IDX_PROC) === 0) continue;
    if (!inodes.has(Number(f[9]))) continue;
    return { rmem: Number(f[4]), drops: Number(f[8]) };
  }
  return undefined;
}

/** Processes (and threads) created on the machine since boot: the `processes` line of /proc/stat. */
export function forksSinceBoot(): number | undefined {
  const m = readText("/proc/stat")?.match(/^processes (\d+)$/m);
  return m ? Number(m[1]) : undefined;
}

export function kernelRelease(): string {
  return readText("/proc/sys/kernel/osrelease")?.trim() ?? "unknown";
}

export function pidMax(): number {
  return Number(readText("/proc/sys/kernel/pid_max")?.trim() ?? "32768");
}

export function cpuCount(): number {
  return navigator.hardwareConcurrency;
}
