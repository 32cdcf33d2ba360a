import { describe, expect, test } from "bun:test";
import {
  AGROUP,
  AXSIG,
  commText,
  decodeError,
  decodeUsageRecord,
  newUsageRecord,
  TASKSTATS_OFFSETS,
  TASKSTATS_V13_SIZE,
  usageJson,
} from "../../src/usage/record";
import { exitMessage, KERNEL_VERSION, stats, view } from "./taskstats-message";

// offsetof() of every field of struct taskstats in /usr/include/linux/taskstats.h
// (version 13), as gcc on x86-64 computed it (a C program printing offsetof and sizeof).
const GCC_OFFSETS: Record<string, number> = {
  version: 0,
  ac_exitcode: 4,
  ac_flag: 8,
  ac_nice: 9,
  cpu_count: 16,
  cpu_delay_total: 24,
  blkio_count: 32,
  blkio_delay_total: 40,
  swapin_count: 48,
  swapin_delay_total: 56,
  cpu_run_real_total: 64,
  cpu_run_virtual_total: 72,
  ac_comm: 80,
  ac_sched: 112,
  ac_pad: 113,
  ac_uid: 120,
  ac_gid: 124,
  ac_pid: 128,
  ac_ppid: 132,
  ac_btime: 136,
  ac_etime: 144,
  ac_utime: 152,
  ac_stime: 160,
  ac_minflt: 168,
  ac_majflt: 176,
  coremem: 184,
  virtmem: 192,
  hiwater_rss: 200,
  hiwater_vm: 208,
  read_char: 216,
  write_char: 224,
  read_syscalls: 232,
  write_syscalls: 240,
  read_bytes: 248,
  write_bytes: 256,
  cancelled_write_bytes: 264,
  nvcsw: 272,
  nivcsw: 280,
  ac_utimescaled: 288,
  ac_stimescaled: 296,
  cpu_scaled_run_real_total: 304,
  freepages_count: 312,
  freepages_delay_total: 320,
  thrashing_count: 328,
  thrashing_delay_total: 336,
  ac_btime64: 344,
  compact_count: 352,
  compact_delay_total: 360,
  ac_tgid: 368,
  ac_tgetime: 376,
  ac_exe_dev: 384,
  ac_exe_inode: 392,
  wpcopy_count: 400,
  wpcopy_delay_total: 408,
};

describe("struct taskstats layout", () => {
  test("offsets worked out from the field list match the C compiler's", () => {
    expect(TASKSTATS_OFFSETS).toEqual(GCC_OFFSETS);
    expect(TASKSTATS_V13_SIZE).toBe(416);
  });
});

/** A task as the 6.18 kernel reported `sh -c 'exit 3'` (values changed to be distinct). */
const SH = {
  version: KERNEL_VERSION,
  ac_exitcode: 768,
  ac_flag: AGROUP,
  ac_comm: "sh",
  ac_pid: 4242,
  ac_ppid: 4200,
  ac_tgid: 4242,
  ac_etime: 719,
  ac_tgetime: 719,
  ac_utime: 310_000,
  ac_stime: 20_000,
  hiwater_rss: 106_496, // KiB
  read_bytes: 4096,
  write_bytes: 10 * 1048576,
  read_char: 12345,
  write_char: 10 * 1048576 + 7,
  nvcsw: 11,
  nivcsw: 3,
  ac_minflt: 26_000,
  ac_majflt: 2,
  cpu_count: 40,
  cpu_delay_total: 1_500_000,
  cpu_run_virtual_total: 330_000_000,
};

