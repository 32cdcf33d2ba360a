/** `pstat top`'s command line: its options, parsed strictly, and its --help. */
import { readArgs } from "../cli/args";
import { optionLines } from "../cli/help";
import { parseCli, parseFilters, parseSeconds, parseSize } from "../cli/parse";
import type { Config } from "../config";
import { UsageError } from "../errors";
import { topMeta, topOptions } from "./options";

export interface TopConfig {
  /**
   * The event pipeline's configuration: the event log's defaults (every event kind, so
   * that events/s counts them all) with top's filters and receive buffer, and task
   * accounting (`usage`) for the CPU and MAXRSS columns.
   */
  events: Config;
  intervalMs: number;
  /** Plain snapshots instead of the full-screen view. */
  batch: boolean;
  json: boolean;
  /** Snapshots before the end; Infinity for no end. */
  count: number;
}

export type TopCli = { action: "help" } | { action: "run"; config: TopConfig };

const MIN_INTERVAL_MS = 100;

export function parseTopCli(argv: string[]): TopCli {
  const a = readArgs(argv, topOptions);
  if (a.flag("help")) return { action: "help" };
  if (a.positional.length > 0) throw new UsageError(`unexpected argument '${a.positional[0]}'`);
  const delay = a.str("delay");
  const intervalMs = delay === undefined ? 1000 : parseSeconds(delay, "interval", "-d", "1");
  if (intervalMs < MIN_INTERVAL_MS) throw new UsageError(`interval '${delay}' for -d is too short (at least 0.1 seconds)`);
  const json = a.flag("json");
  const rcvbuf = a.str("rcvbuf");
  const events: Config = { ...eventLogDefaults(), ...parseFilters(a), usage: true };
  if (rcvbuf !== undefined) events.rcvbuf = parseSize(rcvbuf);
  return {
    action: "run",
    config: { events, intervalMs, batch: a.flag("batch") || json, json, count: parseCount(a.str("iterations")) },
  };
}

function eventLogDefaults(): Config {
  const cli = parseCli([]);
  if (cli.action !== "run") throw new Error("the event log's defaults are a run");
  return cli.config;
}

function parseCount(s: string | undefined): number {
  if (s === undefined) return Infinity;
  if (!/^\d+$/.test(s) || Number(s) < 1) throw new UsageError(`invalid count '${s}' for -n (expected a positive whole number)`);
  return Number(s);
}

export function renderTopHelp(): string {
  const lines = optionLines(topOptions);
  const w = Math.max(...lines.map(([l]) => l.length));
  return (
    `pstat ${topMeta.name}: ${topMeta.description}\n\n` +
    `Usage: pstat top [OPTIONS]\n\n` +
    `Options:\n` +
    lines.map(([l, d]) => `  ${l.padEnd(w)}  ${d}`).join("\n") +
    `\n\nRows are groups of processes: by the parent that started them (its command line), and\n` +
    `with the g key by program, by user, or by container/unit. Keys: q quit, s sort, g group,\n` +
    `p pause, / filter, Enter a group's recent command lines, ? help.\n` +
    `Without a terminal (or with -b) it prints snapshots: text, or with -j one JSON object each.\n\n` +
    `Examples:\n` +
    `  pstat top                      who is starting processes now?\n` +
    `  pstat top -u alice             only alice's processes\n` +
    `  pstat top -b -n 5 -d 2         five snapshots, two seconds apart\n` +
    `  pstat top -j -n 1 -d 10 | jq '.groups[0]'   the busiest spawner over ten seconds\n` +
    `\nExit status: 0 done, 1 runtime failure, 2 usage error.\n`
  );
}
