/**
 * A map from process or thread ids to numbers, in two typed arrays with linear probing.
 * Setting and deleting allocate nothing, unlike a Map, whose churn of short-lived keys
 * (one per process on a storm) keeps the garbage collector busy on the hot path. It
 * holds at most the `max` keys it was made for: callers that use it bound theirs.
 */
const EMPTY = -1;

export class PidMap {
  private readonly keys: Int32Array;
  private readonly values: Float64Array;
  private readonly mask: number;
  private readonly max: number;
  /** Keys held now. */
  size = 0;

  constructor(max: number) {
    // At most half full: probe runs stay short.
    let cap = 16;
    while (cap < max * 2) cap *= 2;
    this.keys = new Int32Array(cap).fill(EMPTY);
    this.values = new Float64Array(cap);
    this.mask = cap - 1;
    this.max = max;
  }

  /** The value of `key`, or -1 when it has none. Keys are ids: integers from 0 to 2^31 - 1. */
  get(key: number): number {
    const i = this.find(key);
    return i < 0 ? -1 : this.values[i]!;
  }

  set(key: number, value: number): void {
    const keys = this.keys;
    let i = this.home(key);
    for (;;) {
      const k = keys[i]!;
      if (k === key) break;
      if (k === EMPTY) {
        if (this.size >= this.max) throw new Error(`PidMap: more than ${this.max} keys`);
        keys[i] = key;
        this.size++;
        break;
      }
      i = (i + 1) & this.mask;
    }
    this.values[i] = value;
  }

  /** Removes `key`; true when it was there. */
  delete(key: number): boolean {
    let hole = this.find(key);
    if (hole < 0) return false;
    const keys = this.keys;
    const mask = this.mask;
    // Backward shift: every entry after the hole in its probe run that may move into it
    // does, so lookups never need tombstones.
    for (let j = (hole + 1) & mask; keys[j] !== EMPTY; j = (j + 1) & mask) {
      const h = this.home(keys[j]!);
      // The entry at j stays when its home lies cyclically in (hole, j].
      if (hole <= j ? hole < h && h <= j : hole < h || h <= j) continue;
      keys[hole] = keys[j]!;
      this.values[hole] = this.values[j]!;
      hole = j;
    }
    keys[hole] = EMPTY;
    this.size--;
    return true;
  }

  private find(key: number): number {
    const keys = this.keys;
    for (let i = this.home(key); ; i = (i + 1) & this.mask) {
      const k = keys[i]!;
      if (k === key) return i;
      if (k === EMPTY) return -1;
    }
  }

  private home(key: number): number {
    // The kernel hands out ids in order: runs of 8 keep their order (a storm's processes
    // share cache lines), and the runs are scattered (Fibonacci hashing), so that probe
    // runs stay short; the ids themselves as slots would make one long run.
    return ((Math.imul(key >>> 3, 0x9e3779b1) << 3) | (key & 7)) & this.mask;
  }
}
