// The monitors under test: how to start each one and how to read what it printed.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { compileC } from "./cc";
import type { Mode } from "./loadgen";
import { type Kind, type LineParser, parseExtrace, parseExtraceStderr, parseFloor, parseForkstatLike } from "./parsers";

export type MonitorName = "forkstat" | "extrace" | "floor" | "floor-bun" | "floor-bun-all" | "floor-bun-source" | "pstat" | "pstat-usage";

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
  /**
   * Runs only where it has the machine to itself (the storms, one monitor at a time).
   * The whole job's floors wake at pstat's priority for every event: at once with the
   * others (idle, trickle, bursts) they took the CPU at the moments the others woke, and
   * pstat's trickle went from 0.81x forkstat to 0.98x, its idle from 0.035 % to 0.050 %.
   */
  aloneOnly?: boolean;
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

const FLOOR_BUN_SOURCE = resolve(import.meta.dir, "floor.ts");

/** Compiles floor.ts into `dir` with the Bun running the bench, as pstat is compiled; throws when that fails. */
export function compileFloorBun(dir: string): string {
  const bin = join(dir, "floor-bun");
  const r = Bun.spawnSync([process.execPath, "build", "--compile", FLOOR_BUN_SOURCE, "--outfile", bin], { stderr: "pipe", stdout: "pipe" });
  if (r.exitCode !== 0) throw new Error(`bun build failed for the Bun floor:\n${r.stderr.toString()}`);
  return bin;
}

/**
 * Not a product either: floor.c's loop in Bun, on pstat's own /proc reader. What it costs
 * above floor is the runtime's share; what pstat costs above it is pstat's own work.
 */
export function floorBun(bin: string): Monitor {
  return {
    ...floor(bin),
    name: "floor-bun",
    label: "floor-bun (floor.c's loop in Bun, compiled like pstat: the runtime's share)",
    version: `scripts/bench/floor.ts, Bun ${Bun.version}`,
  };
}

/**
 * floor-bun with --all: also every fork and exit, one short line each, with no kernel
 * filter, as forkstat and pstat receive them, at pstat's priority (so that it names as
 * many execs): the whole job done the plain way, one queue and a wakeup per datagram.
 * Scored on its execs alone, as the other floors.
 */
export function floorBunAll(bin: string): Monitor {
  return {
    ...floorBun(bin),
    name: "floor-bun-all",
    label: "floor-bun-all (floor-bun that also receives and prints every fork and exit, one queue, at pstat's priority)",
    argv: [bin, "--all"],
    aloneOnly: true,
  };
}

/**
 * floor-bun-all's lines from pstat's own event source (exec watch, bulk drained in
 * batches): pstat's design in Bun without pstat's work per event. What pstat costs above
 * it is that work: the process table, names, escaping, formatting.
 */
export function floorBunSource(bin: string): Monitor {
  return {
    ...floorBun(bin),
    name: "floor-bun-source",
    label: "floor-bun-source (floor-bun-all's lines from pstat's own event source: pstat's design without its work per event)",
    argv: [bin, "--source"],
    aloneOnly: true,
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

/** pstat --usage: the same storms with the kernel's taskstats record joined to every exit line. */
export function pstatUsage(path: string): Monitor {
  const base = pstat(path);
  // The exit line's usage cell (`cpu  0.00s rss  1.2M`) sits before the name: read the line without it.
  const cell = / cpu +(?:\d\S*|n\/a) rss +(?:\d\S*|n\/a) /;
  return {
    ...base,
    name: "pstat-usage",
    label: "pstat-usage (pstat --usage: taskstats figures on every exit)",
    argv: [...base.argv, "--usage"],
    stdout: (raw) => base.stdout(raw.replace(cell, " ")),
  };
}

export function pstatAvailable(path: string): boolean {
  return existsSync(path);
}

/** The events one load creates per process, whichever monitor watches: fork + exit (+ exec). */
export function loadEventsPerProcess(mode: Mode): number {
  return mode === "exec" ? 3 : 2;
}
