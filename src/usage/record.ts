/**
 * Decoding of one taskstats exit message (TASKSTATS_CMD_NEW) into a typed record:
 * straight off the receive ring through a DataView, into a reused object.
 */
import { escapeBytes } from "../text/escape";
import {
  AttrCursor,
  GENL_HDRLEN,
  NLA_HDRLEN,
  NLA_TYPE_MASK,
  TASKSTATS_TYPE_AGGR_PID,
  TASKSTATS_TYPE_AGGR_TGID,
  TASKSTATS_TYPE_PID,
  TASKSTATS_TYPE_STATS,
  TASKSTATS_TYPE_TGID,
} from "../kernel/genetlink";
import { NLMSG_HDRLEN } from "../kernel/netlink";

/**
 * struct taskstats as <linux/taskstats.h> (version 13) declares it, in order: name, size,
 * and alignment (8 where the header says __attribute__((aligned(8))) and for every __u64,
 * which x86-64 and arm64 align to 8 anyway). Offsets are worked out below by C's rules,
 * not written by hand. Later versions only append fields.
 */
const FIELDS: readonly (readonly [name: string, size: number, align: number])[] = [
  ["version", 2, 2],
  ["ac_exitcode", 4, 4],
  ["ac_flag", 1, 1],
  ["ac_nice", 1, 1],
  ["cpu_count", 8, 8],
  ["cpu_delay_total", 8, 8],
  ["blkio_count", 8, 8],
  ["blkio_delay_total", 8, 8],
  ["swapin_count", 8, 8],
  ["swapin_delay_total", 8, 8],
  ["cpu_run_real_total", 8, 8],
  ["cpu_run_virtual_total", 8, 8],
  ["ac_comm", 32, 1],
  ["ac_sched", 1, 8],
  ["ac_pad", 3, 1],
  ["ac_uid", 4, 8],
  ["ac_gid", 4, 4],
  ["ac_pid", 4, 4],
  ["ac_ppid", 4, 4],
  ["ac_btime", 4, 4],
  ["ac_etime", 8, 8],
  ["ac_utime", 8, 8],
  ["ac_stime", 8, 8],
  ["ac_minflt", 8, 8],
  ["ac_majflt", 8, 8],
  ["coremem", 8, 8],
  ["virtmem", 8, 8],
  ["hiwater_rss", 8, 8],
  ["hiwater_vm", 8, 8],
  ["read_char", 8, 8],
  ["write_char", 8, 8],
  ["read_syscalls", 8, 8],
  ["write_syscalls", 8, 8],
  ["read_bytes", 8, 8],
  ["write_bytes", 8, 8],
  ["cancelled_write_bytes", 8, 8],
  ["nvcsw", 8, 8],
  ["nivcsw", 8, 8],
  ["ac_utimescaled", 8, 8],
  ["ac_stimescaled", 8, 8],
  ["cpu_scaled_run_real_total", 8, 8],
  ["freepages_count", 8, 8],
  ["freepages_delay_total", 8, 8],
  ["thrashing_count", 8, 8],
  ["thrashing_delay_total", 8, 8],
  ["ac_btime64", 8, 8], // v10
  ["compact_count", 8, 8], // v11
  ["compact_delay_total", 8, 8],
  ["ac_tgid", 4, 4], // v12
  ["ac_tgetime", 8, 8],
  ["ac_exe_dev", 8, 8],
  ["ac_exe_inode", 8, 8],
  ["wpcopy_count", 8, 8], // v13
  ["wpcopy_delay_total", 8, 8],
];

function layout(): { offsets: Record<string, number>; size: number } {
  const offsets: Record<string, number> = {};
  let at = 0;
  let maxAlign = 1;
  for (const [name, size, align] of FIELDS) {
    at = Math.ceil(at / align) * align;
    offsets[name] = at;
    at += size;
    maxAlign = Math.max(maxAlign, align);
  }
  return { offsets, size: Math.ceil(at / maxAlign) * maxAlign };
}

