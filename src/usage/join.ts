/**
 * Joins exit lines (from the proc connector) with taskstats records (from their own
 * socket): either may come first. Pure logic, driven from the monitor's loop with the
 * time passed in; no timers, no allocation per line.
 *
 * Lines leave strictly in the order they were pushed. An exit line waits for its record
 * at most `holdNs`; every line pushed after a waiting one waits behind it. The kernel
 * sends a task's record before its exit event (taskstats_exit runs before the exit
 * notification in do_exit), so a loop that receives the connector's batch and then the
 * taskstats socket's has, in the normal case, every record before the exits that need
 * them, and nothing waits.
 */
import { PidMap } from "../pid-map";
import type { UsageRecord, Usage } from "./record";
import { clearUsage, copyUsage, newUsage } from "./record";

export interface JoinOptions<T> {
  /** Makes one queue slot; called `capacity` times up front. The caller fills what `push` returns. */
  make: () => T;
  /**
   * Receives each line in order, with the usage joined to it: null for a line that asked
   * for none, and for an exit whose record did not come in time. Neither object may be kept.
   */
  emit: (item: T, usage: Usage | null) => void;
  /** Longest an exit line waits for its record, ns. */
  holdNs?: number;
  /** Longest a record waits for its exit line, ns (the connector side may lag a batch behind). */
  keepNs?: number;
  /** Lines held at most; pushing more releases the oldest early. */
  capacity?: number;
  /** Records waiting for their exit at most; more evict the oldest. */
  records?: number;
  /** Multi-threaded processes whose threads' I/O is being added up, at most. */
  groups?: number;
}

const PLAIN = 0;
const READY = 1;
const WAIT_TASK = 2;
const WAIT_GROUP = 3;

/** How long a line that went without figures is remembered (see goneTask). */
const GONE_NS = 250e6;

const KIND_TASK = 0;
const KIND_GROUP = 1;

/** Per thread group: µs of user and system CPU, then the fields the kernel does not total. */
const ACC_USER = 0;
const ACC_SYSTEM = 1;
const ACC_READ_BYTES = 2;
const ACC_WRITE_BYTES = 3;
const ACC_READ_CHARS = 4;
const ACC_WRITE_CHARS = 5;
const ACC_MINFLT = 6;
const ACC_MAJFLT = 7;
const ACC_FIELDS = 8;

export class UsageJoiner<T> {
  private readonly items: T[];
  private readonly usages: Usage[];
  private readonly state: Uint8Array;
  private readonly pids: Int32Array;
  private readonly tgids: Int32Array;
  /** The line is a whole process's exit (it gets the group's figures), not one task's. */
  private readonly whole: Uint8Array;
  private readonly since: Float64Array;
  private head = 0;
  private tail = 0;
  private readonly capacity: number;
  /** Waiting exit lines: pid -> queue position (WAIT_TASK), tgid -> position (WAIT_GROUP). */
  private readonly waitingTask: PidMap;
  private readonly waitingGroup: PidMap;

  // Records waiting for their exit line, indexed by pid (task) and tgid (group). Slots are
  // reused last freed first, so that the few in use at a time stay in the cache; a list in
  // arrival order (slot and generation) serves expiry and eviction.
  private readonly stash: Usage[];
  private readonly stashKind: Uint8Array;
  private readonly stashLive: Uint8Array;
  private readonly stashPid: Int32Array;
  private readonly stashTgid: Int32Array;
  /** A task record whose process is still alive (a leader that left before its threads). */
  private readonly stashGroupAlive: Uint8Array;
  private readonly stashAt: Float64Array;
  private readonly stashGen: Uint32Array;
  private readonly stashSize: number;
  private readonly free: Int32Array;
  private freeCount: number;
  private readonly orderSlot: Int32Array;
  private readonly orderGen: Uint32Array;
  private orderHead = 0;
  private orderTail = 0;
  private readonly taskByPid: PidMap;
  private readonly groupByTgid: PidMap;

