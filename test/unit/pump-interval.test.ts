import { describe, expect, test } from "bun:test";
import { nextPumpInterval } from "../../src/source/event-source";

describe("looks at the socket during a drain", () => {
  test("each look that finds nothing doubles the interval, up to 64 datagrams", () => {
    const seen: number[] = [];
    for (let every = 8, k = 0; k < 6; k++) seen.push((every = nextPumpInterval(every, false)));
    expect(seen).toEqual([16, 32, 64, 64, 64, 64]);
  });

  test("a look that finds execs (or execs among the events) goes back to every 8", () => {
    expect(nextPumpInterval(64, true)).toBe(8);
    expect(nextPumpInterval(8, true)).toBe(8);
  });
});
