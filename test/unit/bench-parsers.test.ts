// The bench's reading of the floors' output: floor-bun-all's fork and exit lines count as
// printed but are not scored, and anything else unknown is reported as unparsed.
import { expect, test } from "bun:test";
import { parseFloor } from "../../scripts/bench/parsers";

test("floor lines: execs are scored with their command line", () => {
  expect(parseFloor("exec 4242 /bin/true a b")).toEqual({ kind: "exec", pid: 4242, name: "/bin/true a b" });
  expect(parseFloor("exec 7 <unknown>")).toEqual({ kind: "exec", pid: 7, name: "<unknown>" });
});

test("floor-bun-all's fork and exit lines are printed events, not scored ones", () => {
  expect(parseFloor("fork 4243")).toEqual({ kind: "other" });
  expect(parseFloor("exit 4243")).toEqual({ kind: "other" });
});

test("anything else is unparsed; blank lines are nothing", () => {
  expect(parseFloor("fork")).toEqual({ kind: "unparsed", line: "fork" });
  expect(parseFloor("exit 12 extra")).toEqual({ kind: "unparsed", line: "exit 12 extra" });
  expect(parseFloor("")).toBeUndefined();
});