  /**
   * Processes whose exit line got the group total before the leader's own record came
   * (the last thread can send before a leader that left first): pid -> when. That record
   * is expected, and not an unmatched one.
   */
  private readonly served = new Map<number, number>();
  /**
   * Exit lines that went on without figures (their hold ran out, or the queue was full):
   * pid (task) or tgid (process) -> when. Their records, should they come after all, are
   * dropped on arrival instead of being kept for a line that has gone, where they would
   * take the room of records still needed. Remembered for GONE_NS only: PIDs come round.
   */
  private readonly goneTask = new Map<number, number>();
  private readonly goneGroup = new Map<number, number>();

  private readonly sums = new Map<number, Float64Array>();
  /** When `expire` next has work to look for (ns). */
  private expireAt = 0;
  private readonly maxGroups: number;

  private readonly emit: (item: T, usage: Usage | null) => void;
  private readonly holdNs: number;
  private readonly keepNs: number;

  /** Exit lines released with their usage. */
  matched = 0;
  /** Exit lines released without: the record never came, or came too late. */
  missing = 0;
  /** Records dropped without an exit line to go with. */
  unmatched = 0;
  /** Records that came after their line had gone on without them. */
  late = 0;
  /** Lines released before their time because the queue was full. */
  forced = 0;

  constructor(opts: JoinOptions<T>) {
    this.capacity = opts.capacity ?? 4096;
    this.stashSize = opts.records ?? 8192;
    this.maxGroups = opts.groups ?? 4096;
    this.holdNs = opts.holdNs ?? 5e6;
    this.keepNs = opts.keepNs ?? 2e9;
    this.emit = opts.emit;
    this.items = Array.from({ length: this.capacity }, opts.make);
    this.usages = Array.from({ length: this.capacity }, newUsage);
    this.state = new Uint8Array(this.capacity);
    this.pids = new Int32Array(this.capacity);
    this.tgids = new Int32Array(this.capacity);
    this.whole = new Uint8Array(this.capacity);
    this.since = new Float64Array(this.capacity);
    this.stash = Array.from({ length: this.stashSize }, newUsage);
    this.stashKind = new Uint8Array(this.stashSize);
    this.stashLive = new Uint8Array(this.stashSize);
    this.stashPid = new Int32Array(this.stashSize);
    this.stashTgid = new Int32Array(this.stashSize);
    this.stashGroupAlive = new Uint8Array(this.stashSize);
    this.stashAt = new Float64Array(this.stashSize);
    this.stashGen = new Uint32Array(this.stashSize);
    this.free = Int32Array.from({ length: this.stashSize }, (_, k) => this.stashSize - 1 - k);
    this.freeCount = this.stashSize;
    this.orderSlot = new Int32Array(this.stashSize);
    this.orderGen = new Uint32Array(this.stashSize);
    this.waitingTask = new PidMap(this.capacity);
    this.waitingGroup = new PidMap(this.capacity);
    this.taskByPid = new PidMap(this.stashSize);
    this.groupByTgid = new PidMap(this.stashSize);
  }

  /** Nothing is held: a line that needs no usage may be written at once instead of pushed. */
  get idle(): boolean {
    return this.head === this.tail;
  }

  /** Lines held now. */
  get held(): number {
    return this.tail - this.head;
  }

  /** Records waiting for their exit line now. */
  get waitingRecords(): number {
    return this.taskByPid.size + this.groupByTgid.size;
  }

  /** When `release` must next run (ns on the caller's clock); Infinity when nothing waits. */
  nextDeadline(): number {
    if (this.head === this.tail) return Infinity;
    const i = this.head % this.capacity;
    const s = this.state[i]!;
    return s === WAIT_TASK || s === WAIT_GROUP ? this.since[i]! + this.holdNs : -Infinity;
  }

  /** Queues a line that needs no usage (it keeps its place behind waiting exits). Fill the slot returned. */
  push(now: number): T {
    const i = this.slot(now);
    this.state[i] = PLAIN;
    return this.items[i]!;
  }

