import { noFTL } from "bun:jsc";

/**
 * Keeps pstat's hot code out of JavaScriptCore's top tier (FTL). Its optimizing compiler
 * runs on a background thread and costs more CPU than it saves in a monitor that does a
 * little work per event: measured on an exec storm of 5,000 processes, a quarter of
 * pstat's CPU went to JIT compilation. The DFG tier still optimizes these functions.
 */
export function limitJit(...targets: (object | ((...args: never[]) => unknown))[]): void {
  for (const t of targets) {
    if (typeof t === "function" && !("prototype" in t && t.prototype && Object.getOwnPropertyNames(t.prototype).length > 1)) {
      noFTL(t as (...args: unknown[]) => unknown);
      continue;
    }
    // An instance: its arrow-function fields (handlers handed to other stages) too.
    if (typeof t !== "function") for (const v of Object.values(t)) if (typeof v === "function") noFTL(v as (...args: unknown[]) => unknown);
    const proto = (t as { prototype?: object }).prototype ?? t;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, name);
      if (name !== "constructor" && typeof d?.value === "function") noFTL(d.value);
    }
  }
}
