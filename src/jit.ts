import { noFTL } from "bun:jsc";

/**
 * Keeps pstat's hot code out of JavaScriptCore's top tier (FTL). Its optimizing compiler
 * runs on a background thread and costs more CPU than it saves in a monitor that does a
 * little work per event: measured on an exec storm of 5,000 processes, a quarter of
 * pstat's CPU went to JIT compilation. The DFG tier still optimizes these functions.
 *
 * A target is a function, a class (its methods, getters and setters, and those of the
 * classes it extends) or an instance (the same, plus its function-valued fields: the
 * handlers it hands to other stages).
 */
export function limitJit(...targets: (object | ((...args: never[]) => unknown))[]): void {
  for (const t of targets) {
    if (typeof t === "function" && !isClass(t)) noFTL(t as (...args: unknown[]) => unknown);
    else for (const f of functionsOf(t)) noFTL(f);
  }
}

/** The functions a class or an instance runs: methods, getters and setters along its prototype chain, and function-valued fields. */
export function functionsOf(t: object): ((...args: unknown[]) => unknown)[] {
  const out: ((...args: unknown[]) => unknown)[] = [];
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
