/**
 * What `pstat top` shows, computed from the event stream: who starts processes, how fast,
 * and what their exited children cost. Pure: the caller hands in each event and the time
 * (milliseconds on one monotonic clock, the same for `add` and `tick`); nothing here reads
 * a clock, sets a timer or touches the system.
 */

export type TopEventKind = "fork" | "exec" | "exit";

/** What an exited process cost, from task accounting. */
export interface Usage {
  /** User plus system CPU time, seconds. */
  cpu: number;
  /** Peak resident set size, bytes. */
  maxRss: number;
}

/**
 * One event as the model needs it. The caller may reuse one object for every event: the
 * model keeps only the strings (which are immutable), never the object.
 * All text is already escaped for display (src/text/escape.ts).
 */
export interface TopEvent {
  /** fork: a new process (not a thread); exec: a process ran a new program; exit: a process ended. */
  kind: TopEventKind;
  /** When it happened, milliseconds, on the clock `tick` is given. */
  ts: number;
  /** The process (thread group id). */
  pid: number;
  /** Its parent. */
  ppid: number;
  /**
   * The command line (or name when the command line is unknown) of the parent that spawned
   * it. For an exit of a process the model saw start, the key it started under is used.
   */
  parentKey: string;
  /** The process's executable name; for a fork, the parent's program, which the child runs until it execs. */
  program: string;
  /** The process's user name. */
  user: string;
  /** Container id or systemd unit; null when unknown or not read. */
  container: string | null;
  /** exec: the new command line; null otherwise or when unknown. */
  cmdline: string | null;
  /** exit: a non-zero status or death by a signal. */
  failed: boolean;
  /** exit: the accounting record, null when none came. */
  usage: Usage | null;
}

/** An event to fill in and reuse (see TopEvent). */
export function blankTopEvent(): TopEvent {
  return { kind: "fork", ts: 0, pid: 0, ppid: 0, parentKey: "", program: "", user: "", container: null, cmdline: null, failed: false, usage: null };
}

export type Grouping = "parent" | "program" | "user" | "container";
export const GROUPINGS: readonly Grouping[] = ["parent", "program", "user", "container"];

export type SortColumn = "rate" | "avg" | "execs" | "exits" | "failed" | "live" | "cpu" | "mem" | "key";
export const SORT_COLUMNS: readonly SortColumn[] = ["rate", "avg", "execs", "exits", "failed", "live", "cpu", "mem", "key"];

/** One group's figures for one interval. */
export interface GroupRow {
  /** The group's key; null for the container grouping's "no container/unit known" group. */
  key: string | null;
  /** Processes started (forks) in the interval, and per second. */
  started: number;
  rate: number;
  /** Processes started per second over the last minute (or since the start, if shorter); null before any time has passed. */
  avg: number | null;
  execs: number;
  execRate: number;
  exits: number;
  failed: number;
  /** Processes started (or first seen exec'ing) since monitoring began that are still alive. */
  live: number;
  /** CPU seconds of the children that exited in the interval; null when none was measured. */
  cpu: number | null;
  /** Largest peak RSS (bytes) among them; null when none was measured. */
  maxRss: number | null;
  /** Exits in the interval that came without an accounting record (cpu is then a lower bound). */
  usageMissing: number;
}

export interface Totals {
  started: number;
  rate: number;
  execs: number;
  execRate: number;
  exits: number;
  failed: number;
  /** Every event the pipeline saw, including kinds the model does not group. */
  events: number;
  eventRate: number;
  /** Events lost in the interval, and since the start. */
  lost: number;
  lostTotal: number;
  /** Some loss in the interval could not be counted (the kernel's filter hides the count). */
  lostUnknown: boolean;
  /** Live processes the model tracks. */
  live: number;
}

