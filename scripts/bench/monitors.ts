// The monitors under test: how to start each one and how to read what it printed.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { compileC } from "./cc";
import type { Mode } from "./loadgen";
import { type Kind, type LineParser, parseExtrace, parseExtraceStderr, parseFloor, parseForkstatLike } from "./parsers";

export type MonitorName = "forkstat" | "extrace" | "floor" | "pstat";

export interface Monitor {
  name: MonitorName;
  /** how the report's legend introduces it, when the name alone could mislead */
  label?: string;
  argv: string[];
  /** load modes worth running it on: extrace only reports execs */
  modes: readonly Mode[];
  /** which of the load's events it can report in a given mode */
  kinds(mode: Mode): Kind[];
  stdout: LineParser;
  stderr?: LineParser;
  version: string;
}

const EVENTS = "fork,exec,exit";

export const DEFAULT_PSTAT = resolve(import.meta.dir, "../../dist/pstat");

function firstLine(argv: string[]): string {
  try {
    const r = Bun.spawnSync(argv, { stderr: "pipe", stdout: "pipe", timeout: 5000 });
    const text = `${r.stdout.toString()}\n${r.stderr.toString()}`.trim();
    return text.split("\n")[0]?.trim() ?? "";
  } catch {
    return "";
  }
}

function dpkgVersion(pkg: string): string {
  const v = firstLine(["dpkg-query", "-W", "-f", "${Version}", pkg]);
  return v === "" ? "unknown" : `${pkg} ${v}`;
}

export function forkstat(): Monitor {
  return {
    name: "forkstat",
    argv: ["forkstat", "-e", EVENTS],
    modes: ["fork", "exec"],
    kinds: (mode) => (mode === "exec" ? ["fork", "exec", "exit"] : ["fork", "exit"]),
    stdout: parseForkstatLike,
    version: dpkgVersion("forkstat"),
  };
}

export function extrace(): Monitor {
  return {
    name: "extrace",
    // -f: flat lines (no tree indentation); -t: also print exits of exec'd processes
    argv: ["extrace", "-f", "-t"],
    modes: ["exec"],
    kinds: () => ["exec", "exit"],
    stdout: parseExtrace,
    stderr: parseExtraceStderr,
    version: dpkgVersion("extrace"),
  };
}

const FLOOR_SOURCE = resolve(import.meta.dir, "floor.c");

/** Compiles floor.c into `dir` (like the load generator); throws when cc fails. */
export function compileFloor(dir: string): string {
  return compileC(FLOOR_SOURCE, join(dir, "floor"), "floor reference monitor");
}

/**
 * Not a product: the least an exec monitor must do (one wakeup and one /proc read
 * per exec), so the others' CPU can be read as a distance from it.
 */
export function floor(bin: string): Monitor {
  return {
    name: "floor",
    label: "floor (C reference: exec wakeup + cmdline read only)",
    argv: [bin],
    modes: ["exec"],
    // it subscribes to execs only, so forks and exits it never prints are not lost events
    kinds: () => ["exec"],
    stdout: parseFloor,
    version: "scripts/bench/floor.c",
  };
}

export function pstat(path: string): Monitor {
  return {
    name: "pstat",
    argv: [path, "-e", EVENTS],
    modes: ["fork", "exec"],
    kinds: (mode) => (mode === "exec" ? ["fork", "exec", "exit"] : ["fork", "exit"]),
    stdout: parseForkstatLike,
    version: firstLine([path, "--version"]) || "unknown",
  };
}

export function pstatAvailable(path: string): boolean {
  return existsSync(path);
}

/** The events one load creates per process, whichever monitor watches: fork + exit (+ exec). */
export function loadEventsPerProcess(mode: Mode): number {
  return mode === "exec" ? 3 : 2;
}
