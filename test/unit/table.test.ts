import { describe, expect, test } from "bun:test";
import { commOf, copyInfo, type ProcInfo, UNKNOWN } from "../../src/proc/table";

describe("copyInfo", () => {
  test("copies every field a process entry has", () => {
    // A distinct value per field, whatever ProcInfo holds (UNKNOWN has them all).
    const from = Object.fromEntries(Object.keys(UNKNOWN).map((k, i) => [k, `v${i}`])) as unknown as ProcInfo;
    const to = { ...UNKNOWN } as ProcInfo;
    copyInfo(to, from);
    expect(to).toEqual(from);
  });
});

describe("commOf", () => {
  test.each([
    ["/usr/bin/make -j8", "make"],
    ["/bin/true", "true"],
    ["true", "true"],
    ["./a.out x/y z", "a.out"],
    ["/opt/a-very-long-program-name --flag", "a-very-long-pro"],
    ["dir/ arg", ""],
    ["/", ""],
    ["", ""],
    [" leading", ""],
  ])("%p -> %p", (cmdline, comm) => {
    expect(commOf(cmdline)).toBe(comm);
  });
});