export interface Snapshot {
  /** When the interval closed (the `now` given to tick). */
  ts: number;
  /** The interval's length, seconds. */
  interval: number;
  /** Seconds since the model started. */
  elapsed: number;
  /** Task accounting feeds the model: CPU and memory can be shown. */
  usageAvailable: boolean;
  /** The groupings that have data (container only once some event carried one). */
  groupings: Grouping[];
  totals: Totals;
  /** Processes started in each of the last 60 whole seconds, oldest first; null before the start. */
  history: (number | null)[];
  /** Per grouping, the groups with something to show (events in the interval, starts in the last minute, live children), in no particular order. */
  rows: Record<Grouping, GroupRow[]>;
}

export interface RecentCommand {
  ts: number;
  pid: number;
  cmdline: string;
}

export interface ModelOptions {
  /** The pipeline attaches usage records to exits. */
  usage?: boolean;
  /** Command lines kept per group for the detail view. */
  recent?: number;
  /** A group with no event for this long and no live children is forgotten (ms). */
  idleMs?: number;
  /** Most groups kept per grouping; past it the least recently active go first. */
  maxGroups?: number;
  /** Most live processes tracked; past it the oldest are forgotten. */
  maxLive?: number;
}

/** Window of the longer average and of the history, seconds. */
export const WINDOW = 60;
const NO_CONTAINER = "\0none";

/** Seconds kept: the window, plus the second in progress. */
const RING = WINDOW + 1;

const slot = (sec: number) => ((sec % RING) + RING) % RING;

/** Counts per whole second over the last RING seconds, in a ring. */
class SecondCounts {
  readonly counts = new Float64Array(RING);
  /** The latest second the ring covers. */
  head = -Infinity;

  advance(sec: number): void {
    if (sec <= this.head) return;
    if (sec - this.head >= RING) this.counts.fill(0);
    else for (let s = this.head + 1; s <= sec; s++) this.counts[slot(s)] = 0;
    this.head = sec;
  }

  add(sec: number, n: number): void {
    if (sec <= this.head - RING) return;
    this.advance(sec);
    this.counts[slot(sec)]! += n;
  }

  /** The count of second `sec` (0 outside the ring). */
  at(sec: number): number {
    return sec > this.head || sec <= this.head - RING ? 0 : this.counts[slot(sec)]!;
  }

  /** Sum over the WINDOW seconds (toSec - WINDOW, toSec]. */
  sumTo(toSec: number): number {
    this.advance(toSec);
    let s = 0;
    for (let i = toSec - WINDOW + 1; i <= toSec; i++) s += this.counts[slot(i)]!;
    return s;
  }
}

class Group {
  started = 0;
  execs = 0;
  exits = 0;
  failed = 0;
  cpu = 0;
  maxRss = 0;
  measured = 0;
  usageMissing = 0;
  live = 0;
  lastActive: number;
  evicted = false;
  readonly perSecond = new SecondCounts();
  recentCmd: string[] | null = null;
  recentPid: Int32Array | null = null;
  recentTs: Float64Array | null = null;
  recentNext = 0;
  recentCount = 0;

  constructor(
    readonly key: string,
    now: number,
  ) {
    this.lastActive = now;
  }

  resetInterval(): void {
    this.started = this.execs = this.exits = this.failed = 0;
    this.cpu = this.maxRss = this.measured = this.usageMissing = 0;
  }
}

/** A live process: the group it counts in, per grouping (index as in GROUPINGS). */
interface LiveRec {
  groups: (Group | null)[];
  /** The fork's time and interval (NaN and -1 when first seen at an exec); whether it has exec'd since. */
  forkTs: number;
  forkInterval: number;
  execd: boolean;
}

function keyOf(ev: TopEvent, g: number): string {
  switch (g) {
    case 0:
      return ev.parentKey;
    case 1:
      return ev.program;
    case 2:
      return ev.user;
    default:
      return ev.container ?? NO_CONTAINER;
  }
}

