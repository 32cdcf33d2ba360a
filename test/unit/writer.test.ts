import { expect, test } from "bun:test";
import { Writer } from "../../src/output/writer";

function written(f: (w: Writer) => void): string {
  const w = new Writer(-1, false);
  w.reserve(256);
  f(w);
  return Buffer.from(w.peek()).toString("latin1");
}

test("uint writes every digit count, on both sides of 2^31", () => {
  const values = [0, 7, 9, 10, 99, 100, 12345, 999999999, 1000000000, 2147483647, 2147483648, 4294967296, 9007199254740991];
  for (const v of values) expect(written((w) => w.uint(v))).toBe(String(v));
  for (let p = 1; p < 1e15; p *= 10) {
    expect(written((w) => w.uint(p))).toBe(String(p));
    expect(written((w) => w.uint(p - 1))).toBe(String(p - 1));
  }
});

test("uint right-aligns in its width and never cuts a wider number", () => {
  expect(written((w) => w.uint(42, 6))).toBe("    42");
  expect(written((w) => w.uint(3000000000, 12))).toBe("  3000000000");
  expect(written((w) => w.uint(123456, 3))).toBe("123456");
});

test("spaces pads short and long runs alike", () => {
  expect(written((w) => w.spaces(3))).toBe("   ");
  expect(written((w) => w.spaces(40))).toBe(" ".repeat(40));
  expect(written((w) => w.spaces(0))).toBe("");
});
