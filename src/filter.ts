import {
  cgroupPredicate,
  ContextFilter,
  containerPredicate,
  excludeCommPredicate,
  excludePidPredicate,
  excludeUserPredicate,
  type Predicate,
  type Subject,
  unitPredicate,
} from "./context/filters";
import { type ProcInfo, UNKNOWN_NAME } from "./proc/table";
import type { Subtree } from "./track/subtree";

export interface FilterOptions {
  pgrp: number | null;
  uid: number | null;
  comm: RegExp | null;
  subtree: Subtree | null;
  /** Where a process runs (its cgroup, read by the process table when the plan says so). */
  containers: string[] | null;
  cgroup: RegExp | null;
  units: string[] | null;
  /** Exclusions; `excluded` is the --exclude-pid subtree, followed by the tracker. */
  excludeComm: RegExp | null;
  excluded: Subtree | null;
  excludeUsers: number[] | null;
  excludeCgroup: RegExp | null;
}

/** Filters on the process an event is about (the event kind is filtered earlier, in the tracker). */
export class ProcessFilter {
  readonly active: boolean;
  private readonly context: ContextFilter | null;
  /** What the context filters are shown of the process, refilled for each event. */
  private readonly subject: Subject = { tgid: 0, name: null, uid: null, euid: null };

  constructor(private readonly o: FilterOptions) {
    const list: Predicate[] = [];
    if (o.containers !== null) list.push(containerPredicate(o.containers));
    if (o.cgroup !== null) list.push(cgroupPredicate([o.cgroup], false));
    if (o.units !== null) list.push(unitPredicate(o.units));
    if (o.excludeComm !== null) list.push(excludeCommPredicate(o.excludeComm));
    if (o.excluded !== null) list.push(excludePidPredicate(o.excluded));
    if (o.excludeUsers !== null) list.push(excludeUserPredicate(o.excludeUsers));
    if (o.excludeCgroup !== null) list.push(cgroupPredicate([o.excludeCgroup], true));
    this.context = list.length > 0 ? new ContextFilter(list) : null;
    this.active = o.pgrp !== null || o.uid !== null || o.comm !== null || o.subtree !== null || this.context !== null;
  }

  wanted(p: ProcInfo, tgid: number): boolean {
    const o = this.o;
    if (o.subtree !== null && !o.subtree.has(tgid)) return false;
    if (o.pgrp !== null && p.pgrp !== o.pgrp) return false;
    if (o.uid !== null && p.uid !== o.uid && p.euid !== o.uid) return false;
    if (o.comm !== null && !o.comm.test(p.name)) return false;
    if (this.context !== null) {
      const s = this.subject;
      s.tgid = tgid;
      s.name = p.name === UNKNOWN_NAME ? null : p.name;
      s.uid = p.uid;
      s.euid = p.euid;
      if (!this.context.wanted(s, p.ctx)) return false;
    }
    return true;
  }
}