export class TopModel {
  private readonly tables: Map<string, Group>[] = GROUPINGS.map(() => new Map());
  private readonly live = new Map<number, LiveRec>();
  private readonly pool: LiveRec[] = [];
  private readonly machine = new SecondCounts();
  private readonly recentMax: number;
  private readonly idleMs: number;
  private readonly maxGroups: number;
  private readonly maxLive: number;
  private usageAvailable: boolean;
  private containerSeen = false;
  private lastTick: number;
  /** Intervals closed so far. */
  private intervals = 0;
  private started = 0;
  private execs = 0;
  private exits = 0;
  private failed = 0;
  private events = 0;
  private lost = 0;
  private lostTotal = 0;
  private lostUnknown = false;

  constructor(
    private readonly start: number,
    opts: ModelOptions = {},
  ) {
    this.lastTick = start;
    this.usageAvailable = opts.usage ?? false;
    this.recentMax = opts.recent ?? 20;
    this.idleMs = opts.idleMs ?? 120_000;
    this.maxGroups = opts.maxGroups ?? 10_000;
    this.maxLive = opts.maxLive ?? 65_536;
  }

  /** Whether usage records come (they may stop: taskstats refused, or turned off). */
  setUsageAvailable(on: boolean): void {
    this.usageAvailable = on;
  }

  add(ev: TopEvent): void {
    this.events++;
    if (ev.container !== null) this.containerSeen = true;
    const sec = Math.floor(ev.ts / 1000);
    switch (ev.kind) {
      case "fork": {
        this.started++;
        this.machine.add(sec, 1);
        const groups = this.track(ev, true).groups;
        for (let g = 0; g < 4; g++) {
          const grp = groups[g]!;
          grp.started++;
          grp.perSecond.add(sec, 1);
        }
        break;
      }
      case "exec": {
        this.execs++;
        const groups = this.track(ev, false).groups;
        const cmd = ev.cmdline ?? ev.program;
        for (let g = 0; g < 4; g++) {
          const grp = groups[g]!;
          grp.execs++;
          this.remember(grp, ev, cmd);
        }
        break;
      }
      case "exit": {
        this.exits++;
        if (ev.failed) this.failed++;
        // A process known since its fork or exec ends in the groups it counted in, even if
        // its parent has died since (an exit names the reaper, init or a subreaper, as parent).
        const rec = this.live.get(ev.pid);
        const u = ev.usage;
        for (let g = 0; g < 4; g++) {
          const known = rec?.groups[g];
          const grp = known !== undefined && known !== null && !known.evicted ? known : this.group(g, ev);
          if (ev.ts > grp.lastActive) grp.lastActive = ev.ts;
          grp.exits++;
          if (ev.failed) grp.failed++;
          if (u !== null) {
            grp.cpu += u.cpu;
            if (u.maxRss > grp.maxRss) grp.maxRss = u.maxRss;
            grp.measured++;
          } else grp.usageMissing++;
        }
        if (rec !== undefined) this.forget(ev.pid, rec);
        break;
      }
    }
  }

  /** Events of kinds the model does not group (comm, ptrace, threads...): they count in events/s. */
  other(count = 1): void {
    this.events += count;
  }

  /** Events the pipeline lost; a negative count means some, number unknown. */
  addLost(count: number): void {
    if (count < 0) this.lostUnknown = true;
    else {
      this.lost += count;
      this.lostTotal += count;
    }
  }

  /** The last command lines exec'd in a group, newest first. */
  recent(grouping: Grouping, key: string | null): RecentCommand[] {
    const grp = this.tables[GROUPINGS.indexOf(grouping)]!.get(key ?? NO_CONTAINER);
    const out: RecentCommand[] = [];
    if (grp === undefined || grp.recentCmd === null) return out;
    for (let i = 1; i <= grp.recentCount; i++) {
      const at = (grp.recentNext - i + this.recentMax) % this.recentMax;
      out.push({ ts: grp.recentTs![at]!, pid: grp.recentPid![at]!, cmdline: grp.recentCmd[at]! });
    }
    return out;
  }

