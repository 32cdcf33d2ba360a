/**
 * Builds kernel-style TASKSTATS_CMD_NEW messages for tests, field by field, with the
 * struct offsets checked in usage-record.test.ts against the C compiler's.
 */
import {
  GenlBuilder,
  NLA_F_NESTED,
  TASKSTATS_CMD_NEW,
  TASKSTATS_TYPE_AGGR_PID,
  TASKSTATS_TYPE_AGGR_TGID,
  TASKSTATS_TYPE_NULL,
  TASKSTATS_TYPE_PID,
  TASKSTATS_TYPE_STATS,
  TASKSTATS_TYPE_TGID,
} from "../../src/kernel/genetlink";
import { TASKSTATS_OFFSETS } from "../../src/usage/record";

/** Field values by struct taskstats name; ac_comm as a string. Missing fields are 0. */
export type Fields = Partial<Record<string, number | string>>;

/** The 6.18 kernel sends version 16 in 560 bytes. */
export const KERNEL_VERSION = 16;
export const KERNEL_SIZE = 560;

const WIDTH: Record<string, number> = {
  version: 2,
  ac_exitcode: 4,
  ac_flag: 1,
  ac_nice: 1,
  ac_sched: 1,
  ac_uid: 4,
  ac_gid: 4,
  ac_pid: 4,
  ac_ppid: 4,
  ac_btime: 4,
  ac_tgid: 4,
};

export function stats(fields: Fields, size = KERNEL_SIZE): Uint8Array {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  for (const [name, value] of Object.entries(fields)) {
    const at = TASKSTATS_OFFSETS[name];
    if (at === undefined) throw new Error(`no field ${name}`);
    if (at >= size) continue;
    if (name === "ac_comm") {
      b.set(new TextEncoder().encode(String(value)).subarray(0, 32), at);
      continue;
    }
    const n = Number(value);
    switch (WIDTH[name] ?? 8) {
      case 1:
        v.setUint8(at, n);
        break;
      case 2:
        v.setUint16(at, n, true);
        break;
      case 4:
        v.setUint32(at, n >>> 0, true);
        break;
      default:
        v.setUint32(at, n % 4294967296, true);
        v.setUint32(at + 4, Math.floor(n / 4294967296), true);
    }
  }
  return b;
}

export interface MessageSpec {
  familyId?: number;
  pid: number;
  task: Uint8Array;
  /** With a group total (AGGR_TGID). */
  tgid?: number;
  group?: Uint8Array;
  /** Set NLA_F_NESTED on the aggregates, as kernels since 5.2 may. */
  nestedFlag?: boolean;
  /** Put a TASKSTATS_TYPE_NULL attribute first, as kernels on strict-alignment arches do. */
  pad?: boolean;
}

export function exitMessage(s: MessageSpec): Uint8Array {
  const b = new GenlBuilder(2048).begin(s.familyId ?? 31, 0, 0, TASKSTATS_CMD_NEW, 1);
  const flag = s.nestedFlag ? NLA_F_NESTED : 0;
  if (s.pad) b.bytes(TASKSTATS_TYPE_NULL, new Uint8Array(0));
  b.nest(TASKSTATS_TYPE_AGGR_PID, flag).u32(TASKSTATS_TYPE_PID, s.pid).bytes(TASKSTATS_TYPE_STATS, s.task).endNest();
  if (s.group !== undefined) {
    if (s.pad) b.bytes(TASKSTATS_TYPE_NULL, new Uint8Array(0));
    b.nest(TASKSTATS_TYPE_AGGR_TGID, flag)
      .u32(TASKSTATS_TYPE_TGID, s.tgid ?? s.pid)
      .bytes(TASKSTATS_TYPE_STATS, s.group)
      .endNest();
  }
  return b.finish();
}

export function view(msg: Uint8Array): DataView {
  return new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
}
