import { dlopen, FFIType, read } from "bun:ffi";
import { libcName } from "./libc-name";

const { i32, u32, i64, u64, ptr } = FFIType;

/**
 * The libc calls pstat needs, bound once. Every call here is a plain syscall wrapper;
 * failures come back as -1 with the reason in errno(), read straight after the call on
 * the same thread.
 */
const lib = dlopen(libcName(), {
  socket: { args: [i32, i32, i32], returns: i32 },
  bind: { args: [i32, ptr, u32], returns: i32 },
  setsockopt: { args: [i32, i32, i32, ptr, u32], returns: i32 },
  getsockopt: { args: [i32, i32, i32, ptr, ptr], returns: i32 },
  // ssize_t results are declared i32: pstat's sizes are small, and a 32-bit result stays a
  // plain number instead of a BigInt per call.
  send: { args: [i32, ptr, u32, i32], returns: i32 },
  recvmmsg: { args: [i32, ptr, u32, i32, ptr], returns: i32 },
  poll: { args: [ptr, u32, i32], returns: i32 },
  close: { args: [i32], returns: i32 },
  open: { args: [ptr, i32], returns: i32 },
  read: { args: [i32, ptr, u32], returns: i32 },
  write: { args: [i32, ptr, u32], returns: i32 },
  readlink: { args: [ptr, ptr, u32], returns: i32 },
  isatty: { args: [i32], returns: i32 },
  fcntl: { args: [i32, i32, i32], returns: i32 },
  ioctl: { args: [i32, u64, ptr], returns: i32 },
  clock_gettime: { args: [i32, ptr], returns: i32 },
  sched_get_priority_max: { args: [i32], returns: i32 },
  sched_setscheduler: { args: [i32, i32, ptr], returns: i32 },
  setpriority: { args: [i32, i32, i32], returns: i32 },
  // Only for calls libc has no wrapper for in every version pstat runs on (sched_setattr).
  syscall: { args: [i64, i32, ptr, u32], returns: i64 },
  sysconf: { args: [i32], returns: i64 },
  __errno_location: { args: [], returns: ptr },
});

export const libc = lib.symbols;

export function errno(): number {
  return read.i32(libc.__errno_location()!, 0);
}

export const POLLIN = 1;
export const POLLOUT = 4;

export const EINTR = 4;
export const EAGAIN = 11;
export const EPERM = 1;
export const EACCES = 13;
export const ENOBUFS = 105;
export const EPIPE = 32;

const ERRNO_NAMES: Record<number, string> = {
  1: "operation not permitted",
  2: "no such file or directory",
  5: "input/output error",
  9: "bad file descriptor",
  13: "permission denied",
  22: "invalid argument",
  28: "no space left on device",
  32: "broken pipe",
  93: "protocol not supported",
  97: "address family not supported",
  105: "no buffer space available",
  122: "disk quota exceeded",
};

export function strerror(code: number): string {
  return ERRNO_NAMES[code] ?? `errno ${code}`;
}

const timespec = new BigInt64Array(2);
// Read through 32-bit words: no BigInt per reading (seconds since boot fit in 32 bits).
const timespecWords = new Uint32Array(timespec.buffer);
export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_BOOTTIME = 7;

/**
 * Nanoseconds on the given clock, as a double: exact for CLOCK_MONOTONIC (well within
 * 2^53), to a few hundred nanoseconds for CLOCK_REALTIME (about 1.8e18 ns since 1970).
 */
export function clockNs(clock: number): number {
  libc.clock_gettime(clock, timespec);
  return (timespecWords[1]! * 4294967296 + timespecWords[0]!) * 1e9 + timespecWords[2]!;
}
