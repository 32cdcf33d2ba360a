/** What adopt() needs of a task: its parent, and whether it is a kernel thread. */
export interface TaskLink {
  ppid: number;
  kthread: boolean;
}

/**
 * A set of processes and every descendant, existing and new, kept up to date from fork
 * and exit events (so daemonised grandchildren, reparented to PID 1, still count). Holds
 * thread-group ids. --pid and command mode follow one; --exclude-pid drops one.
 */
export class Subtree {
  private readonly members = new Set<number>();

  constructor(readonly roots: readonly number[]) {
    for (const r of roots) this.members.add(r);
  }

  /** Adds every existing descendant of the roots, from the parent links read at start. */
  adopt(tasks: Iterable<readonly [number, TaskLink]>): void {
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

  /** How many member processes are alive. */
  get size(): number {
    return this.members.size;
  }

  /** A new process joins when the process it came from is a member. */
  fork(originTgid: number, child: number): void {
    if (this.members.has(originTgid)) this.members.add(child);
  }

  /** Drops members that `alive` says are gone (their exit events were lost). */
  prune(alive: (tgid: number) => boolean): void {
    for (const tgid of [...this.members]) if (!alive(tgid)) this.members.delete(tgid);
  }

  /** A member's whole thread group has ended: a later process given its PID is no member. */
  exit(tgid: number): void {
    this.members.delete(tgid);
  }
}
