import { describe, expect, test } from "bun:test";
import { KeyDecoder, type Key } from "../../src/top/keys";
import { initialState, type ViewState } from "../../src/top/render";
import { applyKey, type KeyContext } from "../../src/top/state";

const bytes = (...b: (number | string)[]) => new Uint8Array(b.flatMap((x) => (typeof x === "string" ? [...Buffer.from(x, "utf8")] : [x])));
const names = (keys: Key[]) => keys.map((k) => (k.name === "char" ? k.ch : k.name));

describe("key decoding", () => {
  test("letters, Enter, Backspace, Ctrl-C and friends", () => {
    const d = new KeyDecoder();
    expect(names(d.feed(bytes("qsg/?")))).toEqual(["q", "s", "g", "/", "?"]);
    expect(names(d.feed(bytes(0x0d, 0x0a, 0x7f, 0x08, 0x03, 0x0c, 0x1a, 0x15, 0x17, 0x09, 0x01)))).toEqual([
      "enter",
      "enter",
      "backspace",
      "backspace",
      "ctrl-c",
      "ctrl-l",
      "ctrl-z",
      "ctrl-u",
      "ctrl-w",
      "tab",
      "unknown",
    ]);
    expect(d.pending()).toBe(false);
  });

  test("arrows and paging keys, in CSI and SS3 forms, with modifiers", () => {
    const d = new KeyDecoder();
    expect(names(d.feed(bytes("\x1b[A\x1b[B\x1b[C\x1b[D\x1bOA\x1bOB\x1b[H\x1b[F")))).toEqual(["up", "down", "right", "left", "up", "down", "home", "end"]);
    expect(names(d.feed(bytes("\x1b[5~\x1b[6~\x1b[3~\x1b[1~\x1b[4~\x1b[1;5A\x1b[2~")))).toEqual([
      "pageup",
      "pagedown",
      "delete",
      "home",
      "end",
      "up",
      "unknown",
    ]);
  });

  test("a sequence split across reads comes out whole once its end arrives", () => {
    const d = new KeyDecoder();
    expect(d.feed(bytes(0x1b))).toEqual([]);
    expect(d.pending()).toBe(true);
    expect(d.feed(bytes("["))).toEqual([]);
    expect(d.feed(bytes("5"))).toEqual([]);
    expect(names(d.feed(bytes("~j")))).toEqual(["pageup", "j"]);
    expect(d.pending()).toBe(false);
    expect(d.feed(bytes("k\x1b["))).toEqual([{ name: "char", ch: "k" }]);
    expect(names(d.feed(bytes("B")))).toEqual(["down"]);
  });

  test("a lone ESC is the Escape key once nothing follows; ESC then a letter is Escape, then the letter", () => {
    const d = new KeyDecoder();
    expect(d.feed(bytes(0x1b))).toEqual([]);
    expect(names(d.flush())).toEqual(["escape"]);
    expect(d.pending()).toBe(false);
    expect(names(d.feed(bytes("\x1bq")))).toEqual(["escape", "q"]);
    expect(names(d.feed(bytes("\x1b\x1b[A")))).toEqual(["escape", "up"]);
    // A sequence cut short for good: Escape, then the rest as typed.
    d.feed(bytes("\x1b[1;"));
    expect(names(d.flush())).toEqual(["escape", "[", "1", ";"]);
  });

  test("UTF-8 characters, also split across reads; invalid bytes are unknown", () => {
    const d = new KeyDecoder();
    expect(names(d.feed(bytes("é构")))).toEqual(["é", "构"]);
    const [a, b, c] = [...Buffer.from("构", "utf8")];
    expect(d.feed(bytes(a!, b!))).toEqual([]);
    expect(names(d.feed(bytes(c!)))).toEqual(["构"]);
    expect(names(d.feed(bytes(0xff, 0x80, "x")))).toEqual(["unknown", "unknown", "x"]);
    d.feed(bytes(0xe6));
    expect(names(d.flush())).toEqual(["unknown"]);
  });

  test("an endless sequence is given up on rather than held forever", () => {
    const d = new KeyDecoder();
    const out = d.feed(bytes("\x1b[" + "1".repeat(40) + "q"));
    expect(out[0]!.name).toBe("unknown");
    expect(d.pending()).toBe(false);
  });
});

const ctx: KeyContext = { rowCount: 10, pageRows: 4, groupings: ["parent", "program", "user"], usageAvailable: false };
const k = (ch: string): Key => ({ name: "char", ch });
const named = (name: Key["name"]): Key => ({ name, ch: "" });

