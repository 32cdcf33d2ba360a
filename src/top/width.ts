/**
 * Display width of screen text, and cutting it to a number of terminal columns. The text
 * is already escaped (no control characters of its own) but may carry the SGR sequences
 * colour adds. Widths are counted per code point, as terminals do (wcwidth): East Asian
 * wide and fullwidth characters and emoji take 2 columns, combining marks 0.
 */

const ESC = 0x1b;

/**
 * Length of the escape sequence at s[i] (which is ESC): CSI (ESC [ ... final byte),
 * OSC/DCS-style strings (ended by BEL or ESC \), or ESC and one character.
 */
function escapeLength(s: string, i: number): number {
  const n = s.length;
  if (i + 1 >= n) return 1;
  const c = s.charCodeAt(i + 1);
  if (c === 0x5b) {
    let j = i + 2;
    while (j < n) {
      const f = s.charCodeAt(j++);
      if (f >= 0x40 && f <= 0x7e) break;
    }
    return j - i;
  }
  if (c === 0x5d || c === 0x50 || c === 0x5f || c === 0x5e) {
    let j = i + 2;
    while (j < n) {
      const f = s.charCodeAt(j);
      if (f === 0x07) return j + 1 - i;
      if (f === ESC && s.charCodeAt(j + 1) === 0x5c) return j + 2 - i;
      j++;
    }
    return n - i;
  }
  return 2;
}

const wideCache = new Map<number, number>();

/** Columns taken by one code point. */
export function codePointWidth(cp: number): number {
  if (cp < 0x7f) return cp >= 0x20 ? 1 : 0;
  if (cp < 0xa0) return 0;
  let w = wideCache.get(cp);
  if (w === undefined) {
    w = Bun.stringWidth(String.fromCodePoint(cp), { ambiguousIsNarrow: true });
    if (wideCache.size < 4096) wideCache.set(cp, w);
  }
  return w;
}

function isPlainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/** Terminal columns `s` takes; escape sequences take none. */
export function displayWidth(s: string): number {
  if (isPlainAscii(s)) return s.length;
  let w = 0;
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (c === ESC) {
      i += escapeLength(s, i);
      continue;
    }
    const cp = s.codePointAt(i)!;
    w += codePointWidth(cp);
    i += cp > 0xffff ? 2 : 1;
  }
  return w;
}

/**
 * The longest start of `s` that fits in `cols` columns. A wide character that would
 * straddle the edge is left out whole; zero-width marks stay with the character before
 * them; escape sequences are never split, and those after the cut are kept (so a colour
 * that was switched on is switched off again). Other control characters are dropped.
 */
export function cutToWidth(s: string, cols: number): string {
  if (isPlainAscii(s)) return s.length <= cols ? s : s.slice(0, Math.max(cols, 0));
  let out = "";
  let w = 0;
  let full = false;
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (c === ESC) {
      const n = escapeLength(s, i);
      out += s.slice(i, i + n);
      i += n;
      continue;
    }
    const cp = s.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    const control = cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
    if (!full && !control) {
      const cw = codePointWidth(cp);
      if (w + cw > cols) full = true;
      else {
        w += cw;
        out += s.slice(i, i + len);
      }
    }
    i += len;
  }
  return out;
}

/** `s` cut or padded with spaces to exactly `cols` columns. */
export function fitWidth(s: string, cols: number): string {
  const cut = cutToWidth(s, cols);
  const w = displayWidth(cut);
  return w < cols ? cut + " ".repeat(cols - w) : cut;
}

/** `s` right-aligned in `cols` columns (cut at the right when longer). */
export function padStartWidth(s: string, cols: number): string {
  const w = displayWidth(s);
  return w >= cols ? cutToWidth(s, cols) : " ".repeat(cols - w) + s;
}