describe("decodeUsageRecord", () => {
  test("a single task: every figure in seconds and bytes", () => {
    const msg = exitMessage({ pid: 4242, task: stats(SH) });
    const r = newUsageRecord();
    expect(decodeUsageRecord(view(msg), 0, msg.length, r)).toBe(true);
    expect([r.pid, r.tgid, r.ppid, r.version, r.lastInGroup, r.hasGroup]).toEqual([4242, 4242, 4200, 16, true, false]);
    const u = r.task;
    expect(u.user).toBeCloseTo(0.31, 9);
    expect(u.system).toBeCloseTo(0.02, 9);
    expect(u.maxRss).toBe(106_496 * 1024);
    expect([u.readBytes, u.writeBytes, u.readChars, u.writeChars]).toEqual([4096, 10485760, 12345, 10485767]);
    expect([u.voluntarySwitches, u.involuntarySwitches, u.minorFaults, u.majorFaults]).toEqual([11, 3, 26000, 2]);
    expect(u.cpuDelay).toBeCloseTo(0.0015, 12);
    expect(u.exitCode).toBe(768);
    expect(u.elapsed).toBeCloseTo(0.000719, 12);
    expect(commText(u)).toBe("sh");
    expect(r.group.user).toBeNull();
  });

  test("only CPU and peak RSS (text lines, statistics, top): the same figures, every other one null", () => {
    const task = stats({ ...SH, ac_pid: 4245, ac_flag: AGROUP });
    const group = stats({ version: 0, ac_utime: 51_956, ac_stime: 427_966, nvcsw: 9, cpu_count: 120, cpu_run_virtual_total: 474_136_810 });
    for (const msg of [exitMessage({ pid: 4242, task: stats(SH) }), exitMessage({ pid: 4245, task, tgid: 4242, group })]) {
      const all = newUsageRecord();
      const lean = newUsageRecord();
      expect(decodeUsageRecord(view(msg), 0, msg.length, all, true)).toBe(true);
      expect(decodeUsageRecord(view(msg), 0, msg.length, lean, true, false)).toBe(true);
      for (const [a, l] of [
        [all.task, lean.task],
        [all.group, lean.group],
      ] as const) {
        expect([l.user, l.system, l.maxRss, commText(l)]).toEqual([a.user, a.system, a.maxRss, commText(a)]);
        const rest = [
          l.readBytes,
          l.writeBytes,
          l.readChars,
          l.writeChars,
          l.voluntarySwitches,
          l.involuntarySwitches,
          l.minorFaults,
          l.majorFaults,
          l.cpuDelay,
          l.exitCode,
          l.elapsed,
        ];
        expect(rest).toEqual(rest.map(() => null));
      }
      expect({ ...lean, task: null, group: null }).toEqual({ ...all, task: null, group: null });
    }
  });

  test("the one-task layout, read at fixed places, decodes as the attribute walk does", () => {
    // pad: a NULL attribute first, which only the walk accepts.
    for (const [fields, size] of [
      [SH, undefined],
      [{ ...SH, version: 10 }, 352],
      [{ ...SH, cpu_count: 0, ac_comm: "a\x01b" }, undefined],
    ] as const) {
      const direct = newUsageRecord();
      const walked = newUsageRecord();
      const plain = exitMessage({ pid: 31337, task: stats(fields, size) });
      const padded = exitMessage({ pid: 31337, task: stats(fields, size), pad: true });
      expect(decodeUsageRecord(view(plain), 0, plain.length, direct)).toBe(true);
      expect(decodeUsageRecord(view(padded), 0, padded.length, walked)).toBe(true);
      expect(direct).toEqual(walked);
      expect(direct.pid).toBe(31337);
    }
  });

  test("the message may sit anywhere in the ring", () => {
    const msg = exitMessage({ pid: 4242, task: stats(SH) });
    const ring = new Uint8Array(4096);
    ring.set(msg, 1000);
    const r = newUsageRecord();
    expect(decodeUsageRecord(new DataView(ring.buffer), 1000, msg.length, r)).toBe(true);
    expect(r.pid).toBe(4242);
    expect(r.task.maxRss).toBe(106_496 * 1024);
  });

  test("64-bit counters above 2^32 come out exact", () => {
    const big = 5 * 2 ** 40 + 123; // 5 TiB and change
    const msg = exitMessage({ pid: 1, task: stats({ ...SH, write_bytes: big, read_char: 2 ** 52 + 1 }) });
    const r = newUsageRecord();
    decodeUsageRecord(view(msg), 0, msg.length, r);
    expect(r.task.writeBytes).toBe(big);
    expect(r.task.readChars).toBe(2 ** 52 + 1);
  });

  test("the last thread of a group: the group's CPU, the thread's peak RSS, no faults or I/O", () => {
    const thread = stats({
      ...SH,
      ac_pid: 4245,
      ac_flag: AGROUP | AXSIG,
      ac_comm: "worker",
      ac_utime: 4000,
      ac_stime: 92000,
      ac_exitcode: 1536,
      ac_tgetime: 238_058,
    });
    // As 6.18 sends it: the group struct has version 0, no comm, no RSS, summed CPU, switches and delays.
    const group = stats({
      version: 0,
      ac_utime: 51_956,
      ac_stime: 427_966,
      nvcsw: 9,
      nivcsw: 4,
      cpu_count: 120,
      cpu_delay_total: 475_753_638,
      cpu_run_virtual_total: 474_136_810,
      ac_etime: 950_056,
    });
    const msg = exitMessage({ pid: 4245, task: thread, tgid: 4242, group });
    const r = newUsageRecord();
    expect(decodeUsageRecord(view(msg), 0, msg.length, r)).toBe(true);
    expect([r.pid, r.tgid, r.lastInGroup, r.hasGroup]).toEqual([4245, 4242, true, true]);
    expect(r.flags & AXSIG).toBe(AXSIG);
    expect(r.task.user! + r.task.system!).toBeCloseTo(0.33, 9); // the thread's own runtime
    const g = r.group;
    expect(g.user! + g.system!).toBeCloseTo(0.47413681, 9);
    expect(g.system).toBeCloseTo((0.47413681 * 427_966) / (51_956 + 427_966), 9);
    expect([r.groupUserUs, r.groupSystemUs, r.taskUserUs, r.taskSystemUs]).toEqual([51956, 427966, 4000, 92000]);
    expect([g.voluntarySwitches, g.involuntarySwitches]).toEqual([9, 4]);
    expect(g.cpuDelay).toBeCloseTo(0.475753638, 12);
    expect(g.maxRss).toBe(106_496 * 1024);
    expect([g.readBytes, g.writeBytes, g.readChars, g.writeChars, g.minorFaults, g.majorFaults]).toEqual([null, null, null, null, null, null]);
    expect(g.exitCode).toBe(1536);
    expect(g.elapsed).toBeCloseTo(0.238058, 9); // the process's wall time, not the sum of its threads'
    expect(commText(g)).toBe("worker");
  });

  test("aggregates flagged NLA_F_NESTED and TASKSTATS_TYPE_NULL padding decode the same", () => {
    const group = stats({ ac_utime: 1, ac_stime: 2 });
    const msg = exitMessage({ pid: 7, task: stats({ ...SH, ac_pid: 7, ac_tgid: 7 }), tgid: 7, group, nestedFlag: true, pad: true });
    const r = newUsageRecord();
    expect(decodeUsageRecord(view(msg), 0, msg.length, r)).toBe(true);
    expect([r.pid, r.tgid, r.hasGroup, r.groupSystemUs]).toEqual([7, 7, true, 2]);
  });

  test("a leader that leaves before its threads: not the last of its group", () => {
    const msg = exitMessage({ pid: 4242, task: stats({ ...SH, ac_flag: 0 }) });
    const r = newUsageRecord();
    decodeUsageRecord(view(msg), 0, msg.length, r);
    expect(r.lastInGroup).toBe(false);
  });

  test("CPU is the scheduler's runtime, split in the ratio of the tick samples (as getrusage does)", () => {
    const msg = exitMessage({ pid: 1, task: stats({ ...SH, ac_utime: 300_000, ac_stime: 100_000, cpu_run_virtual_total: 312_345_678 }) });
    const r = newUsageRecord();
    decodeUsageRecord(view(msg), 0, msg.length, r);
    expect(r.task.user! + r.task.system!).toBeCloseTo(0.312345678, 12);
    expect(r.task.system).toBeCloseTo(0.312345678 / 4, 12);
    expect([r.taskUserUs, r.taskSystemUs]).toEqual([300_000, 100_000]); // the ticks stay for the joiner's check
  });

  test("a task shorter than a tick: no tick samples, its runtime goes to user time", () => {
    const msg = exitMessage({ pid: 1, task: stats({ ...SH, ac_utime: 0, ac_stime: 0, cpu_count: 1, cpu_run_virtual_total: 731_000 }) });
    const r = newUsageRecord();
    decodeUsageRecord(view(msg), 0, msg.length, r);
    expect(r.task.user).toBeCloseTo(0.000731, 12);
    expect(r.task.system).toBe(0);
  });

  test("only system ticks: the runtime is all system time", () => {
    const msg = exitMessage({ pid: 1, task: stats({ ...SH, ac_utime: 0, ac_stime: 8000, cpu_run_virtual_total: 9_000_000 }) });
    const r = newUsageRecord();
    decodeUsageRecord(view(msg), 0, msg.length, r);
    expect([r.task.user, r.task.system]).toEqual([0, 0.009]);
  });

  test("a task that ran but whose runtime was never updated (no tick, no reschedule) shows 0, with its delay", () => {
    const msg = exitMessage({ pid: 1, task: stats({ ...SH, ac_utime: 0, ac_stime: 0, cpu_count: 1, cpu_run_virtual_total: 0, cpu_delay_total: 66_450 }) });
    const r = newUsageRecord();
    decodeUsageRecord(view(msg), 0, msg.length, r);
    expect([r.task.user, r.task.system]).toEqual([0, 0]);
    expect(r.task.cpuDelay).toBeCloseTo(0.00006645, 12);
  });

  test("no delay accounting in the kernel (the block is all zero): the ticks give the CPU, cpu_delay is null, not 0", () => {
    const msg = exitMessage({ pid: 1, task: stats({ ...SH, cpu_count: 0, cpu_delay_total: 0, cpu_run_virtual_total: 0 }) });
    const r = newUsageRecord();
    decodeUsageRecord(view(msg), 0, msg.length, r);
    expect(r.task.cpuDelay).toBeNull();
    expect(r.task.user).toBeCloseTo(0.31, 9);
  });

  test("a task that never waited for a CPU has cpu_delay 0", () => {
    const msg = exitMessage({ pid: 1, task: stats({ ...SH, cpu_delay_total: 0 }) });
    const r = newUsageRecord();
    decodeUsageRecord(view(msg), 0, msg.length, r);
    expect(r.task.cpuDelay).toBe(0);
  });

  test("a group total without tick samples (kernels that summed only the delay block): its runtime, as user time", () => {
    const group = stats({ cpu_count: 9, cpu_run_virtual_total: 5e8, cpu_run_real_total: 5e8 });
    const msg = exitMessage({ pid: 5, task: stats({ ...SH, ac_pid: 5, ac_tgid: 4 }), tgid: 4, group });
    const r = newUsageRecord();
    decodeUsageRecord(view(msg), 0, msg.length, r);
    expect([r.group.user, r.group.system]).toEqual([0.5, 0]);
  });

  test("older versions: version 10 in its 352 bytes, no tgid (0) and no AGROUP (null)", () => {
    const msg = exitMessage({ pid: 900, task: stats({ ...SH, version: 10 }, 352) });
    const r = newUsageRecord();
    expect(decodeUsageRecord(view(msg), 0, msg.length, r)).toBe(true);
    expect([r.pid, r.tgid, r.lastInGroup, r.version]).toEqual([900, 0, null, 10]);
    expect(r.task.user).toBeCloseTo(0.31, 9);
    expect(r.task.writeBytes).toBe(10 * 1048576);
  });

  test("a struct shorter than its version promises is refused", () => {
    const r = newUsageRecord();
    for (const [version, size] of [
      [16, 400],
      [13, 408],
      [12, 392],
      [10, 280],
    ] as const) {
      const msg = exitMessage({ pid: 1, task: stats({ ...SH, version }, size) });
      expect(decodeUsageRecord(view(msg), 0, msg.length, r)).toBe(false);
      expect(decodeError).toContain("too short");
    }
    for (const [version, size] of [
      [13, 416],
      [12, 400],
      [9, 288],
    ] as const) {
      const msg = exitMessage({ pid: 1, task: stats({ ...SH, version }, size) });
      expect(decodeUsageRecord(view(msg), 0, msg.length, r)).toBe(true);
    }
  });

  test("a group struct too short is left out, the task record still decodes", () => {
    const msg = exitMessage({ pid: 5, task: stats(SH), tgid: 5, group: stats({ ac_utime: 1 }, 100) });
    const r = newUsageRecord();
    expect(decodeUsageRecord(view(msg), 0, msg.length, r)).toBe(true);
    expect(r.hasGroup).toBe(false);
  });

  test("a message without a task record is refused", () => {
    const r = newUsageRecord();
    const truncated = exitMessage({ pid: 5, task: stats(SH) }).slice(0, 40);
    new DataView(truncated.buffer).setUint32(0, 40, true);
    expect(decodeUsageRecord(view(truncated), 0, truncated.length, r)).toBe(false);
    expect(decodeError).toContain("no task record");
  });

  test("a name with control characters is escaped when shown", () => {
    const msg = exitMessage({ pid: 5, task: stats({ ...SH, ac_comm: "a\x1b[31mb" }) });
    const r = newUsageRecord();
    decodeUsageRecord(view(msg), 0, msg.length, r);
    expect(commText(r.task)).toBe("a\\x1b[31mb");
  });

  test("decoding reuses the record it is given", () => {
    const r = newUsageRecord();
    const task = r.task;
    const a = exitMessage({ pid: 1, task: stats({ ...SH, ac_comm: "longer-name" }) });
    const b = exitMessage({ pid: 2, task: stats({ ...SH, ac_comm: "ab" }) });
    decodeUsageRecord(view(a), 0, a.length, r);
    decodeUsageRecord(view(b), 0, b.length, r);
    expect(r.task).toBe(task);
    expect(commText(r.task)).toBe("ab");
  });

  test("JSON uses the issue's field names, null for what is missing", () => {
    const msg = exitMessage({ pid: 4242, task: stats({ ...SH, cpu_count: 0, cpu_delay_total: 0, cpu_run_virtual_total: 0 }) });
    const r = newUsageRecord();
    decodeUsageRecord(view(msg), 0, msg.length, r);
    expect(JSON.parse(usageJson(r.task))).toEqual({
      user: 0.31,
      system: 0.02,
      max_rss: 106_496 * 1024,
      read_bytes: 4096,
      write_bytes: 10485760,
      read_chars: 12345,
      write_chars: 10485767,
      voluntary_switches: 11,
      involuntary_switches: 3,
      minor_faults: 26000,
      major_faults: 2,
      cpu_delay: null,
    });
  });
});
