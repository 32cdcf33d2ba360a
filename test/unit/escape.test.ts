// Untrusted bytes become text that cannot drive a terminal or forge a line.
import { expect, test } from "bun:test";
import { escapeBytes, escapeString } from "../../src/text/escape";

const esc = (bytes: number[] | string, nulAsSpace = false) => {
  const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : new Uint8Array(bytes);
  return escapeBytes(b, 0, b.length, nulAsSpace);
};

test("printable ASCII and valid UTF-8 pass through", () => {
  expect(esc("make -j8 ünïcode ✓")).toBe("make -j8 ünïcode ✓");
});

test("C0 controls, DEL and backslash are escaped; newline, tab and CR by name", () => {
  expect(esc("a\x1b[2Jb\n\t\r\x7f\\")).toBe("a\\x1b[2Jb\\n\\t\\r\\x7f\\\\");
});

test("invalid UTF-8 (stray, overlong, surrogate, truncated) becomes \\xNN", () => {
  expect(esc([0xff, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xe2, 0x82])).toBe("\\xff\\xc0\\xaf\\xed\\xa0\\x80\\xe2\\x82");
});

test("C1 controls and bidirectional overrides become \\uNNNN", () => {
  expect(esc("x\u009by\u202ez\u2028")).toBe("x\\u009by\\u202ez\\u2028");
});

test("command-line NULs read as spaces only when asked", () => {
  expect(esc([0x6c, 0x73, 0, 0x2d, 0x6c], true)).toBe("ls -l");
  expect(esc([0x6c, 0x73, 0, 0x2d, 0x6c])).toBe("ls\\x00-l");
});

test("strings from JavaScript follow the same rules", () => {
  expect(escapeString("plain")).toBe("plain");
  expect(escapeString("user\x1b]0;pwned\x07")).toBe("user\\x1b]0;pwned\\x07");
});

test("the ASCII fast path reads the range asked for, from whichever array, however long", () => {
  const a = new TextEncoder().encode("xx/bin/true\0-v\0yy");
  const b = new TextEncoder().encode("other array");
  expect(escapeBytes(a, 2, 15, true)).toBe("/bin/true -v ");
  expect(escapeBytes(b, 0, 5)).toBe("other");
  expect(escapeBytes(a, 2, 11)).toBe("/bin/true");
  const long = new Uint8Array(10000).fill(0x61);
  long[5000] = 0;
  const s = escapeBytes(long, 0, long.length, true);
  expect(s.length).toBe(10000);
  expect(s[5000]).toBe(" ");
  expect(escapeBytes(long, 0, 3, true)).toBe("aaa");
});
