// The set of processes --pid follows and --exclude-pid drops: existing descendants at
// start, forks later, and exits that free a PID for an unrelated process.
import { describe, expect, test } from "bun:test";
import { Subtree } from "../../src/track/subtree";

describe("Subtree", () => {
  const links = (pairs: [number, number][], kthreads: number[] = []) => pairs.map(([pid, ppid]) => [pid, { ppid, kthread: kthreads.includes(pid) }] as const);

  test("adopts existing descendants, follows forks, forgets exits", () => {
    const t = new Subtree([10]);
    t.adopt(
      links([
        [10, 1],
        [11, 10],
        [12, 11],
        [13, 1],
        [14, 13],
        [15, 12],
      ]),
    );
    expect([10, 11, 12, 15].every((p) => t.has(p))).toBe(true);
    expect(t.has(13) || t.has(14) || t.has(1)).toBe(false);
    t.fork(12, 20); // a child forked later
    t.fork(20, 21); // and its child
    t.fork(13, 22); // outside
    expect(t.has(20) && t.has(21)).toBe(true);
    expect(t.has(22)).toBe(false);
    t.exit(12); // a member's exit leaves its children members (reparented, still descendants)
    expect(t.has(12)).toBe(false);
    expect(t.has(15) && t.has(20)).toBe(true);
    t.fork(1, 12); // the PID reused by an unrelated process
    expect(t.has(12)).toBe(false);
  });

  test("several roots; kernel threads are not adopted; parent loops end", () => {
    const t = new Subtree([2, 50]);
    t.adopt(
      links(
        [
          [3, 2],
          [51, 50],
          [60, 61],
          [61, 60],
        ],
        [3],
      ),
    );
    expect(t.has(3)).toBe(false);
    expect(t.has(51)).toBe(true);
    expect(t.has(60) || t.has(61)).toBe(false);
    expect(t.size).toBe(3);
  });
});