  /** Closes the interval that ends at `now` and returns what it saw. */
  tick(now: number): Snapshot {
    const interval = Math.max(now - this.lastTick, 1) / 1000;
    const nowSec = Math.floor(now / 1000);
    const windowStart = Math.max(this.start, (nowSec - WINDOW + 1) * 1000);
    const windowSecs = (now - windowStart) / 1000;
    const rows = {} as Record<Grouping, GroupRow[]>;
    for (let g = 0; g < 4; g++) {
      const table = this.tables[g]!;
      const list: GroupRow[] = [];
      for (const grp of table.values()) {
        const recentSum = grp.perSecond.sumTo(nowSec);
        if (grp.live === 0 && now - grp.lastActive > this.idleMs) {
          grp.evicted = true;
          table.delete(grp.key);
          continue;
        }
        if (grp.live > 0 || recentSum > 0 || grp.started + grp.execs + grp.exits > 0) list.push(this.row(grp, interval, recentSum, windowSecs));
        grp.resetInterval();
      }
      if (table.size > this.maxGroups) this.trim(table);
      rows[GROUPINGS[g]!] = list;
    }
    const startSec = Math.floor(this.start / 1000);
    this.machine.advance(nowSec);
    const history: (number | null)[] = [];
    for (let s = nowSec - WINDOW; s < nowSec; s++) history.push(s < startSec ? null : this.machine.at(s));
    const snap: Snapshot = {
      ts: now,
      interval,
      elapsed: (now - this.start) / 1000,
      usageAvailable: this.usageAvailable,
      groupings: this.containerSeen ? [...GROUPINGS] : GROUPINGS.filter((g) => g !== "container"),
      totals: {
        started: this.started,
        rate: this.started / interval,
        execs: this.execs,
        execRate: this.execs / interval,
        exits: this.exits,
        failed: this.failed,
        events: this.events,
        eventRate: this.events / interval,
        lost: this.lost,
        lostTotal: this.lostTotal,
        lostUnknown: this.lostUnknown,
        live: this.live.size,
      },
      history,
      rows,
    };
    this.started = this.execs = this.exits = this.failed = this.events = this.lost = 0;
    this.lostUnknown = false;
    this.lastTick = now;
    this.intervals++;
    return snap;
  }

  private row(grp: Group, interval: number, recentSum: number, windowSecs: number): GroupRow {
    const measured = this.usageAvailable && grp.measured > 0;
    return {
      key: grp.key === NO_CONTAINER ? null : grp.key,
      started: grp.started,
      rate: grp.started / interval,
      avg: windowSecs > 0 ? recentSum / windowSecs : null,
      execs: grp.execs,
      execRate: grp.execs / interval,
      exits: grp.exits,
      failed: grp.failed,
      live: grp.live,
      cpu: measured ? grp.cpu : null,
      maxRss: measured ? grp.maxRss : null,
      usageMissing: this.usageAvailable ? grp.usageMissing : 0,
    };
  }

  private group(g: number, ev: TopEvent): Group {
    const key = keyOf(ev, g);
    const table = this.tables[g]!;
    let grp = table.get(key);
    if (grp === undefined) {
      grp = new Group(key, ev.ts);
      table.set(key, grp);
    } else if (ev.ts > grp.lastActive) grp.lastActive = ev.ts;
    return grp;
  }

