import { UsageError } from "./errors";
import { EVENT_NAMES, SELECTOR_NAMES, selectorFor, type SelectorName } from "./events/kinds";

/** Which -e selectors the user asked for. */
export type Selection = ReadonlySet<SelectorName>;

export function selectAll(): Selection {
  return new Set(SELECTOR_NAMES);
}

export function parseEvents(list: string): Selection {
  const names = list.split(",").map((s) => s.trim());
  if (names.every((n) => n === "")) throw new UsageError("option -e needs a list of events");
  const sel = new Set<SelectorName>();
  for (const raw of names) {
    if (raw === "") continue;
    if (raw.toLowerCase() === "all") return selectAll();
    const name = selectorFor(raw);
    if (name === undefined) throw new UsageError(`unknown event '${raw}' for -e (expected ${EVENT_NAMES.join(", ")})`);
    sel.add(name);
  }
  return sel;
}
