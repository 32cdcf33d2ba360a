/**
 * What a key does to the view: a pure step from one ViewState to the next, plus what the
 * caller must do that the state cannot (quit, open a group's details, redraw, suspend).
 */
import { escapeString } from "../text/escape";
import type { Key } from "./keys";
import { compileFilter, GROUPINGS, SORT_COLUMNS, type Grouping, type SortColumn } from "./model";
import type { ViewState } from "./render";

export type Action = "none" | "quit" | "redraw" | "suspend" | "open-detail";

export interface KeyContext {
  /** Rows shown now (after the filter). */
  rowCount: number;
  /** Rows that fit on one page, for PgUp/PgDn. */
  pageRows: number;
  /** Groupings that have data. */
  groupings: readonly Grouping[];
  usageAvailable: boolean;
}

export interface Step {
  state: ViewState;
  action: Action;
}

function cycle<T>(list: readonly T[], current: T, by: number): T {
  const i = list.indexOf(current);
  return list[(((i < 0 ? 0 : i + by) % list.length) + list.length) % list.length]!;
}

function sortCycle(usage: boolean): readonly SortColumn[] {
  return usage ? SORT_COLUMNS : SORT_COLUMNS.filter((c) => c !== "cpu" && c !== "mem");
}

function dropLastCodePoint(s: string): string {
  const chars = [...s];
  chars.pop();
  return chars.join("");
}

function dropLastWord(s: string): string {
  return s.replace(/\s*\S*$/, "");
}

export function applyKey(prev: ViewState, k: Key, ctx: KeyContext): Step {
  const s: ViewState = { ...prev };
  const done = (action: Action = "none"): Step => ({ state: s, action });
  if (k.name === "ctrl-c") return done("quit");

  if (s.prompt !== null) {
    s.message = null;
    switch (k.name) {
      case "char":
        // Only what shows as itself: a pasted control or bidi character is not taken.
        if (k.ch === "\\" || escapeString(k.ch) === k.ch) s.prompt += k.ch;
        break;
      case "backspace":
        s.prompt = dropLastCodePoint(s.prompt);
        break;
      case "ctrl-u":
        s.prompt = "";
        break;
      case "ctrl-w":
        s.prompt = dropLastWord(s.prompt);
        break;
      case "escape":
        s.prompt = null;
        break;
      case "enter": {
        const re = compileFilter(s.prompt);
        if (re instanceof Error) s.message = "not a regular expression: " + re.message;
        else {
          s.filter = s.prompt;
          s.prompt = null;
          s.selected = 0;
        }
        break;
      }
    }
    return done();
  }

  s.message = null;
  if (k.name === "char" && k.ch === "q") return done("quit");
  if (k.name === "ctrl-z") return done("suspend");
  if (k.name === "ctrl-l") return done("redraw");

  if (s.help) {
    s.help = false;
    return done();
  }
  if (s.detail !== null) {
    if (k.name === "escape" || k.name === "enter" || k.name === "backspace" || k.name === "left") s.detail = null;
    return done();
  }

  const last = Math.max(ctx.rowCount - 1, 0);
  // j and k move like the arrows.
  const name = k.name === "char" && k.ch === "k" ? "up" : k.name === "char" && k.ch === "j" ? "down" : k.name;
  switch (name) {
    case "up":
      s.selected = Math.max(Math.min(s.selected, last) - 1, 0);
      break;
    case "down":
      s.selected = Math.min(s.selected + 1, last);
      break;
    case "pageup":
      s.selected = Math.max(Math.min(s.selected, last) - Math.max(ctx.pageRows, 1), 0);
      break;
    case "pagedown":
      s.selected = Math.min(s.selected + Math.max(ctx.pageRows, 1), last);
      break;
    case "home":
      s.selected = 0;
      break;
    case "end":
      s.selected = last;
      break;
    case "enter":
      return done(ctx.rowCount > 0 ? "open-detail" : "none");
    case "char":
      switch (k.ch) {
        case "s":
        case "S":
          s.sort = cycle(sortCycle(ctx.usageAvailable), s.sort, k.ch === "s" ? 1 : -1);
          break;
        case "g":
        case "G": {
          const offered = ctx.groupings.length > 0 ? ctx.groupings : GROUPINGS;
          s.grouping = cycle(offered, s.grouping, k.ch === "g" ? 1 : -1);
          s.selected = 0;
          break;
        }
        case "p":
        case " ":
          s.paused = !s.paused;
          break;
        case "/":
          s.prompt = s.filter;
          break;
        case "?":
        case "h":
          s.help = true;
          break;
      }
      break;
  }
  return done();
}
