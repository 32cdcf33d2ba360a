/**
 * A set of processes and all their descendants, existing and new, kept up to date from fork
 * and exit events (so a daemonised grandchild, reparented to PID 1, stays in). Holds
 * thread-group ids. Used by --exclude-pid; the membership rules are those of Subtree in
 * src/filter.ts (--pid), on a structural task type so it needs nothing from the table.
 */
export interface TaskLink {
  ppid: number;
  kthread: boolean;
}

export class ProcessSubtree {
  private readonly members = new Set<number>();

  constructor(readonly roots: readonly number[]) {
    for (const r of roots) this.members.add(r);
  }

  /** Adds every existing descendant of the roots, from the parent links read at start. */
  adopt(tasks: Iterable<readonly [number, TaskLink]>): void {
    const children = new Map<number, number[]>();
    for (const [pid, t] of tasks) {
      if (t.kthread) continue;
      let list = children.get(t.ppid);
      if (list === undefined) children.set(t.ppid, (list = []));
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

  has(tgid: number): boolean {
    return this.members.has(tgid);
  }

  /** A new process joins when the process it came from is a member. */
  fork(originTgid: number, child: number): void {
    if (this.members.has(originTgid)) this.members.add(child);
  }

  /** Forgets a process at its exit, so a later process given the same PID is not a member. */
  exit(tgid: number): void {
    this.members.delete(tgid);
  }

  get size(): number {
    return this.members.size;
  }
}
