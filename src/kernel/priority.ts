import { readFileSync } from "node:fs";
import { libc } from "./libc";

/**
 * How promptly pstat is scheduled decides how many short-lived programs it can still name:
 * their command line must be read from /proc before they exit, often within a millisecond.
 * Under a storm on every core a normal-priority reader comes too late for most of them.
 */

const PRIO_PROCESS = 0;
const SCHED_FIFO = 1;
const HIGHEST_NICE = -20;

/**
 * By default pstat raises its main thread to nice -20 (CFS, so it can never starve
 * anything) unless someone already chose a niceness for it (`nice -n 5 pstat` is left alone).
 */
export function raisePriority(): void {
  if (currentNice() !== 0) return;
  libc.setpriority(PRIO_PROCESS, 0, HIGHEST_NICE); // without CAP_SYS_NICE this fails: carry on as is
}

/** -r: the highest SCHED_FIFO priority, as forkstat's -r. Returns false when not permitted. */
export function setRealtime(): boolean {
  const prio = libc.sched_get_priority_max(SCHED_FIFO);
  return libc.sched_setscheduler(0, SCHED_FIFO, new Int32Array([prio])) === 0;
}

function currentNice(): number {
  try {
    const stat = readFileSync("/proc/thread-self/stat", "latin1");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
  } catch {
    return 0;
  }
}
