import { expect, test } from "bun:test";
import { numberOfDFGCompiles } from "bun:jsc";
import { functionsOf, limitJit, TierUp } from "../../src/jit";

class Base {
  inherited(): number {
    return 1;
  }
  get size(): number {
    return 2;
  }
}

class Derived extends Base {
  own(): number {
    return 3;
  }
  readonly handler = (): number => 4;
}

test("functionsOf a class covers the methods and getters it inherits", () => {
  const fs = functionsOf(Derived);
  expect(fs).toContain(Derived.prototype.own);
  expect(fs).toContain(Base.prototype.inherited);
  expect(fs).toContain(Object.getOwnPropertyDescriptor(Base.prototype, "size")!.get!);
  expect(fs).not.toContain(Derived as unknown as () => unknown);
});

test("functionsOf an instance adds its function-valued fields", () => {
  const d = new Derived();
  const fs = functionsOf(d);
  expect(fs).toContain(d.handler);
  expect(fs).toContain(Base.prototype.inherited);
  expect(fs).toContain(Derived.prototype.own);
});

/**
 * A function shaped like pstat's per-event code: one common path and many branches a
 * quiet machine never takes, so that most of its type profiles stay empty.
 */
function makeHandler(): (e: { kind: number; a: { x: number }; b: { y: number } }) => number {
  return (e) => {
    switch (e.kind) {
      case 0:
        return e.a.x + e.b.y;
      case 1:
        return e.a.x * e.b.y + e.a.x;
      case 2:
        return e.b.y - e.a.x + e.b.y * 2;
      case 3:
        return (e.a.x << 2) + (e.b.y >> 1) + e.a.x;
      case 4:
        return (e.a.x % 7) + (e.b.y % 5) + e.a.x * e.b.y;
      case 5:
        return Math.max(e.a.x, e.b.y) + Math.min(e.a.x, e.b.y);
      default:
        return String(e.kind).length + e.a.x + e.b.y;
    }
  };
}

/**
 * Whether the optimizing tier compiles `f` within 20 more calls, 50 ms apart (it compiles
 * on another thread): too few calls for JavaScriptCore's own counters to decide it.
 */
async function optimizedSoon(f: (...args: never[]) => unknown, call: () => void): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    if (numberOfDFGCompiles(f as (...args: unknown[]) => unknown) > 0) return true;
    await Bun.sleep(50);
    call();
  }
  return numberOfDFGCompiles(f as (...args: unknown[]) => unknown) > 0;
}

test("TierUp gets hot code with sparse type profiles optimized after a few hundred events", async () => {
  const e = { kind: 0, a: { x: 2 }, b: { y: 3 } };
  // Without it: JavaScriptCore defers such a function (the reason TierUp exists).
  const plain = makeHandler();
  for (let i = 0; i < 400; i++) plain(e);
  expect(await optimizedSoon(plain, () => plain(e))).toBe(false);
  // With it: the same code, one event per turn, as at a trickle.
  const nudged = makeHandler();
  limitJit(nudged);
  const tierUp = new TierUp();
  for (let i = 0; i < 400; i++) {
    nudged(e);
    tierUp.turn(1);
  }
  expect(await optimizedSoon(nudged, () => nudged(e))).toBe(true);
});