  /**
   * An exit line that wants its usage: a whole process's exit (by default, pid === tgid)
   * gets the process's figures, a thread's exit its own; so does a leader's exit that a
   * thread's exec replaced (`whole` false: the process goes on). When nothing is held
   * and the record is here, `direct` (if given) is emitted at once and null returned;
   * otherwise the line is queued: fill the slot returned.
   */
  pushExit(pid: number, tgid: number, now: number, whole?: boolean): T;
  pushExit(pid: number, tgid: number, now: number, whole: boolean, direct: T, pull?: () => void): T | null;
  pushExit(pid: number, tgid: number, now: number, whole = pid === tgid, direct: T | null = null, pull: (() => void) | null = null): T | null {
    let state = this.resolve(pid, tgid, whole, now);
    if (state === WAIT_TASK && pull !== null) {
      // Not here: most likely just behind in the socket. The caller takes a few more.
      pull();
      state = this.resolve(pid, tgid, whole, now);
    }
    if (state === READY && direct !== null && this.head === this.tail) {
      // The record's own copy goes out with the line; its slot is free once the line has gone.
      const j = this.found;
      this.matched++;
      this.emit(direct, this.stash[j]!);
      this.consume(j);
      return null;
    }
    const i = this.slot(now);
    const pos = this.tail - 1;
    this.pids[i] = pid;
    this.tgids[i] = tgid;
    this.whole[i] = whole ? 1 : 0;
    if (state === READY) {
      this.take(this.found, this.usages[i]!);
      this.ready(i);
    } else this.wait(i, pos, state, state === WAIT_GROUP ? tgid : pid);
    return this.items[i]!;
  }

  /**
   * Nothing is held and nothing is known of this process (no record kept, no line gone
   * without one): its exit's record, if it is the next one on the socket, may go straight
   * out with it (see takeDirect).
   */
  directReady(pid: number, tgid: number): boolean {
    return (
      this.head === this.tail &&
      (this.taskByPid.size === 0 || this.taskByPid.get(pid) < 0) &&
      (this.groupByTgid.size === 0 || this.groupByTgid.get(tgid) < 0) &&
      this.served.size + this.goneTask.size + this.goneGroup.size === 0
    );
  }

  /**
   * A process's exit (after directReady) with the record just taken off the socket: when
   * the record is that process's own and it was single-threaded, `item` is emitted with it
   * at once, nothing kept, and true returned. Otherwise nothing is done: the caller hands
   * the record to `record` and the exit to `pushExit`.
   */
  takeDirect(rec: UsageRecord, pid: number, tgid: number, item: T): boolean {
    if (rec.pid !== pid || !this.tgidFits(rec.tgid, tgid)) return false;
    // A thread group's: the group's figures, or the sums of its threads', are the joiner's to work out.
    if (rec.hasGroup || rec.lastInGroup === false || (this.sums.size > 0 && this.sums.has(tgid))) return false;
    this.matched++;
    this.emit(item, rec.task);
    return true;
  }

  /** The stash slot of the record `resolve` found (READY); the caller takes it. */
  private found = -1;

  /** Finds an exit's record among those here (its slot in `found`), or says what the line must wait for. */
  private resolve(pid: number, tgid: number, whole: boolean, now: number): typeof READY | typeof WAIT_TASK | typeof WAIT_GROUP {
    if (whole && this.groupByTgid.size > 0) {
      const g = this.groupByTgid.get(tgid);
      if (g >= 0) {
        // The process's last thread has gone already: its group total is here.
        this.found = g;
        const t = this.taskByPid.get(pid);
        if (t >= 0 && this.tgidFits(this.stashTgid[t]!, tgid)) this.consume(t);
        else this.served.set(pid, now);
        return READY;
      }
    }
    const t = this.taskByPid.get(pid);
    if (t < 0 || !this.tgidFits(this.stashTgid[t]!, tgid)) return WAIT_TASK;
    if (whole && this.stashGroupAlive[t] === 1) {
      // The leader left before its threads: the process's figures come with the last one.
      this.consume(t);
      return WAIT_GROUP;
    }
    this.found = t;
    return READY;
  }

  /**
   * An exit that will not be shown: its record, if here, is dropped without counting it
   * as unmatched.
   */
  discard(pid: number, tgid: number): void {
    const t = this.taskByPid.get(pid);
    if (t >= 0 && this.tgidFits(this.stashTgid[t]!, tgid)) this.consume(t);
    if (pid === tgid) {
      const g = this.groupByTgid.get(tgid);
      if (g >= 0) this.consume(g);
    }
  }

