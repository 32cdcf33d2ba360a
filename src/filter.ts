import type { ProcInfo } from "./proc/table";

/**
 * The set of processes under watch for --pid and command mode: the roots and every
 * descendant, kept up to date from fork and exit events (so daemonised grandchildren,
 * reparented to PID 1, still count). Holds thread-group ids.
 */
export class Subtree {
  private readonly members = new Set<number>();

  constructor(readonly roots: number[]) {
    for (const r of roots) this.members.add(r);
  }

  /** Adds every existing descendant of the roots, from the parent links read at start. */
  adopt(tasks: Iterable<[number, ProcInfo]>): void {
    const children = new Map<number, number[]>();
    for (const [pid, p] of tasks) {
      if (p.kthread) continue;
      let list = children.get(p.ppid);
      if (list === undefined) children.set(p.ppid, (list = []));
      list.push(pid);
    }
    const queue = [...this.roots];
    while (queue.length > 0) {
      for (const c of children.get(queue.pop()!) ?? []) {
        if (!this.members.has(c)) {
          this.members.add(c);
          queue.push(c);
        }
      }
    }
  }

  add(tgid: number): void {
    this.members.add(tgid);
  }

  has(tgid: number): boolean {
    return this.members.has(tgid);
  }

  /** A new process joins when the process it came from is a member. */
  fork(originTgid: number, child: number): void {
    if (this.members.has(originTgid)) this.members.add(child);
  }

  exit(pid: number): void {
    this.members.delete(pid);
  }
}

export interface FilterOptions {
  pgrp: number | null;
  uid: number | null;
  comm: RegExp | null;
  subtree: Subtree | null;
}

/** Filters on the process an event is about (the event kind is filtered earlier). */
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