const LAYOUT = layout();
/** Byte offsets of struct taskstats fields (exported for tests and for builders of test messages). */
export const TASKSTATS_OFFSETS: Readonly<Record<string, number>> = LAYOUT.offsets;
/** sizeof(struct taskstats) for the header's version. */
export const TASKSTATS_V13_SIZE = LAYOUT.size;
export const TASKSTATS_HEADER_VERSION = 13;

const O = LAYOUT.offsets;
const OFF_VERSION = O.version!;
const OFF_EXITCODE = O.ac_exitcode!;
const OFF_FLAG = O.ac_flag!;
const OFF_CPU_COUNT = O.cpu_count!;
const OFF_CPU_DELAY = O.cpu_delay_total!;
const OFF_CPU_RUN_VIRTUAL = O.cpu_run_virtual_total!;
const OFF_COMM = O.ac_comm!;
const OFF_PPID = O.ac_ppid!;
const OFF_ETIME = O.ac_etime!;
const OFF_UTIME = O.ac_utime!;
const OFF_STIME = O.ac_stime!;
const OFF_MINFLT = O.ac_minflt!;
const OFF_MAJFLT = O.ac_majflt!;
const OFF_HIWATER_RSS = O.hiwater_rss!;
const OFF_READ_CHAR = O.read_char!;
const OFF_WRITE_CHAR = O.write_char!;
const OFF_READ_BYTES = O.read_bytes!;
const OFF_WRITE_BYTES = O.write_bytes!;
const OFF_NVCSW = O.nvcsw!;
const OFF_NIVCSW = O.nivcsw!;
const OFF_TGID = O.ac_tgid!;
const OFF_TGETIME = O.ac_tgetime!;
/** Every field pstat reads up to nivcsw has been in the struct since long before any kernel pstat runs on. */
const MIN_LENGTH = OFF_NIVCSW + 8;
/** Since version 12: ac_tgid, ac_tgetime, and AGROUP in ac_flag. */
const TGID_VERSION = 12;
const END_V12 = O.ac_exe_inode! + 8;

/** acct.h: the record is for the last task of its thread group (version 12 on). */
export const AGROUP = 0x20;
export const AFORK = 0x01;
export const ASU = 0x02;
export const ACORE = 0x08;
export const AXSIG = 0x10;

const TS_COMM_LEN = 32;

/**
 * What a task (or a whole process) cost, in the units people read: seconds and bytes.
 * A figure the kernel did not give is null, never 0.
 */
export interface Usage {
  /**
   * User and system CPU, seconds: the scheduler's runtime (cpu_run_virtual_total) split in
   * the ratio of the tick samples ac_utime and ac_stime, as getrusage and /proc do it
   * (cputime_adjust). See cpuTime.
   */
  user: number | null;
  system: number | null;
  /** Peak resident set, bytes (hiwater_rss; for a process, its address space's peak). */
  maxRss: number | null;
  /** Storage I/O, bytes (read_bytes, write_bytes). */
  readBytes: number | null;
  writeBytes: number | null;
  /** Bytes passed through read/write-like system calls (read_char, write_char). */
  readChars: number | null;
  writeChars: number | null;
  voluntarySwitches: number | null;
  involuntarySwitches: number | null;
  minorFaults: number | null;
  majorFaults: number | null;
  /** Seconds spent runnable but waiting for a CPU (cpu_delay_total). */
  cpuDelay: number | null;
  /** The wait status the task ended with (code << 8, or the signal), as the proc connector gives it. */
  exitCode: number | null;
  /** Wall time from the task's start to its exit, seconds (for a process: the group's). */
  elapsed: number | null;
  /** ac_comm, raw bytes; `commText` escapes them. */
  readonly comm: Uint8Array;
  commLength: number;
}

