/**
 * The chain of parents of a process, from pstat's own process table: a JSON array from the
 * nearest parent up, and a one-line text form read from the farthest down
 * (`sshd › bash › make`). Pure: the table is reached through a lookup.
 */

export interface ParentInfo {
  ppid: number;
  /** The display name and the kernel's task name (both already escaped). */
  name: string;
  comm: string;
  /** Start time (any clock, the same for every entry); NaN when unknown. */
  start?: number;
}

/** The table entry for a pid, or undefined when pstat does not know it. */
export type ParentLookup = (pid: number) => ParentInfo | undefined;

export interface Ancestor {
  pid: number;
  /** The display name, as the Process column shows it. */
  process: string;
  /** The task name, short enough for a chain on one line. */
  comm: string;
}

/** Deeper chains are cut; real ones are rarely past 20. */
export const MAX_DEPTH = 64;

/**
 * A parent cannot start after its child; one that seems to has taken the PID of the real
 * parent, which has exited. Start times from /proc are in clock ticks, hence the slack.
 */
const START_SLACK_NS = 20e6;

/**
 * The ancestors of `pid`, nearest first. The chain ends at a process with no parent (PID 1,
 * kthreadd: ppid 0), at one the table does not know (it has exited), at `maxDepth`, where
 * a parent link leads back into the chain or to a process that started after its child
 * (stale entries after PIDs are reused).
 */
export function ancestors(pid: number, lookup: ParentLookup, maxDepth = MAX_DEPTH): Ancestor[] {
  const self = lookup(pid);
  return self === undefined ? [] : parentsOf(pid, self, lookup, maxDepth);
}

/** The ancestors of `self` (whose PID is `pid`), nearest first, as ancestors() finds them. */
export function parentsOf(pid: number, self: ParentInfo, lookup: ParentLookup, maxDepth = MAX_DEPTH): Ancestor[] {
  const chain: Ancestor[] = [];
  let next = self.ppid;
  let childStart = self.start ?? NaN;
  while (next > 0 && chain.length < maxDepth && next !== pid && !inChain(chain, next)) {
    const p = lookup(next);
    if (p === undefined) break;
    const start = p.start ?? NaN;
    if (start - childStart > START_SLACK_NS) break;
    chain.push({ pid: next, process: p.name, comm: p.comm });
    next = p.ppid;
    childStart = start;
  }
  return chain;
}

function inChain(chain: readonly Ancestor[], pid: number): boolean {
  for (let i = 0; i < chain.length; i++) if (chain[i]!.pid === pid) return true;
  return false;
}

const SEP = " › ";
const CUT = "…";
/** The shortest bound that still shows something of the nearest parent. */
const MIN_LENGTH = 8;

/**
 * The chain as text, farthest first, by task name (comm), at most `maxLength` characters (UTF-16 units). PID 1
 * is left out when it is not the only ancestor: every chain ends there, so it tells nothing.
 * A chain too long is cut in the middle (`sshd › bash › … › make › cc`): it keeps the
 * farthest and the nearest, then adds names from the near end and the far end in turn while
 * they fit. When not even the farthest and the nearest fit, it is `… › ` and the nearest,
 * itself cut if need be.
 * An empty chain is "".
 */
export function ancestryText(chain: readonly Ancestor[], maxLength = 60): string {
  const max = Math.max(maxLength, MIN_LENGTH);
  let n = chain.length;
  if (n > 1 && chain[n - 1]!.pid === 1) n--;
  if (n === 0) return "";
  // names[0] is the farthest shown, names[n - 1] the nearest parent.
  const names: string[] = [];
  for (let i = n - 1; i >= 0; i--) names.push(chain[i]!.comm);
  const full = names.join(SEP);
  if (full.length <= max) return full;
  const nearest = names[n - 1]!;
  if (n === 1) return cut(nearest, max);
  const middle = SEP + CUT + SEP;
  let left = 1; // names[0, left) are shown on the left
  let right = n - 1; // names[right, n) on the right
  let len = names[0]!.length + middle.length + nearest.length;
  if (len > max) return CUT + SEP + cut(nearest, max - CUT.length - SEP.length);
  for (let grew = true; grew && left < right; ) {
    grew = false;
    const r = names[right - 1]!.length + SEP.length;
    if (left < right && len + r <= max) {
      len += r;
      right--;
      grew = true;
    }
    const l = names[left]!.length + SEP.length;
    if (left < right && len + l <= max) {
      len += l;
      left++;
      grew = true;
    }
  }
  return names.slice(0, left).join(SEP) + middle + names.slice(right).join(SEP);
}

function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - CUT.length;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--; // do not split a surrogate pair
  return s.slice(0, end) + CUT;
}
