import type { ProcInfo } from "./proc/table";
import type { Subtree } from "./track/subtree";

export interface FilterOptions {
  pgrp: number | null;
  uid: number | null;
  comm: RegExp | null;
  subtree: Subtree | null;
}

/** Filters on the process an event is about (the event kind is filtered earlier, in the tracker). */
export class ProcessFilter {
  readonly active: boolean;

  constructor(private readonly o: FilterOptions) {
    this.active = o.pgrp !== null || o.uid !== null || o.comm !== null || o.subtree !== null;
  }

  wanted(p: ProcInfo, tgid: number): boolean {
    const o = this.o;
    if (o.subtree !== null && !o.subtree.has(tgid)) return false;
    if (o.pgrp !== null && p.pgrp !== o.pgrp) return false;
    if (o.uid !== null && p.uid !== o.uid && p.euid !== o.uid) return false;
    if (o.comm !== null && !o.comm.test(p.name)) return false;
    return true;
  }
}
