import { describe, expect, test } from "bun:test";
import { PidMap } from "../../src/pid-map";

/** A small deterministic generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe("PidMap", () => {
  test("get, set, delete", () => {
    const m = new PidMap(8);
    expect(m.get(5)).toBe(-1);
    m.set(5, 50);
    m.set(0, 7);
    expect(m.get(5)).toBe(50);
    expect(m.get(0)).toBe(7);
    expect(m.get(5)).not.toBe(-1);
    m.set(5, 2 ** 40);
    expect(m.get(5)).toBe(2 ** 40);
    expect(m.size).toBe(2);
    expect(m.delete(5)).toBe(true);
    expect(m.delete(5)).toBe(false);
    expect(m.get(5)).toBe(-1);
    expect(m.size).toBe(1);
  });

  test("refuses more keys than it was made for", () => {
    const m = new PidMap(3);
    for (const k of [1, 2, 3]) m.set(k, k);
    m.set(3, 30); // an update is not a new key
    expect(() => m.set(4, 4)).toThrow();
  });

  test.each([1, 2, 3, 4])("agrees with Map over random churn (seed %p)", (seed) => {
    // Few distinct keys in a small table: long probe runs, wrapping, deletes inside runs.
    const r = rng(seed);
    const max = 40;
    const m = new PidMap(max);
    const ref = new Map<number, number>();
    const pool = Array.from({ length: 120 }, (_, i) => (seed === 4 ? i * 64 : 1000 + Math.floor(r() * 4_000_000)));
    for (let step = 0; step < 50_000; step++) {
      const key = pool[Math.floor(r() * pool.length)]!;
      const op = r();
      if (op < 0.45 && (ref.size < max || ref.has(key))) {
        m.set(key, step);
        ref.set(key, step);
      } else if (op < 0.9) {
        expect(m.delete(key)).toBe(ref.delete(key));
      } else {
        expect(m.get(key)).toBe(ref.get(key) ?? -1);
      }
      expect(m.size).toBe(ref.size);
    }
    for (const key of pool) expect(m.get(key)).toBe(ref.get(key) ?? -1);
  });
});
