// Match a monitor's parsed output against the PIDs the load generator made.
import type { Load } from "./loadgen";
import type { Kind, Parsed } from "./parsers";

export interface NameCounts {
  right: number;
  unknown: number;
  wrong: number;
}

export interface Correctness {
  /** events the load created, per kind the monitor can report */
  created: Partial<Record<Kind, number>>;
  /** of those, how many the monitor printed (a PID counts once per time the load made it) */
  received: Partial<Record<Kind, number>>;
  lost: number;
  /** the sum of the counts on the monitor's own `lost` lines */
  reportedLost: number;
  /** `lost` lines without a count */
  reportedLostUncounted: number;
  forkNames: NameCounts;
  execNames: NameCounts;
  /** the most frequent wrong names, to tell a stale name from a garbled one */
  wrongNames: { name: string; count: number; kind: Kind }[];
  unparsed: number;
  unparsedSample: string[];
  /** every event line the monitor printed, the machine's other processes included */
  printed: number;
}

const EXEC_NAMES: ReadonlySet<string> = new Set(["/bin/true"]);

/** forkstat brackets a name when it thinks it is a kernel thread; the text inside is still the name. */
function normalize(name: string): string {
  const n = name.trim();
  return n.startsWith("[") && n.endsWith("]") ? n.slice(1, -1).trim() : n;
}

function isUnknown(name: string): boolean {
  return name === "" || name === "<unknown>";
}

export class Scorer {
  private readonly expected = new Map<number, number>();
  private readonly seen: Record<Kind, Map<number, number>> = { fork: new Map(), exec: new Map(), exit: new Map() };
  private readonly wrong = new Map<string, { name: string; count: number; kind: Kind }>();
  private readonly probeSeen = new Set<number>();
  private readonly producers: ReadonlySet<number>;
  private readonly foreign = new Set<number>();
  private lastParent: number | undefined;
  private readonly result: Correctness;

  constructor(
    load: Load,
    private readonly kinds: readonly Kind[],
    private readonly probes: ReadonlySet<number> = new Set(),
    /** fork child names that count as right; by default the load's command line */
    private readonly forkNames: ReadonlySet<string> = new Set([load.cmdline]),
  ) {
    for (const pid of load.pids) this.expected.set(pid, (this.expected.get(pid) ?? 0) + 1);
    this.producers = new Set(load.producerPids);
    const created: Partial<Record<Kind, number>> = {};
    const received: Partial<Record<Kind, number>> = {};
    for (const k of kinds) {
      created[k] = load.pids.length;
      received[k] = 0;
    }
    this.result = {
      created,
      received,
      lost: 0,
      reportedLost: 0,
      reportedLostUncounted: 0,
      forkNames: { right: 0, unknown: 0, wrong: 0 },
      execNames: { right: 0, unknown: 0, wrong: 0 },
      wrongNames: [],
      unparsed: 0,
      unparsedSample: [],
      printed: 0,
    };
  }

  add(e: Parsed): void {
    const r = this.result;
    if (e.kind === "other" || e.kind === "fork" || e.kind === "exec" || e.kind === "exit") r.printed++;
    if (e.kind === "other") return;
    if (e.kind === "forkParent") {
      this.lastParent = e.pid;
      return;
    }
    if (e.kind === "lost") {
      if (Number.isNaN(e.count)) r.reportedLostUncounted++;
      else r.reportedLost += e.count;
      return;
    }
    if (e.kind === "unparsed") {
      r.unparsed++;
      if (r.unparsedSample.length < 5) r.unparsedSample.push(e.line.slice(0, 200));
      return;
    }
    // A probe's exit may follow a subscription made after the probe started: only its fork or exec dates it.
    if (e.kind !== "exit" && this.probes.has(e.pid)) this.probeSeen.add(e.pid);
    if (e.kind === "fork") {
      const parent = this.lastParent;
      this.lastParent = undefined;
      // Once PIDs wrap, other processes get PIDs the load also had: a child of anyone
      // but our producers is someone else's until it exits, and none of its lines count.
      // forkstat sometimes shows the parent as PID 0: that says nothing about whose child it is.
      if (parent !== undefined && parent !== 0 && !this.producers.has(parent)) {
        this.foreign.add(e.pid);
        return;
      }
      this.foreign.delete(e.pid);
    } else if (this.foreign.has(e.pid)) {
      if (e.kind === "exit") this.foreign.delete(e.pid);
      return;
    }
    if (!this.kinds.includes(e.kind)) return;
    const want = this.expected.get(e.pid);
    if (want === undefined) return;
    const seen = this.seen[e.kind];
    const had = seen.get(e.pid) ?? 0;
    // PIDs are reused in long runs: never credit a PID more often than the load made it.
    if (had >= want) return;
    seen.set(e.pid, had + 1);
    r.received[e.kind] = (r.received[e.kind] ?? 0) + 1;
    if (e.kind === "fork") this.classify(r.forkNames, e.kind, normalize(e.name), this.forkNames);
    else if (e.kind === "exec") this.classify(r.execNames, e.kind, normalize(e.name), EXEC_NAMES);
  }

  private classify(counts: NameCounts, kind: Kind, name: string, expected: ReadonlySet<string>): void {
    if (expected.has(name)) counts.right++;
    else if (isUnknown(name)) counts.unknown++;
    else {
      counts.wrong++;
      const key = `${kind}\0${name}`;
      const w = this.wrong.get(key) ?? { name, count: 0, kind };
      w.count++;
      this.wrong.set(key, w);
    }
  }

  /** PIDs of the probe processes that appear anywhere in the output. */
  probesSeen(): ReadonlySet<number> {
    return this.probeSeen;
  }

  finish(): Correctness {
    const r = this.result;
    r.lost = 0;
    for (const k of this.kinds) r.lost += (r.created[k] ?? 0) - (r.received[k] ?? 0);
    r.wrongNames = [...this.wrong.values()].sort((a, b) => b.count - a.count).slice(0, 5);
    return r;
  }
}
