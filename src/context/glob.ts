/**
 * Shell-style globs for cgroup paths, compiled to an anchored RegExp:
 * - `*` any run of characters within one path component (it does not cross `/`);
 * - `**` any run of characters, crossing `/`; as a whole component it also matches no
 *   component at all (`/a/**\/b` matches `/a/b`, and `/a/**` matches `/a` itself);
 * - `?` one character other than `/`;
 * - `[abc]`, `[a-z]`, `[!abc]` or `[^abc]`: one character of (or not of) a class, never `/`;
 *   a `]` right after the opening bracket (or its `!`) is literal; an unclosed `[` is literal;
 * - `\x` the character x itself.
 * A glob that starts with `/` matches the whole path. One that does not matches the path's
 * last components, at any depth: `docker-*.scope` matches `/system.slice/docker-1f.scope`.
 */
/** A pattern that cannot be compiled; the message names what is wrong with it. */
export class GlobError extends Error {}

export function globToRegExp(glob: string): RegExp {
  if (glob === "") throw new GlobError("an empty pattern");
  let re = "";
  let i = 0;
  const n = glob.length;
  while (i < n) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        const atStart = i === 0 || glob[i - 1] === "/";
        const j = i + 2;
        if (atStart && glob[j] === "/") {
          // `**/`: zero or more whole components.
          re += "(?:[^]*/)?";
          i = j + 1;
          continue;
        }
        if (atStart && j === n && i > 0) {
          // Trailing `/**`: the directory itself or anything below it.
          re = re.slice(0, -1) + "(?:/[^]*)?";
          i = j;
          continue;
        }
        re += "[^]*";
        i = j;
        continue;
      }
      re += "[^/]*";
      i++;
    } else if (c === "?") {
      re += "[^/]";
      i++;
    } else if (c === "[") {
      const cls = charClass(glob, i);
      if (cls === null) {
        re += "\\[";
        i++;
      } else {
        re += cls.re;
        i = cls.end;
      }
    } else if (c === "\\" && i + 1 < n) {
      re += escapeChar(glob[i + 1]!);
      i += 2;
    } else {
      re += escapeChar(c);
      i++;
    }
  }
  const prefix = glob.startsWith("/") ? "^" : "(?:^|/)";
  try {
    return new RegExp(prefix + re + "$", "u");
  } catch {
    throw new GlobError("an invalid character class"); // such as a range z-a
  }
}

/** Outside a class: a character RegExp would read as syntax gets a backslash. */
function escapeChar(c: string): string {
  return /[\\^$.*+?()[\]{}|]/.test(c) ? "\\" + c : c;
}

/** Inside a class: only these are syntax (in "u" mode no other escape is allowed). */
function escapeClassChar(c: string): string {
  return /[\\\][^-]/.test(c) ? "\\" + c : c;
}

/** A class starting at glob[start] === '[', as a RegExp class, or null when unclosed. */
function charClass(glob: string, start: number): { re: string; end: number } | null {
  let i = start + 1;
  let negate = false;
  if (glob[i] === "!" || glob[i] === "^") {
    negate = true;
    i++;
  }
  let body = "";
  let first = true;
  while (i < glob.length) {
    const c = glob[i]!;
    if (c === "]" && !first) {
      // A class never matches '/', so a path component is never crossed.
      return { re: negate ? `[^/${body}]` : `(?!/)[${body}]`, end: i + 1 };
    }
    first = false;
    if (c === "\\" && i + 1 < glob.length) {
      body += escapeClassChar(glob[i + 1]!);
      i += 2;
      continue;
    }
    if (c === "-" && body !== "" && glob[i + 1] !== "]" && i + 1 < glob.length) {
      body += "-"; // a range
      i++;
      continue;
    }
    body += escapeClassChar(c);
    i++;
  }
  return null;
}
