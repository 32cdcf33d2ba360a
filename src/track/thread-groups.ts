/**
 * Live threads per thread group, so that a process ends when its whole group does, not
 * when its leader's PID reports an exit. Two cases make those differ: the main thread
 * ends first (pthread_exit, or the order in which exit_group's threads finish), and a
 * thread other than the leader calls exec, where the kernel reports an exit of the
 * leader's PID and then the exec under that same PID.
 */
export class ThreadGroups {
  /** Thread-group id -> live threads besides the leader; only groups that have any. */
  private readonly threads = new Map<number, number>();
  /** Groups whose leader has reported its exit while other threads lived on. */
  private readonly leaderGone = new Set<number>();

  /** Threads that existed before pstat started. */
  preload(tgid: number, others: number): void {
    if (others > 0) this.threads.set(tgid, others);
  }

  clone(tgid: number): void {
    this.threads.set(tgid, (this.threads.get(tgid) ?? 0) + 1);
  }

  /** A thread other than the leader exited. True when that ended a group whose leader had gone already. */
  threadExit(tgid: number): boolean {
    const n = (this.threads.get(tgid) ?? 0) - 1;
    if (n > 0) {
      this.threads.set(tgid, n);
      return false;
    }
    this.threads.delete(tgid);
    return this.leaderGone.delete(tgid);
  }

  /** The leader exited. True when the group ended with it; false when threads live on. */
  leaderExit(tgid: number): boolean {
    if ((this.threads.get(tgid) ?? 0) > 0) {
      this.leaderGone.add(tgid);
      return false;
    }
    return true;
  }

  /**
   * An exec in the group: the kernel has ended every other thread, and the exec'ing one
   * now holds the leader's PID (its old thread id vanishes without an exit event). True
   * when the leader's exit reported before it was this exec's doing.
   */
  exec(tgid: number): boolean {
    this.threads.delete(tgid);
    return this.leaderGone.delete(tgid);
  }

  /** A group whose leader is gone and whose threads are said to live on. */
  waiting(): IterableIterator<number> {
    return this.leaderGone.values();
  }

  /** Ends a group whose end was found another way (its /proc entry is gone: exits were lost). */
  forget(tgid: number): void {
    this.threads.delete(tgid);
    this.leaderGone.delete(tgid);
  }

  get waitingCount(): number {
    return this.leaderGone.size;
  }
}