export function newUsage(): Usage {
  return {
    user: null,
    system: null,
    maxRss: null,
    readBytes: null,
    writeBytes: null,
    readChars: null,
    writeChars: null,
    voluntarySwitches: null,
    involuntarySwitches: null,
    minorFaults: null,
    majorFaults: null,
    cpuDelay: null,
    exitCode: null,
    elapsed: null,
    comm: new Uint8Array(TS_COMM_LEN),
    commLength: 0,
  };
}

export function clearUsage(u: Usage): Usage {
  u.user = u.system = u.maxRss = null;
  u.readBytes = u.writeBytes = u.readChars = u.writeChars = null;
  u.voluntarySwitches = u.involuntarySwitches = u.minorFaults = u.majorFaults = null;
  u.cpuDelay = u.exitCode = u.elapsed = null;
  u.commLength = 0;
  return u;
}

export function copyUsage(to: Usage, from: Usage): Usage {
  to.user = from.user;
  to.system = from.system;
  to.maxRss = from.maxRss;
  to.readBytes = from.readBytes;
  to.writeBytes = from.writeBytes;
  to.readChars = from.readChars;
  to.writeChars = from.writeChars;
  to.voluntarySwitches = from.voluntarySwitches;
  to.involuntarySwitches = from.involuntarySwitches;
  to.minorFaults = from.minorFaults;
  to.majorFaults = from.majorFaults;
  to.cpuDelay = from.cpuDelay;
  to.exitCode = from.exitCode;
  to.elapsed = from.elapsed;
  if (from.commLength > 0) to.comm.set(from.comm);
  to.commLength = from.commLength;
  return to;
}

/** The task's command name as pstat prints untrusted text. */
export function commText(u: Usage): string {
  return escapeBytes(u.comm, 0, u.commLength);
}

/**
 * One exit message. `task` is the exiting task's own account (TASKSTATS_TYPE_AGGR_PID).
 * When it was the last thread of a multi-threaded process the kernel adds the group's
 * totals (AGGR_TGID): then `hasGroup` and `group` holds them. The kernel sums only CPU,
 * context switches and delays over the group; `group` takes peak RSS, exit status,
 * name and the process's elapsed time from the last thread's account (its address
 * space is the process's), and leaves faults and I/O null (see UsageJoiner, which can
 * add them up from the threads' own records).
 */
export interface UsageRecord {
  pid: number;
  /** The thread group, or 0 when the kernel did not say (before version 12, single task). */
  tgid: number;
  ppid: number;
  /** ac_flag (AFORK, ASU, ACORE, AXSIG, AGROUP). */
  flags: number;
  /** The struct version the kernel sent. */
  version: number;
  /** This task was the last of its thread group: the process is gone (version 12 on; null before). */
  lastInGroup: boolean | null;
  task: Usage;
  hasGroup: boolean;
  group: Usage;
  /** The group's CPU split: µs, kept exact for the joiner's completeness check. */
  groupUserUs: number;
  groupSystemUs: number;
  /** This task's own CPU in µs, for the same check. */
  taskUserUs: number;
  taskSystemUs: number;
}

export function newUsageRecord(): UsageRecord {
  return {
    pid: 0,
    tgid: 0,
    ppid: 0,
    flags: 0,
    version: 0,
    lastInGroup: null,
    task: newUsage(),
    hasGroup: false,
    group: newUsage(),
    groupUserUs: 0,
    groupSystemUs: 0,
    taskUserUs: 0,
    taskSystemUs: 0,
  };
}

/** Why the last `decodeUsageRecord` returned false (for counters and tests). */
export let decodeError = "";

const outer = new AttrCursor();
const inner = new AttrCursor();

/**
 * Decodes the TASKSTATS_CMD_NEW message whose nlmsghdr is at `offset` into `out`.
 * Returns false (and says why in `decodeError`) when the message lacks a task record or
 * its struct is shorter than its version promises. `comm`: read ac_comm too (else
 * commLength is 0; nothing on the exit lines needs it). `all`: every figure; else only
 * what text lines and statistics show, CPU and peak RSS (the rest stays null: only JSON
 * and the summary read it).
 */