  /**
   * A thread's exit event has gone by (shown or not): its own record is no longer needed
   * (a line that waits for it is matched when it comes). A leader's exit event says
   * nothing of the kind: the process's line may come later (the leader left before its
   * threads, or an exec replaced it), and the group's total with it may already be here.
   */
  passed(pid: number, tgid: number): void {
    if (pid === tgid) return;
    const t = this.taskByPid.get(pid);
    if (t >= 0 && this.tgidFits(this.stashTgid[t]!, tgid)) this.consume(t);
  }

  /**
   * Records that can still be kept before the oldest must be dropped. While the events
   * lag behind the records, take no more than this: the rest wait in the socket.
   */
  get room(): number {
    return this.freeCount;
  }

  /**
   * One decoded exit record. A record kept for an exit still to come is not copied: the
   * joiner takes `rec.task` (or `rec.group`) and leaves a spare object of its own in its
   * place. `rec` may be reused at once.
   */
  record(rec: UsageRecord, now: number): void {
    this.expire(now);
    const pid = rec.pid;
    const tgid = rec.tgid;
    const late = this.served.size > 0 && this.served.has(pid) && (tgid === 0 || tgid === pid);
    if (!late) this.addUp(rec);
    const groupAlive = rec.lastInGroup === false;
    let groupUsed = false;

    const w = this.waitingTask.get(pid);
    if (w >= 0 && this.tgidFits(tgid, this.tgids[w % this.capacity]!)) {
      const i = w % this.capacity;
      this.waitingTask.delete(pid);
      const processExit = this.whole[i] === 1;
      if (processExit && rec.hasGroup) {
        copyUsage(this.usages[i]!, rec.group);
        groupUsed = true;
        this.ready(i);
      } else if (processExit && groupAlive) {
        this.wait(i, w, WAIT_GROUP, this.tgids[i]!);
      } else {
        copyUsage(this.usages[i]!, rec.task);
        this.ready(i);
      }
    } else if (late) {
      this.served.delete(pid); // a leader whose process's line already has the group total
    } else if (this.goneTask.size > 0 && this.goneTask.delete(pid)) {
      this.late++;
    } else {
      rec.task = this.keep(KIND_TASK, pid, tgid, groupAlive, rec.task, now);
    }

    if (rec.hasGroup && !groupUsed && this.goneGroup.size > 0 && this.goneGroup.delete(tgid)) this.late++;
    else if (rec.hasGroup && !groupUsed) {
      const byGroup = this.waitingGroup.get(tgid);
      const g = byGroup >= 0 ? byGroup : this.waitingLeader(tgid);
      if (g >= 0) {
        const i = g % this.capacity;
        if (byGroup < 0) {
          this.waitingTask.delete(tgid);
          if (pid !== tgid) this.served.set(tgid, now); // the leader's own record is still to come
        } else {
          this.waitingGroup.delete(tgid);
        }
        copyUsage(this.usages[i]!, rec.group);
        this.ready(i);
      } else {
        rec.group = this.keep(KIND_GROUP, tgid, tgid, false, rec.group, now);
      }
    }
  }

  /**
   * Emits, in order, every line at the front that has its usage or needs none, and every
   * exit whose hold has run out (without usage). Returns how many lines left.
   */
  release(now: number): number {
    this.expire(now);
    let n = 0;
    while (this.head < this.tail) {
      const i = this.head % this.capacity;
      const s = this.state[i]!;
      if ((s === WAIT_TASK || s === WAIT_GROUP) && now - this.since[i]! < this.holdNs) break;
      this.emitHead();
      n++;
    }
    return n;
  }

  /** Emits every line now (at the end of a run): exits still waiting go without usage. */
  flushAll(): number {
    let n = 0;
    while (this.head < this.tail) {
      this.emitHead();
      n++;
    }
    return n;
  }

