import { What } from "../kernel/netlink";

/**
 * The one registry of event kinds. Everything about a kind that is not decoding lives
 * here: how it is selected with -e, which kernel bits carry it, its label, glyph and colour
 * in text, its name in JSON and its statistics column. Selection, the kernel mask, the
 * statistics table, the text labels, --help, the man page and the completions derive from it.
 */

export type Color = "blue" | "green" | "red" | "magenta" | "yellow" | "cyan" | null;

interface LineSpec {
  /** The Event column (padded to five characters). */
  label: string;
  /** With -g; fork and clone lines also get a "parent" glyph on their first line. */
  glyph: string;
  color: Color;
  bold?: boolean;
  /** Heading of the -S column that counts this kind, or null when it is not counted. */
  stat: string | null;
}

/** The kinds of line pstat writes, in the order of the statistics columns. */
export const LINE_KINDS = {
  fork: { label: "fork", glyph: "└", color: "blue", stat: "Fork" },
  exec: { label: "exec", glyph: "→", color: "green", stat: "Exec" },
  exit: { label: "exit", glyph: "⇥", color: null, stat: "Exit" },
  core: { label: "core", glyph: "☠", color: "red", bold: true, stat: "Core" },
  comm: { label: "comm", glyph: "↻", color: "magenta", stat: "Comm" },
  clone: { label: "clone", glyph: "├", color: "blue", stat: "Clone" },
  ptrace: { label: "ptrce", glyph: "⌖", color: "yellow", stat: "Ptrace" },
  uid: { label: "uid", glyph: "⚷", color: "cyan", stat: "Uid" },
  gid: { label: "gid", glyph: "⚷", color: "cyan", stat: "Gid" },
  sid: { label: "sid", glyph: "⚑", color: "cyan", stat: "Sid" },
  lost: { label: "lost", glyph: "⚠", color: "red", bold: true, stat: null },
} as const satisfies Record<string, LineSpec>;

/** The first line of a fork or clone names the process it came from. */
export const PARENT_GLYPH = "┬";

export type ReportKind = keyof typeof LINE_KINDS;
export const REPORT_KINDS = Object.keys(LINE_KINDS) as ReportKind[];
export type StatKind = Exclude<ReportKind, "lost">;
export const STAT_KINDS = REPORT_KINDS.filter((k): k is StatKind => LINE_KINDS[k].stat !== null);

interface SelectorSpec {
  aliases: readonly string[];
  /** What the kernel must send for this selector (the 6.6+ event filter's bits). */
  kernel: number;
  /** The kinds of line it shows. */
  shows: readonly StatKind[];
  /**
   * Needs the process table (every fork, exec and exit): names at exit or of a fork's
   * parent, the old name at a rename, a thread's process. Only exec, core, ptrace, uid and
   * sid can be named from /proc at the moment they happen.
   */
  track: boolean;
  help: string;
}

/** The names -e accepts, in the order --help lists them. */
export const SELECTORS = {
  fork: { aliases: [], kernel: What.FORK, shows: ["fork"], track: true, help: "a new process" },
  exec: { aliases: [], kernel: What.EXEC, shows: ["exec"], track: false, help: "a process runs a new program" },
  exit: { aliases: [], kernel: What.EXIT, shows: ["exit"], track: true, help: "a process ends" },
  core: { aliases: ["coredump"], kernel: What.COREDUMP, shows: ["core"], track: false, help: "a core dump starts" },
  comm: { aliases: [], kernel: What.COMM, shows: ["comm"], track: true, help: "a task renames itself" },
  clone: { aliases: [], kernel: What.FORK | What.EXIT, shows: ["clone"], track: true, help: "a new thread, and a thread's exit" },
  ptrace: { aliases: ["ptrce"], kernel: What.PTRACE, shows: ["ptrace"], track: false, help: "ptrace attach or detach" },
  uid: { aliases: ["gid"], kernel: What.UID | What.GID, shows: ["uid", "gid"], track: false, help: "user or group id change" },
  sid: { aliases: [], kernel: What.SID, shows: ["sid"], track: false, help: "a new session (setsid)" },
  exitnonzero: {
    aliases: ["nonzeroexit"],
    kernel: What.NONZERO_EXIT,
    shows: [],
    track: true,
    help: "only exits with a non-zero status or a signal",
  },
} as const satisfies Record<string, SelectorSpec>;

export type SelectorName = keyof typeof SELECTORS;
export const SELECTOR_NAMES = Object.keys(SELECTORS) as SelectorName[];
/** Every name -e accepts besides the aliases: the selectors and "all". */
export const EVENT_NAMES: readonly string[] = [...SELECTOR_NAMES, "all"];

const byName = new Map<string, SelectorName>();
for (const name of SELECTOR_NAMES) {
  byName.set(name, name);
  for (const alias of SELECTORS[name].aliases) byName.set(alias, name);
}

/** The selector a name or alias of -e stands for (any case), or undefined. */
export function selectorFor(name: string): SelectorName | undefined {
  return byName.get(name.toLowerCase());
}
