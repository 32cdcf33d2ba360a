import { noFTL, optimizeNextInvocation } from "bun:jsc";

type Fn = (...args: unknown[]) => unknown;

/** Every function limitJit was given: the code events run through. */
const hot = new Set<Fn>();

/**
 * Keeps pstat's hot code out of JavaScriptCore's top tier (FTL). Its optimizing compiler
 * runs on a background thread and costs more CPU than it saves in a monitor that does a
 * little work per event: measured on an exec storm of 5,000 processes, a quarter of
 * pstat's CPU went to JIT compilation. The DFG tier still optimizes these functions.
 *
 * A target is a function, a class (its methods, getters and setters, and those of the
 * classes it extends) or an instance (the same, plus its function-valued fields: the
 * handlers it hands to other stages). TierUp later hurries the same functions along.
 */
export function limitJit(...targets: (object | ((...args: never[]) => unknown))[]): void {
  for (const t of targets) {
    if (typeof t === "function" && !isClass(t)) limit(t as Fn);
    else for (const f of functionsOf(t)) limit(f);
  }
}

function limit(f: Fn): void {
  noFTL(f);
  hot.add(f);
}

/** Events seen before the first nudge: enough for the common paths' type profiles. */
const FIRST_NUDGE = 200;
/** Events between nudges, so that every kind's path runs between two of them. */
const NUDGE_EVERY = 16;
/** JavaScriptCore defers a function at most five times; a path can miss a nudge. */
const NUDGES = 10;

/**
 * Brings the hot code (what limitJit was given) to the optimizing tier within seconds of
 * the first events instead of a minute. JavaScriptCore optimizes a function only once
 * three quarters of its type profiles have seen a value; pstat's per-event functions have
 * branches for event kinds and errors that a quiet machine never takes, so each is
 * deferred five times, each deferral waiting for a few hundred more calls: at 20
 * processes a second, 20 to 50 s in the baseline tier, where pstat cost 1.4 to 1.7 times
 * forkstat's CPU. Asking for optimization at the next call a few times over the next
 * events uses up the deferrals at once. The profiles of the first events make the code;
 * a branch taken later leaves it and, taken often, gets it recompiled, as it would anyway.
 */
export class TierUp {
  private seen = 0;
  private nextAt = FIRST_NUDGE;
  private left = NUDGES;

  /** After a turn that handled `events` events. */
  turn(events: number): void {
    if (this.left === 0) return;
    this.seen += events;
    if (this.seen < this.nextAt) return;
    this.left--;
    this.nextAt = this.seen + NUDGE_EVERY;
    for (const f of hot) optimizeNextInvocation(f);
  }
}

/** The functions a class or an instance runs: methods, getters and setters along its prototype chain, and function-valued fields. */
export function functionsOf(t: object): Fn[] {
  const out: Fn[] = [];
  let proto: object | null = typeof t === "function" ? (t as { prototype: object }).prototype : t;
  for (; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor") continue;
      const d = Object.getOwnPropertyDescriptor(proto, name);
      for (const f of [d?.value, d?.get, d?.set]) if (typeof f === "function") out.push(f);
    }
  }
  return out;
}

function isClass(f: object): boolean {
  const p = (f as { prototype?: object }).prototype;
  return p !== undefined && Object.getOwnPropertyNames(p).length > 1;
}