  private emitHead(): void {
    const pos = this.head;
    const i = pos % this.capacity;
    const s = this.state[i]!;
    this.head++;
    if (s === PLAIN) return this.emit(this.items[i]!, null);
    if (s === READY) {
      this.matched++;
      return this.emit(this.items[i]!, this.usages[i]!);
    }
    if (s === WAIT_TASK && this.waitingTask.get(this.pids[i]!) === pos) {
      this.waitingTask.delete(this.pids[i]!);
      this.goneTask.set(this.pids[i]!, this.since[i]!);
    }
    if (s === WAIT_GROUP && this.waitingGroup.get(this.tgids[i]!) === pos) {
      this.waitingGroup.delete(this.tgids[i]!);
      this.goneGroup.set(this.tgids[i]!, this.since[i]!);
    }
    this.missing++;
    this.emit(this.items[i]!, null);
  }

  /** A free queue slot at the tail; when the queue is full, the oldest line goes first. */
  private slot(now: number): number {
    if (this.tail - this.head >= this.capacity) {
      const s = this.state[this.head % this.capacity]!;
      if (s === WAIT_TASK || s === WAIT_GROUP) this.forced++;
      this.emitHead();
    }
    const i = this.tail % this.capacity;
    this.since[i] = now;
    this.tail++;
    return i;
  }

  private ready(i: number): void {
    this.state[i] = READY;
  }

  private wait(i: number, pos: number, state: typeof WAIT_TASK | typeof WAIT_GROUP, key: number): void {
    this.state[i] = state;
    clearUsage(this.usages[i]!);
    (state === WAIT_TASK ? this.waitingTask : this.waitingGroup).set(key, pos);
  }

  /** A process exit still waiting for its own task record: a group total serves it as well. */
  private waitingLeader(tgid: number): number {
    const w = this.waitingTask.get(tgid);
    if (w < 0) return -1;
    const i = w % this.capacity;
    return this.pids[i] === tgid && this.tgids[i] === tgid && this.whole[i] === 1 ? w : -1;
  }

  /** Records from before version 12 carry no tgid (0): the pid alone decides. */
  private tgidFits(recordTgid: number, exitTgid: number): boolean {
    return recordTgid === 0 || recordTgid === exitTgid;
  }

  /** Keeps `usage` itself (the caller's object) and returns the spare it replaces, for the caller to reuse. */
  private keep(kind: number, pid: number, tgid: number, groupAlive: boolean, usage: Usage, now: number): Usage {
    // Full: the oldest is dropped. (The arrival list fills first when an old record stays
    // among many taken since: it is the oldest then.)
    if (this.orderTail - this.orderHead >= this.stashSize) this.popOldest();
    if (this.freeCount === 0) this.evictOldest(1);
    const j = this.free[--this.freeCount]!;
    const o = this.orderTail++ % this.stashSize;
    this.orderSlot[o] = j;
    this.orderGen[o] = ++this.stashGen[j]!;
    const spare = this.stash[j]!;
    this.stash[j] = usage;
    this.stashKind[j] = kind;
    this.stashPid[j] = pid;
    this.stashTgid[j] = tgid;
    this.stashGroupAlive[j] = groupAlive ? 1 : 0;
    this.stashAt[j] = now;
    this.stashLive[j] = 1;
    const map = kind === KIND_TASK ? this.taskByPid : this.groupByTgid;
    const old = map.get(pid);
    if (old >= 0) this.drop(old); // a reused pid: the older record's exit never came
    map.set(pid, j);
    return spare;
  }

  private take(j: number, into: Usage): void {
    copyUsage(into, this.stash[j]!);
    this.consume(j);
  }

  /** The record found its exit line (or was given up on deliberately). */
  private consume(j: number): void {
    if (this.stashLive[j] === 0) return;
    this.stashLive[j] = 0;
    const map = this.stashKind[j] === KIND_TASK ? this.taskByPid : this.groupByTgid;
    if (map.get(this.stashPid[j]!) === j) map.delete(this.stashPid[j]!);
    this.free[this.freeCount++] = j;
  }

  /** The record's exit line never came. */
  private drop(j: number): void {
    if (this.stashLive[j] === 0) return;
    this.unmatched++;
    this.consume(j);
  }

