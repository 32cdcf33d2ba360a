import { Clock } from "./clock";
import { Decoder } from "./events/decoder";
import { ProcessFilter } from "./filter";
import { ProcConnector } from "./kernel/connector";
import { clockNs } from "./kernel/libc";
import { Sleeper } from "./kernel/sleeper";
import { PROCFS_FUNCTIONS } from "./proc/procfs";
import { ProcessTable, TABLE_FUNCTIONS } from "./proc/table";
import { EventPump } from "./pump";
import { EventSource, nextPumpInterval } from "./source/event-source";
import { decodeStatus } from "./format/signals";
import { ESCAPE_FUNCTIONS } from "./text/escape";
import { Subtree } from "./track/subtree";
import { ThreadGroups } from "./track/thread-groups";
import { Tracker } from "./track/tracker";

/**
 * The code every event passes through, in the event log and pstat top alike, for
 * limitJit (src/jit.ts): a module left out of this list gets compiled by the top tier
 * during a storm, which costs more than it saves.
 */
export const PIPELINE_HOT_CODE = [
  EventSource,
  nextPumpInterval,
  ProcConnector,
  Sleeper,
  Decoder,
  EventPump,
  Tracker,
  ThreadGroups,
  Subtree,
  ProcessFilter,
  ProcessTable,
  Clock,
  clockNs,
  ...ESCAPE_FUNCTIONS,
  decodeStatus,
  ...PROCFS_FUNCTIONS,
  ...TABLE_FUNCTIONS,
] as const;
