import type { Subtree } from "../track/subtree";
import { pathHasComponent } from "./cgroup";
import { NEED_CGROUP } from "./needs";

/**
 * Filters on where a process runs and who it is: --container, --cgroup and --unit keep only
 * the processes that match; --exclude-cgroup, --exclude-comm, --exclude-user and
 * --exclude-pid drop the ones that match. Different options must all agree; the values in
 * one option's list are alternatives. What cannot be told (the cgroup of a process that
 * was gone before it was read, a task whose name or uid is unknown) never matches an
 * inclusive filter and never excludes.
 */

/** What the filters know about the process an event is about, without reading /proc. */
export interface Subject {
  tgid: number;
  /** The name --comm and --exclude-comm match (the escaped display name), or null when unknown. */
  name: string | null;
  /** Real and effective uid; null or negative when unknown. */
  uid: number | null;
  euid: number | null;
}

/** The part of a ProcessContext (read.ts) the filters look at. */
export interface ContextView {
  cgroup: string | null;
  containerId: string | null;
  unit: string | null;
}

export interface Predicate {
  /** The option it comes from, for messages and tests. */
  readonly option: string;
  /** NEED_* reads it looks at; 0 when it needs no context. */
  readonly needs: number;
  /** True for an exclusion: a match drops the event. */
  readonly exclude: boolean;
  /** True when the process matches, false when it does not, null when that cannot be told. */
  matches(s: Subject, ctx: ContextView | null): boolean | null;
}

/** --container ID: a container whose id starts with one of the prefixes. */
export function containerPredicate(prefixes: readonly string[]): Predicate {
  return {
    option: "--container",
    needs: NEED_CGROUP,
    exclude: false,
    matches(_s, ctx) {
      if (ctx === null || ctx.cgroup === null) return null;
      const id = ctx.containerId;
      if (id === null) return false;
      for (const p of prefixes) if (id.startsWith(p)) return true;
      return false;
    },
  };
}

/** --cgroup GLOB / --exclude-cgroup GLOB on the cgroup path (see glob.ts). */
export function cgroupPredicate(globs: readonly RegExp[], exclude: boolean): Predicate {
  return {
    option: exclude ? "--exclude-cgroup" : "--cgroup",
    needs: NEED_CGROUP,
    exclude,
    matches(_s, ctx) {
      const path = ctx?.cgroup ?? null;
      if (path === null) return null;
      for (const g of globs) if (g.test(path)) return true;
      return false;
    },
  };
}

/**
 * --unit NAME: the process's unit, or a unit or slice its cgroup is inside, is NAME, or
 * NAME.service when NAME has no unit type (as systemctl reads it). So `--unit
 * user@1000.service` keeps the services the user's manager runs, and `--unit
 * user-1000.slice` everything of that user's sessions.
 */
export function unitPredicate(names: readonly string[]): Predicate {
  const wanted = names.map((n) => (/\.(service|scope|slice)$/.test(n) ? n : n + ".service"));
  return {
    option: "--unit",
    needs: NEED_CGROUP,
    exclude: false,
    matches(_s, ctx) {
      if (ctx === null || ctx.cgroup === null) return null;
      for (const w of wanted) if (ctx.unit === w || pathHasComponent(ctx.cgroup, w)) return true;
      return false;
    },
  };
}

/** --exclude-comm REGEX, on the same name --comm matches. */
export function excludeCommPredicate(re: RegExp): Predicate {
  return {
    option: "--exclude-comm",
    needs: 0,
    exclude: true,
    matches: (s) => (s.name === null ? null : re.test(s.name)),
  };
}

/** --exclude-user USER: the real or the effective uid is one of them (as -u matches). */
export function excludeUserPredicate(uids: readonly number[]): Predicate {
  return {
    option: "--exclude-user",
    needs: 0,
    exclude: true,
    matches(s) {
      const uid = s.uid !== null && s.uid >= 0 ? s.uid : null;
      const euid = s.euid !== null && s.euid >= 0 ? s.euid : null;
      if (uid === null && euid === null) return null;
      return (uid !== null && uids.includes(uid)) || (euid !== null && uids.includes(euid));
    },
  };
}

/** --exclude-pid PID[,PID...]: those processes and all their descendants. */
export function excludePidPredicate(subtree: Subtree): Predicate {
  return {
    option: "--exclude-pid",
    needs: 0,
    exclude: true,
    matches: (s) => subtree.has(s.tgid),
  };
}

/** The predicates of one command line; an event is wanted when every one lets it through. */
export class ContextFilter {
  readonly active: boolean;
  /** NEED_* bits for the context any predicate looks at. */
  readonly needs: number;
  private readonly list: Predicate[];

  constructor(predicates: readonly Predicate[]) {
    // The cheap ones, which need no context, first.
    this.list = [...predicates.filter((p) => p.needs === 0), ...predicates.filter((p) => p.needs !== 0)];
    this.active = predicates.length > 0;
    this.needs = predicates.reduce((n, p) => n | p.needs, 0);
  }

  wanted(s: Subject, ctx: ContextView | null): boolean {
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      const m = p.matches(s, ctx);
      if (p.exclude ? m === true : m !== true) return false;
    }
    return true;
  }
}
