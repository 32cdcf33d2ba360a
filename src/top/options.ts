import type { ArgsDef } from "citty";
import { filterOptions, options } from "../cli/options";

/**
 * `pstat top`'s options: its own (after top(1): -d interval, -b batch, -n count), and the
 * event log's filters and receive buffer, shared definitions from src/cli/options.ts.
 * `pstat top --help` is generated from it.
 */
export const topOptions = {
  delay: {
    type: "string",
    alias: "d",
    valueHint: "SECONDS",
    description: "refresh every SECONDS (decimals allowed, at least 0.1; default 1)",
  },
  batch: { type: "boolean", alias: "b", description: "batch mode: a plain-text snapshot every interval instead of the full-screen view" },
  iterations: { type: "string", alias: "n", valueHint: "COUNT", description: "end after COUNT snapshots (default: run until interrupted)" },
  json: { type: "boolean", alias: "j", description: "batch mode with one JSON object per snapshot" },
  ...filterOptions,
  rcvbuf: options.rcvbuf,
  help: { type: "boolean", alias: "h", description: "show this help and exit" },
} as const satisfies ArgsDef;

export const topMeta = {
  name: "top",
  description: "a live view of who starts processes, ranked, refreshed every second",
};
