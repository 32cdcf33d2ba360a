// The event-kind registry is the one source: everything derived from it must agree with it.
import { expect, test } from "bun:test";
import { renderCompletions } from "../../src/cli/completions";
import { renderHelp } from "../../src/cli/help";
import { renderManPage } from "../../src/cli/manpage";
import { EVENT_NAMES, LINE_KINDS, REPORT_KINDS, SELECTOR_NAMES, SELECTORS, STAT_KINDS, selectorFor } from "../../src/events/kinds";
import { What } from "../../src/kernel/netlink";
import { Statistics } from "../../src/output/statistics";

test("labels fit the five-character Event column and are unique", () => {
  const labels = REPORT_KINDS.map((k) => LINE_KINDS[k].label);
  for (const l of labels) expect(l.length).toBeLessThanOrEqual(5);
  expect(new Set(labels).size).toBe(labels.length);
});

test("every counted kind is shown by some selector, and every selector shows only counted kinds", () => {
  const shown = new Set(SELECTOR_NAMES.flatMap((s) => [...SELECTORS[s].shows]));
  for (const k of STAT_KINDS) expect(shown.has(k)).toBe(true);
  for (const k of shown) expect(STAT_KINDS as string[]).toContain(k);
});

test("names and aliases resolve to one selector each, in any case", () => {
  const all = SELECTOR_NAMES.flatMap((s) => [s, ...SELECTORS[s].aliases]);
  expect(new Set(all).size).toBe(all.length);
  for (const s of SELECTOR_NAMES) {
    expect(selectorFor(s.toUpperCase())).toBe(s);
    for (const a of SELECTORS[s].aliases) expect(selectorFor(a)).toBe(s);
  }
  expect(selectorFor("all")).toBeUndefined(); // handled by the parser, not a selector
});

test("every selector asks the kernel for at least one event bit, and only known ones", () => {
  const known = Object.values(What).reduce<number>((a, b) => a | b, 0) >>> 0;
  for (const s of SELECTOR_NAMES) {
    expect(SELECTORS[s].kernel).not.toBe(0);
    expect((SELECTORS[s].kernel & ~known) >>> 0).toBe(0);
  }
});

test("help, man page, completions and the statistics table derive from the registry", () => {
  const help = renderHelp();
  for (const n of EVENT_NAMES) expect(help).toContain(n);
  const man = renderManPage();
  for (const k of REPORT_KINDS) expect(man).toContain(`\\fB${LINE_KINDS[k].label}\\fR`);
  for (const shell of ["bash", "zsh", "fish"] as const) for (const n of EVENT_NAMES) expect(renderCompletions(shell)).toContain(n);
  const heading = new Statistics().render().split("\n")[0]!;
  expect(heading.trim().split(/\s+/)).toEqual([...STAT_KINDS.map((k) => LINE_KINDS[k].stat!), "Total", "Process"]);
});