export function decodeUsageRecord(view: DataView, offset: number, length: number, out: UsageRecord, comm = true, all = true): boolean {
  const end = Math.min(offset + length, view.byteLength);
  const first = offset + NLMSG_HDRLEN + GENL_HDRLEN;
  // Most records are one task's, laid out one way: AGGR_PID { PID, STATS } and nothing else.
  if (
    end - first >= SHAPE_HEAD &&
    view.getUint16(first, true) === end - first &&
    (view.getUint16(first + 2, true) & NLA_TYPE_MASK) === TASKSTATS_TYPE_AGGR_PID
  ) {
    const statsLen = view.getUint16(first + 12, true) - NLA_HDRLEN;
    if (
      view.getUint32(first + 4, true) === PID_ATTR_HEAD &&
      view.getUint16(first + 14, true) === TASKSTATS_TYPE_STATS &&
      first + SHAPE_HEAD + statsLen === end
    ) {
      return decodeTask(view, view.getUint32(first + 8, true), first + SHAPE_HEAD, statsLen, -1, 0, 0, out, comm, all);
    }
  }
  return decodeAttributes(view, first, end, out, comm, all);
}

/** NLA header of a 4-byte PID attribute (length 8, type PID) as one little-endian word. */
const PID_ATTR_HEAD = 8 | (TASKSTATS_TYPE_PID << 16);
/** AGGR_PID's header, the PID attribute and STATS' header: where the struct starts in the one-task layout. */
const SHAPE_HEAD = NLA_HDRLEN + 8 + NLA_HDRLEN;

/** Any layout the kernel may send: attributes in any order, padding, a group's total. */
function decodeAttributes(view: DataView, first: number, end: number, out: UsageRecord, comm: boolean, all: boolean): boolean {
  let taskAt = -1;
  let taskLen = 0;
  let groupAt = -1;
  let groupLen = 0;
  let pid = -1;
  let tgid = 0;
  outer.reset(view, first, end);
  while (outer.next()) {
    const aggr = outer.type;
    if (aggr !== TASKSTATS_TYPE_AGGR_PID && aggr !== TASKSTATS_TYPE_AGGR_TGID) continue;
    inner.reset(view, outer.offset, outer.offset + outer.length);
    while (inner.next()) {
      if (inner.type === TASKSTATS_TYPE_PID && inner.length >= 4) pid = view.getUint32(inner.offset, true);
      else if (inner.type === TASKSTATS_TYPE_TGID && inner.length >= 4) tgid = view.getUint32(inner.offset, true);
      else if (inner.type === TASKSTATS_TYPE_STATS) {
        if (aggr === TASKSTATS_TYPE_AGGR_PID) {
          taskAt = inner.offset;
          taskLen = inner.length;
        } else {
          groupAt = inner.offset;
          groupLen = inner.length;
        }
      }
    }
  }
  if (taskAt < 0 || pid < 0) return fail("no task record (AGGR_PID with PID and STATS)");
  return decodeTask(view, pid, taskAt, taskLen, groupAt, groupLen, tgid, out, comm, all);
}

