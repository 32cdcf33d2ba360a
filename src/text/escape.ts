/**
 * Turns untrusted bytes (command lines, task names) into text that is safe to print:
 * no control character, escape sequence, newline or invalid UTF-8 reaches the terminal.
 * Printable ASCII and valid UTF-8 pass through; backslash becomes `\\` so escapes stay
 * unambiguous; C0 controls, DEL and invalid bytes become `\xNN` (`\n`, `\t`, `\r` by name);
 * C1 controls and the Unicode line and bidirectional-override characters become `\uNNNN`.
 */

const HEX = "0123456789abcdef";

/** Bun's undocumented Buffer method that makes a string straight from bytes (as in writer.ts). */
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** A Buffer over the array last escaped (nearly always procfs's one read buffer), made once. */
let viewOf: Uint8Array | null = null;
let view: Latin1Buffer | null = null;
/** Where command lines get their NULs turned into spaces before becoming a string. */
let spaced = Buffer.allocUnsafe(4096) as Latin1Buffer;

function bufferOver(bytes: Uint8Array): Latin1Buffer {
  if (bytes !== viewOf || view === null) {
    viewOf = bytes;
    view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as Latin1Buffer;
  }
  return view;
}

/** Printable ASCII (and NULs, read as spaces) as a string, without a decoder or a replace pass. */
function asciiText(bytes: Uint8Array, start: number, end: number, nuls: boolean): string {
  if (!nuls) return bufferOver(bytes).latin1Slice(start, end);
  const n = end - start;
  if (spaced.length < n) spaced = Buffer.allocUnsafe(Math.max(n, spaced.length * 2)) as Latin1Buffer;
  const out = spaced;
  for (let i = 0; i < n; i++) {
    const b = bytes[start + i]!;
    out[i] = b === 0 ? 0x20 : b;
  }
  return out.latin1Slice(0, n);
}

function hexByte(b: number): string {
  return "\\x" + HEX[b >> 4] + HEX[b & 15];
}

function escapeAscii(b: number): string {
  switch (b) {
    case 0x0a:
      return "\\n";
    case 0x09:
      return "\\t";
    case 0x0d:
      return "\\r";
    case 0x5c:
      return "\\\\";
    default:
      return hexByte(b);
  }
}

/** Code points that can rewrite how the rest of a line looks: C1 controls, line/paragraph separators, bidi controls. */
function isDangerous(cp: number): boolean {
  return (
    (cp >= 0x80 && cp <= 0x9f) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0x200e ||
    cp === 0x200f ||
    cp === 0x061c ||
    cp === 0xfeff
  );
}

/** Length of the valid UTF-8 sequence at bytes[i] (2-4), or 0 when it is not one. */
function utf8Length(bytes: Uint8Array, i: number, end: number): number {
  const b = bytes[i]!;
  let n: number;
  let min: number;
  if (b >= 0xc2 && b <= 0xdf) (n = 2), (min = 0x80);
  else if (b >= 0xe0 && b <= 0xef) (n = 3), (min = 0x800);
  else if (b >= 0xf0 && b <= 0xf4) (n = 4), (min = 0x10000);
  else return 0;
  if (i + n > end) return 0;
  let cp = b & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) {
    const c = bytes[i + k]!;
    if ((c & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (c & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

function decodeCodePoint(bytes: Uint8Array, i: number, n: number): number {
  let cp = bytes[i]! & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) cp = (cp << 6) | (bytes[i + k]! & 0x3f);
  return cp;
}

/**
 * Escapes bytes[start, end). With `nulAsSpace`, NUL separators (as in /proc/PID/cmdline)
 * read as spaces; otherwise a NUL is escaped like any other control character.
 */
export function escapeBytes(bytes: Uint8Array, start: number, end: number, nulAsSpace = false): string {
  // Fast path: plain printable ASCII, the overwhelmingly common case.
  let i = start;
  let nuls = false;
  for (; i < end; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b > 0x7e || b === 0x5c) {
      if (b === 0 && nulAsSpace) {
        nuls = true;
        continue;
      }
      break;
    }
  }
  if (i === end) return asciiText(bytes, start, end, nuls);
  let out = "";
  let run = start;
  const flush = (to: number) => {
    if (to > run) out += utf8.decode(bytes.subarray(run, to));
  };
  for (i = start; i < end; ) {
    const b = bytes[i]!;
    if (b >= 0x20 && b <= 0x7e && b !== 0x5c) {
      i++;
      continue;
    }
    if (b < 0x80) {
      flush(i);
      out += b === 0 && nulAsSpace ? " " : escapeAscii(b);
      run = ++i;
      continue;
    }
    const n = utf8Length(bytes, i, end);
    if (n === 0) {
      flush(i);
      out += hexByte(b);
      run = ++i;
      continue;
    }
    const cp = decodeCodePoint(bytes, i, n);
    if (isDangerous(cp)) {
      flush(i);
      out += "\\u" + cp.toString(16).padStart(4, "0");
      run = i + n;
    }
    i += n;
  }
  flush(end);
  return out;
}

const utf8 = new TextDecoder("utf-8");
const encoder = new TextEncoder();

/** Escapes a JS string (e.g. a user name from /etc/passwd) by the same rules. */
export function escapeString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x5c) {
      const b = encoder.encode(s);
      return escapeBytes(b, 0, b.length);
    }
  }
  return s;
}

/** The functions untrusted text passes through per event, for limitJit (see src/jit.ts). */
export const ESCAPE_FUNCTIONS = [escapeBytes, asciiText, bufferOver, escapeAscii, hexByte, utf8Length, decodeCodePoint, isDangerous];
