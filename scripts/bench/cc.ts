// Builds the bench's C helpers (the load generator, the floor reference monitor).
import { statSync } from "node:fs";

/** Compiles a C file of scripts/bench into `bin` unless an up-to-date binary is already there. */
export function compileC(source: string, bin: string, what: string): string {
  try {
    if (statSync(bin).mtimeMs >= statSync(source).mtimeMs) return bin;
  } catch {
    // not built yet
  }
  const r = Bun.spawnSync(["cc", "-O2", "-Wall", "-o", bin, source], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`cc failed to build the ${what}:\n${r.stderr.toString()}`);
  return bin;
}