/** The record from where its structs lie: the task's, and the group's (groupAt -1: none). */
function decodeTask(
  view: DataView,
  pid: number,
  taskAt: number,
  taskLen: number,
  groupAt: number,
  groupLen: number,
  tgid: number,
  out: UsageRecord,
  comm: boolean,
  all: boolean,
): boolean {
  const version = view.getUint16(taskAt + OFF_VERSION, true);
  if (taskLen < requiredLength(version)) return fail(`taskstats version ${version} in ${taskLen} bytes: too short`);

  out.pid = pid;
  out.version = version;
  out.flags = view.getUint8(taskAt + OFF_FLAG);
  out.ppid = view.getUint32(taskAt + OFF_PPID, true);
  const hasTgid = version >= TGID_VERSION;
  out.lastInGroup = hasTgid ? (out.flags & AGROUP) !== 0 : null;
  out.taskUserUs = u64(view, taskAt + OFF_UTIME);
  out.taskSystemUs = u64(view, taskAt + OFF_STIME);
  readTask(view, taskAt, out.task, out.taskUserUs, out.taskSystemUs, comm, all);

  // The group struct carries no version of its own (the kernel leaves it 0): it has the task's layout.
  out.hasGroup = groupAt >= 0 && groupLen >= requiredLength(version);
  if (out.hasGroup) {
    out.groupUserUs = u64(view, groupAt + OFF_UTIME);
    out.groupSystemUs = u64(view, groupAt + OFF_STIME);
    readGroup(view, groupAt, taskAt, hasTgid, out.group, out.groupUserUs, out.groupSystemUs, comm, all);
  } else {
    out.groupUserUs = out.groupSystemUs = 0;
    clearUsage(out.group);
  }
  // The group's TGID attribute when present; else the struct's (version 12 on); else unknown.
  out.tgid = out.hasGroup && tgid > 0 ? tgid : hasTgid ? view.getUint32(taskAt + OFF_TGID, true) : 0;
  return true;
}

function fail(why: string): false {
  decodeError = why;
  return false;
}

/** How long a struct of this version must be for the fields pstat reads. */
function requiredLength(version: number): number {
  if (version >= TASKSTATS_HEADER_VERSION) return TASKSTATS_V13_SIZE;
  if (version >= TGID_VERSION) return END_V12;
  return MIN_LENGTH;
}

function readTask(view: DataView, at: number, u: Usage, userUs: number, systemUs: number, comm: boolean, all: boolean): void {
  cpuTime(view, at, userUs, systemUs, u);
  u.maxRss = u64(view, at + OFF_HIWATER_RSS) * 1024;
  if (!all) return readName(view, at, u, comm);
  u.readBytes = u64(view, at + OFF_READ_BYTES);
  u.writeBytes = u64(view, at + OFF_WRITE_BYTES);
  u.readChars = u64(view, at + OFF_READ_CHAR);
  u.writeChars = u64(view, at + OFF_WRITE_CHAR);
  u.voluntarySwitches = u64(view, at + OFF_NVCSW);
  u.involuntarySwitches = u64(view, at + OFF_NIVCSW);
  u.minorFaults = u64(view, at + OFF_MINFLT);
  u.majorFaults = u64(view, at + OFF_MAJFLT);
  u.cpuDelay = cpuDelay(view, at);
  u.exitCode = view.getUint32(at + OFF_EXITCODE, true);
  u.elapsed = u64(view, at + OFF_ETIME) / 1e6;
  readName(view, at, u, comm);
}

function readGroup(
  view: DataView,
  at: number,
  taskAt: number,
  hasTgid: boolean,
  u: Usage,
  userUs: number,
  systemUs: number,
  comm: boolean,
  all: boolean,
): void {
  cpuTime(view, at, userUs, systemUs, u);
  // One address space for all threads: the last thread's peak is the process's.
  u.maxRss = u64(view, taskAt + OFF_HIWATER_RSS) * 1024;
  if (!all) return readName(view, taskAt, u, comm);
  u.voluntarySwitches = u64(view, at + OFF_NVCSW);
  u.involuntarySwitches = u64(view, at + OFF_NIVCSW);
  u.cpuDelay = cpuDelay(view, at);
  u.readBytes = u.writeBytes = u.readChars = u.writeChars = null;
  u.minorFaults = u.majorFaults = null;
  u.exitCode = view.getUint32(taskAt + OFF_EXITCODE, true);
  // ac_tgetime: the process's wall time when the record is its last thread's.
  u.elapsed = hasTgid ? u64(view, taskAt + OFF_TGETIME) / 1e6 : null;
  readName(view, taskAt, u, comm);
}

