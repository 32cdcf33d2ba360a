/**
 * Keys from the bytes a terminal in raw mode sends. A read may end inside an escape
 * sequence or a UTF-8 character: the decoder keeps the start until the rest comes. A lone
 * ESC cannot be told from the start of a sequence until more bytes come or none do, so the
 * caller flushes the decoder when nothing has followed for a moment.
 */

export type KeyName =
  | "char"
  | "enter"
  | "escape"
  | "backspace"
  | "tab"
  | "up"
  | "down"
  | "left"
  | "right"
  | "pageup"
  | "pagedown"
  | "home"
  | "end"
  | "delete"
  | "ctrl-c"
  | "ctrl-d"
  | "ctrl-l"
  | "ctrl-u"
  | "ctrl-w"
  | "ctrl-z"
  | "unknown";

export interface Key {
  name: KeyName;
  /** The character, for "char"; "" otherwise. */
  ch: string;
}

const ESC = 0x1b;
/** Longer than any sequence a terminal sends for a key: give up on it. */
const MAX_SEQUENCE = 32;

const CONTROL: Record<number, KeyName> = {
  3: "ctrl-c",
  4: "ctrl-d",
  8: "backspace",
  9: "tab",
  10: "enter",
  12: "ctrl-l",
  13: "enter",
  21: "ctrl-u",
  23: "ctrl-w",
  26: "ctrl-z",
  127: "backspace",
};

/** Final byte of CSI or SS3 -> key. */
const FINAL: Record<string, KeyName> = { A: "up", B: "down", C: "right", D: "left", H: "home", F: "end" };
/** CSI n ~ -> key. */
const TILDE: Record<string, KeyName> = { "1": "home", "7": "home", "4": "end", "8": "end", "3": "delete", "5": "pageup", "6": "pagedown" };

const key = (name: KeyName, ch = ""): Key => ({ name, ch });

function utf8Length(b: number): number {
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export class KeyDecoder {
  private held: number[] = [];

  /** Keys completed by this chunk; an incomplete tail is held for the next. */
  feed(chunk: Uint8Array): Key[] {
    for (const b of chunk) this.held.push(b);
    return this.decode(false);
  }

  /** Bytes are held waiting for the rest of a sequence. */
  pending(): boolean {
    return this.held.length > 0;
  }

  /** Nothing more came: what is held stands for itself (a lone ESC is the Escape key). */
  flush(): Key[] {
    return this.decode(true);
  }

  private decode(final: boolean): Key[] {
    const b = this.held;
    const out: Key[] = [];
    let i = 0;
    while (i < b.length) {
      const n = this.one(b, i, out, final);
      if (n === 0) break;
      i += n;
    }
    this.held = i >= b.length ? [] : b.slice(i);
    return out;
  }

  /** Decodes the key at b[i] into out; returns the bytes it took, 0 when it needs more. */
  private one(b: number[], i: number, out: Key[], final: boolean): number {
    const c = b[i]!;
    if (c === ESC) return this.escape(b, i, out, final);
    if (c < 0x20 || c === 0x7f) {
      out.push(key(CONTROL[c] ?? "unknown"));
      return 1;
    }
    if (c < 0x80) {
      out.push(key("char", String.fromCharCode(c)));
      return 1;
    }
    const n = utf8Length(c);
    if (n === 0) {
      out.push(key("unknown"));
      return 1;
    }
    if (i + n > b.length) {
      if (!final) return 0;
      out.push(key("unknown"));
      return 1;
    }
    try {
      out.push(key("char", utf8.decode(new Uint8Array(b.slice(i, i + n)))));
      return n;
    } catch {
      out.push(key("unknown"));
      return 1;
    }
  }

  private escape(b: number[], i: number, out: Key[], final: boolean): number {
    if (i + 1 >= b.length) {
      if (!final) return 0;
      out.push(key("escape"));
      return 1;
    }
    const next = b[i + 1]!;
    if (next === 0x5b || next === 0x4f) {
      // CSI (ESC [ params final) or SS3 (ESC O final).
      let j = i + 2;
      if (next === 0x5b) while (j < b.length && (b[j]! < 0x40 || b[j]! > 0x7e) && j - i < MAX_SEQUENCE) j++;
      if (j >= b.length) {
        if (!final) return 0;
        // Cut short for good: ESC, then the rest as typed.
        out.push(key("escape"));
        return 1;
      }
      if (j - i >= MAX_SEQUENCE) {
        out.push(key("unknown"));
        return j - i;
      }
      const fin = String.fromCharCode(b[j]!);
      const params = String.fromCharCode(...b.slice(i + 2, j));
      let name: KeyName | undefined;
      if (fin === "~") name = TILDE[params.split(";")[0]!];
      else name = FINAL[fin];
      out.push(key(name ?? "unknown"));
      return j + 1 - i;
    }
    // ESC then another key (Alt+key, or Escape typed before it): Escape, then that key.
    out.push(key("escape"));
    return 1;
  }
}
