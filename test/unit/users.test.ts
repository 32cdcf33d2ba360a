// User names come from passwd(5) as UTF-8, and are escaped for display.
import { expect, test } from "bun:test";
import { parsePasswd } from "../../src/proc/users";

const enc = (s: string) => new TextEncoder().encode(s);

test("a UTF-8 name is shown and found as typed", () => {
  const { names, uids } = parsePasswd(enc("root:x:0:0::/root:/bin/sh\njosé:x:1001:1001::/home/josé:/bin/sh\n"));
  expect(names.get(1001)).toBe("josé");
  expect(uids.get("josé")).toBe(1001);
  expect(names.get(0)).toBe("root");
});

test("invalid bytes and control characters in a name are escaped for display", () => {
  const bytes = new Uint8Array([...enc("ev"), 0xff, 0x1b, ...enc("il:x:1002:1002::/:/bin/sh\n")]);
  expect(parsePasswd(bytes).names.get(1002)).toBe("ev\\xff\\x1bil");
});

test("the first entry for a uid or a name wins; malformed lines are skipped", () => {
  const { names, uids } = parsePasswd(enc("a:x:5:5::/:/bin/sh\nb:x:5:5::/:/bin/sh\na:x:6:6::/:/bin/sh\nbroken line\nc:x:notanumber:1::/:/bin/sh\n"));
  expect(names.get(5)).toBe("a");
  expect(uids.get("a")).toBe(5);
  expect(uids.has("c")).toBe(false);
});
