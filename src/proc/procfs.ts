import { libc } from "../kernel/libc";

/**
 * Reads /proc/PID files through raw syscalls into one reused buffer: no path strings,
 * no per-read allocation. Results stay valid until the next read.
 */
const O_RDONLY_CLOEXEC = 0o2000000;
const PATH = new Uint8Array(64);
const PREFIX = new TextEncoder().encode("/proc/");
PATH.set(PREFIX);

const SUFFIXES = {
  cmdline: suffix("/cmdline"),
  stat: suffix("/stat"),
  status: suffix("/status"),
  cgroup: suffix("/cgroup"),
  loginuid: suffix("/loginuid"),
};
export type ProcFile = keyof typeof SUFFIXES;

function suffix(s: string): Uint8Array {
  const b = new Uint8Array(s.length + 1);
  b.set(new TextEncoder().encode(s));
  return b; // trailing NUL for the C path
}

/** Shared read buffer; a little over the cmdline bound so a cut can be detected. */
export const data = new Uint8Array(8192);

function setPath(pid: number, file: ProcFile): void {
  let len = PREFIX.length;
  // Write the decimal pid without building a string.
  let digits = 1;
  for (let p = pid; p >= 10; p = Math.floor(p / 10)) digits++;
  for (let k = digits - 1, p = pid; k >= 0; k--, p = Math.floor(p / 10)) PATH[len + k] = 48 + (p % 10);
  len += digits;
  // A byte loop: TypedArray.prototype.set is a call into the runtime, dear for ten bytes.
  const tail = SUFFIXES[file];
  for (let k = 0; k < tail.length; k++) PATH[len + k] = tail[k]!;
}

/** Reads up to `max` bytes of /proc/PID/<file> into `data`; returns the length, or -1 if it cannot be read. */
export function readProcFile(pid: number, file: ProcFile, max = data.length): number {
  setPath(pid, file);
  const fd = libc.open(PATH, O_RDONLY_CLOEXEC);
  if (fd < 0) return -1;
  // /proc hands over everything it has in one read when there is room: a short read is
  // the end, and skipping the read that would return 0 saves a syscall per file. A full
  // read means the file is at least `max` long, which is all the caller wants.
  const n = libc.read(fd, data, max);
  libc.close(fd);
  return n < 0 ? -1 : n;
}

/** The fields of /proc/PID/stat that pstat uses. */
export interface Stat {
  /** bytes [commStart, commEnd) of `data` hold the task name. */
  commStart: number;
  commEnd: number;
  ppid: number;
  pgrp: number;
  ttyNr: number;
  flags: number;
  /** clock ticks since boot (CLOCK_BOOTTIME). */
  startTicks: number;
}

export const PF_KTHREAD = 0x00200000;

const stat: Stat = { commStart: 0, commEnd: 0, ppid: 0, pgrp: 0, ttyNr: 0, flags: 0, startTicks: 0 };

/** Reads and parses /proc/PID/stat; the result object is reused. */
export function readStat(pid: number): Stat | null {
  const len = readProcFile(pid, "stat", 1024);
  if (len <= 0) return null;
  // The name may itself contain ") ", so the fields start after the last ')'.
  let close = len - 1;
  while (close > 0 && data[close] !== 0x29) close--;
  const open = indexOf(0x28, 0, close);
  if (open < 0 || close <= open) return null;
  stat.commStart = open + 1;
  stat.commEnd = close;
  // Fields after the name, numbered as in proc(5): 3 state, 4 ppid, ... 22 starttime.
  let field = 3;
  let i = close + 2;
  while (i < len && field < 22) {
    if (data[i] === 0x20) {
      field++;
      i++;
      let neg = false;
      if (data[i] === 0x2d) (neg = true), i++;
      let v = 0;
      while (i < len && data[i]! >= 48 && data[i]! <= 57) v = v * 10 + (data[i++]! - 48);
      if (neg) v = -v;
      switch (field) {
        case 4:
          stat.ppid = v;
          break;
        case 5:
          stat.pgrp = v;
          break;
        case 7:
          stat.ttyNr = v;
          break;
        case 9:
          stat.flags = v;
          break;
        case 22:
          stat.startTicks = v;
          break;
      }
    } else i++;
  }
  return field >= 22 ? stat : null;
}

/** Real and effective uid from /proc/PID/status, or null. */
export function readUids(pid: number): [number, number] | null {
  const len = readProcFile(pid, "status", 4096);
  if (len <= 0) return null;
  // "Uid:\t<real>\t<effective>\t..."
  for (let i = 0; i + 4 < len; i++) {
    if ((i === 0 || data[i - 1] === 0x0a) && data[i] === 0x55 && data[i + 1] === 0x69 && data[i + 2] === 0x64 && data[i + 3] === 0x3a) {
      let j = i + 4;
      const nums: number[] = [];
      while (nums.length < 2 && j < len) {
        while (j < len && (data[j] === 0x09 || data[j] === 0x20)) j++;
        let v = 0;
        while (j < len && data[j]! >= 48 && data[j]! <= 57) v = v * 10 + (data[j++]! - 48);
        nums.push(v);
      }
      return [nums[0]!, nums[1]!];
    }
  }
  return null;
}

function indexOf(byte: number, from: number, to: number): number {
  for (let i = from; i < to; i++) if (data[i] === byte) return i;
  return -1;
}

/** Clock ticks per second, for /proc start times. */
export const HZ = Number(libc.sysconf(2)) || 100;

/** The readers every exec goes through, and their helper, for limitJit (see src/jit.ts). */
export const PROCFS_FUNCTIONS = [readProcFile, readStat, readUids, setPath];