  /**
   * Counts a process as live in its groups. A fork of a PID still held means its exit was
   * missed (lost): start over. An exec moves it to the groups of its new program, user...
   */
  private track(ev: TopEvent, fork: boolean): LiveRec {
    let rec = this.live.get(ev.pid);
    if (rec !== undefined && fork) {
      this.forget(ev.pid, rec);
      rec = undefined;
    }
    if (rec === undefined) {
      if (this.live.size >= this.maxLive) {
        const oldest = this.live.keys().next().value!;
        this.forget(oldest, this.live.get(oldest)!);
      }
      rec = this.pool.pop() ?? { groups: [null, null, null, null], forkTs: NaN, forkInterval: -1, execd: false };
      rec.forkTs = fork ? ev.ts : NaN;
      rec.forkInterval = fork ? this.intervals : -1;
      rec.execd = !fork;
      for (let g = 0; g < 4; g++) {
        const grp = this.group(g, ev);
        grp.live++;
        rec.groups[g] = grp;
      }
      this.live.set(ev.pid, rec);
      return rec;
    }
    // The first exec after the fork says what was started: the start moves with it.
    const firstExec = !rec.execd && !Number.isNaN(rec.forkTs);
    const forkSec = Math.floor(rec.forkTs / 1000);
    const sameInterval = rec.forkInterval === this.intervals;
    rec.execd = true;
    for (let g = 0; g < 4; g++) {
      const old = rec.groups[g]!;
      if (old.key === keyOf(ev, g) && !old.evicted) {
        if (ev.ts > old.lastActive) old.lastActive = ev.ts;
        continue;
      }
      old.live--;
      const grp = this.group(g, ev);
      grp.live++;
      rec.groups[g] = grp;
      if (firstExec) {
        old.perSecond.add(forkSec, -1);
        grp.perSecond.add(forkSec, 1);
        if (sameInterval) {
          old.started--;
          grp.started++;
        }
      }
    }
    return rec;
  }

  private forget(pid: number, rec: LiveRec): void {
    for (let g = 0; g < 4; g++) {
      rec.groups[g]!.live--;
      rec.groups[g] = null;
    }
    this.live.delete(pid);
    this.pool.push(rec);
  }

  private remember(grp: Group, ev: TopEvent, cmd: string): void {
    const n = this.recentMax;
    if (n <= 0) return;
    if (grp.recentCmd === null) {
      grp.recentCmd = new Array<string>(n);
      grp.recentPid = new Int32Array(n);
      grp.recentTs = new Float64Array(n);
    }
    const at = grp.recentNext;
    grp.recentCmd[at] = cmd;
    grp.recentPid![at] = ev.pid;
    grp.recentTs![at] = ev.ts;
    grp.recentNext = (at + 1) % n;
    if (grp.recentCount < n) grp.recentCount++;
  }

  /** Past the cap, the least recently active groups go, live children or not. */
  private trim(table: Map<string, Group>): void {
    const byAge = [...table.values()].sort((a, b) => a.lastActive - b.lastActive);
    for (let i = 0; i < byAge.length - this.maxGroups; i++) {
      byAge[i]!.evicted = true;
      table.delete(byAge[i]!.key);
    }
  }
}

/** Sorts rows in place by a column: figures largest first (unknown last), keys A to Z; ties by key. */
export function sortRows(rows: GroupRow[], column: SortColumn): GroupRow[] {
  const byKey = (a: GroupRow, b: GroupRow) => {
    if (a.key === b.key) return 0;
    if (a.key === null) return 1;
    if (b.key === null) return -1;
    return a.key < b.key ? -1 : 1;
  };
  if (column === "key") return rows.sort(byKey);
  const value = FIGURE[column];
  return rows.sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va !== vb) {
      if (va === null) return 1;
      if (vb === null) return -1;
      return vb - va;
    }
    return byKey(a, b);
  });
}

const FIGURE: Record<Exclude<SortColumn, "key">, (r: GroupRow) => number | null> = {
  rate: (r) => r.rate,
  avg: (r) => r.avg,
  execs: (r) => r.execRate,
  exits: (r) => r.exits,
  failed: (r) => r.failed,
  live: (r) => r.live,
  cpu: (r) => r.cpu,
  mem: (r) => r.maxRss,
};

/** A filter as typed at the `/` prompt: a regular expression, or the error that stops it being one. */
export function compileFilter(text: string): RegExp | Error | null {
  if (text === "") return null;
  try {
    return new RegExp(text);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/** The rows whose key matches; the container grouping's unknown group matches as "(none)". */
export function filterRows(rows: GroupRow[], re: RegExp | null): GroupRow[] {
  if (re === null) return rows;
  return rows.filter((r) => re.test(r.key ?? "(none)"));
}
