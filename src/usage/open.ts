/**
 * Task accounting joined to an event pipeline, the same way for the event log (--usage,
 * --summary) and `pstat top`: the subscription, and the per-event hook that keeps the
 * usage stage told of the exits that went by.
 */
import type { ProcEvent } from "../events/types";
import { limitJit } from "../jit";
import { AttrCursor, MessageCursor } from "../kernel/genetlink";
import { TaskstatsSocket } from "../kernel/taskstats";
import { PidMap } from "../pid-map";
import { type UsageOpen, UsageSource } from "../source/usage-source";
import { JOIN_FUNCTIONS, UsageJoiner } from "./join";
import { DECODE_FUNCTIONS } from "./record";
import { UsageStage } from "./stage";

/**
 * Subscribes to the kernel's per-task accounting records, or says in one sentence why
 * they cannot be had (no privilege, no CONFIG_TASKSTATS, a container). `onLost`: the
 * kernel dropped records; `comm`: decode each task's name too.
 */
export function openUsageSource(onLost: () => void, comm: boolean, all: boolean): UsageOpen {
  limitJit(UsageSource, UsageStage, UsageJoiner, PidMap, TaskstatsSocket, MessageCursor, AttrCursor, ...DECODE_FUNCTIONS, ...JOIN_FUNCTIONS);
  return UsageSource.open(onLost, comm, all);
}

/**
 * The pump's per-event hook when a usage stage follows the tracker: `apply` (the
 * tracker's), then each thread exit that went by is told to the stage, so that its record
 * is not kept waiting for a line that will not come.
 */
export function applyThenPass(apply: (e: ProcEvent) => void, stage: UsageStage): (e: ProcEvent) => void {
  const hook = (e: ProcEvent): void => {
    apply(e);
    if (e.kind === "exit" && e.pid !== e.tgid) stage.passed(e.pid, e.tgid);
  };
  limitJit(apply, hook); // called per event, like the methods (see src/jit.ts)
  return hook;
}