function press(keys: Key[], state: ViewState = initialState(), c: KeyContext = ctx) {
  let s = state;
  let action = "none";
  for (const key of keys) ({ state: s, action } = applyKey(s, key, c));
  return { state: s, action };
}

describe("what keys do", () => {
  test("q and Ctrl-C quit, from any view; Ctrl-C even from the filter prompt", () => {
    expect(press([k("q")]).action).toBe("quit");
    expect(press([named("ctrl-c")]).action).toBe("quit");
    expect(press([k("/"), named("ctrl-c")]).action).toBe("quit");
    expect(press([k("/"), k("q")]).action).toBe("none");
    expect(press([k("?"), k("q")]).action).toBe("quit");
  });

  test("s cycles the sort columns, skipping CPU and memory when unavailable; S goes back", () => {
    expect(press([k("s")]).state.sort).toBe("avg");
    expect(press([k("s"), k("s"), k("s"), k("s"), k("s"), k("s")]).state.sort).toBe("key");
    expect(press([k("s"), k("s"), k("s"), k("s"), k("s"), k("s")], initialState(), { ...ctx, usageAvailable: true }).state.sort).toBe("cpu");
    expect(press([k("S")]).state.sort).toBe("key");
  });

  test("g cycles the groupings offered and resets the selection", () => {
    const s = press([named("down"), k("g")]).state;
    expect(s.grouping).toBe("program");
    expect(s.selected).toBe(0);
    expect(press([k("g"), k("g"), k("g")]).state.grouping).toBe("parent");
    expect(press([k("G")]).state.grouping).toBe("user");
  });

  test("p pauses and resumes", () => {
    expect(press([k("p")]).state.paused).toBe(true);
    expect(press([k("p"), k(" ")]).state.paused).toBe(false);
  });

  test("the selection moves within the rows", () => {
    expect(press([named("down"), named("down"), k("j")]).state.selected).toBe(3);
    expect(press([named("down"), named("up"), named("up"), k("k")]).state.selected).toBe(0);
    expect(press([named("pagedown"), named("pagedown"), named("pagedown")]).state.selected).toBe(9);
    expect(press([named("end"), named("pageup")]).state.selected).toBe(5);
    expect(press([named("end"), named("home")]).state.selected).toBe(0);
    expect(press([named("down")], initialState(), { ...ctx, rowCount: 0 }).state.selected).toBe(0);
  });

  test("/ edits a filter: typing, backspace, Enter applies, Esc cancels, a bad one is refused with a message", () => {
    let r = press([k("/"), k("m"), k("a"), k("x"), named("backspace"), named("enter")]);
    expect(r.state.filter).toBe("ma");
    expect(r.state.prompt).toBeNull();
    r = press([k("/"), k("z"), named("escape")], r.state);
    expect(r.state.filter).toBe("ma");
    expect(r.state.prompt).toBeNull();
    r = press([k("/"), k("(")], r.state);
    expect(r.state.prompt).toBe("ma(");
    r = press([named("enter")], r.state);
    expect(r.state.prompt).toBe("ma(");
    expect(r.state.message).toContain("not a regular expression");
    expect(r.state.filter).toBe("ma");
    r = press([named("ctrl-u"), named("enter")], r.state);
    expect(r.state.filter).toBe("");
    // Wide characters are removed whole; controls and bidi overrides are not taken.
    r = press([k("/"), k("构"), k("😀"), named("backspace"), k("\u202e"), k("\x07")]);
    expect(r.state.prompt).toBe("构");
    r = press([k("a"), k(" "), k("b"), named("ctrl-w")], r.state);
    expect(r.state.prompt).toBe("构a");
  });

  test("Enter asks for the selected group's details; Esc or Enter go back; ? shows help until a key", () => {
    expect(press([named("enter")]).action).toBe("open-detail");
    expect(press([named("enter")], initialState(), { ...ctx, rowCount: 0 }).action).toBe("none");
    const inDetail = { ...initialState(), detail: { grouping: "parent" as const, key: "x", recent: [] } };
    expect(press([named("escape")], inDetail).state.detail).toBeNull();
    expect(press([named("enter")], inDetail).state.detail).toBeNull();
    expect(press([k("s")], inDetail).state.detail).not.toBeNull();
    expect(press([k("?")]).state.help).toBe(true);
    expect(press([k("?"), k("x")]).state.help).toBe(false);
  });

  test("Ctrl-L redraws, Ctrl-Z suspends", () => {
    expect(press([named("ctrl-l")]).action).toBe("redraw");
    expect(press([named("ctrl-z")]).action).toBe("suspend");
  });
});
