import { expect, test } from "bun:test";
import { functionsOf } from "../../src/jit";

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