  /** The slot of the oldest entry of the arrival list if its record is still kept, else -1 (taken since). */
  private oldest(): number {
    const o = this.orderHead % this.stashSize;
    const j = this.orderSlot[o]!;
    return this.stashGen[j] === this.orderGen[o] && this.stashLive[j] === 1 ? j : -1;
  }

  /** Takes the oldest entry off the arrival list, dropping its record if still kept. */
  private popOldest(): void {
    const j = this.oldest();
    this.orderHead++;
    if (j >= 0) this.drop(j);
  }

  /** Drops the `n` oldest records (counted as unmatched): the stash is full of records no exit has come for. */
  evictOldest(n: number): void {
    for (let k = 0; k < n && this.orderHead < this.orderTail; ) {
      if (this.oldest() >= 0) k++;
      this.popOldest();
    }
  }

  private expire(now: number): void {
    // Every record and release calls this; what it drops is seconds old, so once a millisecond is enough.
    if (now < this.expireAt) return;
    this.expireAt = now + 1e6;
    while (this.orderHead < this.orderTail) {
      const j = this.oldest();
      if (j >= 0 && now - this.stashAt[j]! < this.keepNs) break;
      this.popOldest();
    }
    forget(this.goneTask, now - GONE_NS);
    forget(this.goneGroup, now - GONE_NS);
    if (this.served.size === 0) return;
    for (const [pid, at] of this.served) {
      if (now - at < this.keepNs) break;
      this.served.delete(pid);
    }
  }

  /**
   * The kernel totals only CPU, switches and delays over a thread group. Faults and I/O
   * are added up here from the threads' own records; the group total gets them only
   * when the threads' CPU adds up exactly to the kernel's total, that is when no
   * thread's record was missed (one that ended before pstat started, or was lost).
   */
  private addUp(rec: UsageRecord): void {
    const tgid = rec.tgid;
    // No I/O decoded (only CPU and RSS are shown): nothing to add up.
    if (tgid === 0 || rec.task.readBytes === null) return;
    // A single-threaded process: its own record is the whole story.
    if (rec.lastInGroup === true && !rec.hasGroup && (this.sums.size === 0 || !this.sums.has(tgid))) return;
    let acc = this.sums.get(tgid);
    if (acc === undefined) {
      if (this.sums.size >= this.maxGroups) this.sums.delete(this.sums.keys().next().value!);
      acc = new Float64Array(ACC_FIELDS);
      this.sums.set(tgid, acc);
    }
    const t = rec.task;
    acc[ACC_USER]! += rec.taskUserUs;
    acc[ACC_SYSTEM]! += rec.taskSystemUs;
    acc[ACC_READ_BYTES]! += t.readBytes ?? 0;
    acc[ACC_WRITE_BYTES]! += t.writeBytes ?? 0;
    acc[ACC_READ_CHARS]! += t.readChars ?? 0;
    acc[ACC_WRITE_CHARS]! += t.writeChars ?? 0;
    acc[ACC_MINFLT]! += t.minorFaults ?? 0;
    acc[ACC_MAJFLT]! += t.majorFaults ?? 0;
    if (!rec.hasGroup && rec.lastInGroup !== true) return;
    this.sums.delete(tgid);
    if (!rec.hasGroup) return;
    if (acc[ACC_USER] !== rec.groupUserUs || acc[ACC_SYSTEM] !== rec.groupSystemUs) return;
    const g = rec.group;
    g.readBytes = acc[ACC_READ_BYTES]!;
    g.writeBytes = acc[ACC_WRITE_BYTES]!;
    g.readChars = acc[ACC_READ_CHARS]!;
    g.writeChars = acc[ACC_WRITE_CHARS]!;
    g.minorFaults = acc[ACC_MINFLT]!;
    g.majorFaults = acc[ACC_MAJFLT]!;
  }
}

/** Drops the entries of a map of times (in insertion order, so oldest first) from before `before`. */
function forget(m: Map<number, number>, before: number): void {
  if (m.size === 0) return;
  for (const [key, at] of m) {
    if (at >= before) return;
    m.delete(key);
  }
}

/** The module functions a record and an exit pass through, for limitJit (see src/jit.ts). */
export const JOIN_FUNCTIONS = [forget];