function readName(view: DataView, at: number, u: Usage, comm: boolean): void {
  if (comm) readComm(view, at, u);
  else u.commLength = 0;
}

/**
 * The delay-accounting block (CONFIG_TASK_DELAY_ACCT) is there: cpu_count, the times the
 * task was scheduled, is at least 1 for any task that ran. The run time alone says
 * nothing: a task that lived less than a tick exits with a run time of 0 (see cpuTime).
 */
function hasDelayBlock(view: DataView, at: number): boolean {
  return u64(view, at + OFF_CPU_COUNT) > 0;
}

/** cpu_delay_total, or null when the kernel keeps no delay accounting. */
function cpuDelay(view: DataView, at: number): number | null {
  return hasDelayBlock(view, at) ? u64(view, at + OFF_CPU_DELAY) / 1e9 : null;
}

/**
 * User and system CPU. ac_utime and ac_stime are tick samples (a whole tick goes to
 * whichever task the tick finds running), so a process that ran 1 ms shows 0 or 4 ms.
 * cpu_run_virtual_total is the scheduler's own runtime in ns, the figure getrusage and
 * /proc/PID/stat add up to; it lacks only the task's last stretch since the scheduler
 * last updated it (under one tick: a task that never met a tick or a reschedule exits
 * with 0). It is split in the ticks' ratio, as the kernel does for getrusage
 * (cputime_adjust): all to user when no system tick was seen, all to system when no user
 * tick was. Without delay accounting the ticks are all there is.
 */
function cpuTime(view: DataView, at: number, userUs: number, systemUs: number, u: Usage): void {
  if (!hasDelayBlock(view, at)) {
    u.user = userUs / 1e6;
    u.system = systemUs / 1e6;
    return;
  }
  const total = u64(view, at + OFF_CPU_RUN_VIRTUAL) / 1e9;
  const system = systemUs === 0 ? 0 : userUs === 0 ? total : (total * systemUs) / (userUs + systemUs);
  u.system = system;
  u.user = total - system;
}

function readComm(view: DataView, at: number, u: Usage): void {
  let n = 0;
  for (; n < TS_COMM_LEN; n++) {
    const b = view.getUint8(at + OFF_COMM + n);
    if (b === 0) break;
    u.comm[n] = b;
  }
  u.commLength = n;
}

/** An unsigned 64-bit field as a number, without a BigInt (exact below 2^53). */
function u64(view: DataView, at: number): number {
  return view.getUint32(at + 4, true) * 4294967296 + view.getUint32(at, true);
}

/** The usage object of an exit event in pstat's JSON (issue 15's field names). */
export function usageJson(u: Usage): string {
  return (
    `{"user":${num(u.user, 6)},"system":${num(u.system, 6)},"max_rss":${num(u.maxRss)}` +
    `,"read_bytes":${num(u.readBytes)},"write_bytes":${num(u.writeBytes)}` +
    `,"read_chars":${num(u.readChars)},"write_chars":${num(u.writeChars)}` +
    `,"voluntary_switches":${num(u.voluntarySwitches)},"involuntary_switches":${num(u.involuntarySwitches)}` +
    `,"minor_faults":${num(u.minorFaults)},"major_faults":${num(u.majorFaults)},"cpu_delay":${num(u.cpuDelay, 9)}}`
  );
}

function num(v: number | null, digits?: number): string {
  if (v === null) return "null";
  return digits === undefined ? String(v) : String(Number(v.toFixed(digits)));
}

/** The functions an exit record passes through, for limitJit (see src/jit.ts). */
export const DECODE_FUNCTIONS = [
  decodeUsageRecord,
  decodeAttributes,
  decodeTask,
  newUsage,
  requiredLength,
  readTask,
  readGroup,
  cpuTime,
  cpuDelay,
  hasDelayBlock,
  readComm,
  readName,
  u64,
  copyUsage,
  clearUsage,
];
