#!/usr/bin/env bun
import { renderHelp } from "./cli/help";
import { parseCli } from "./cli/parse";
import { RuntimeError, UsageError } from "./errors";
import { Monitor } from "./monitor";
import { versionLine } from "./version";

function fail(message: string, status: number): never {
  process.stderr.write(`pstat: ${message}\n`);
  process.exit(status);
}

async function main(argv: string[]): Promise<number> {
  const cli = parseCli(argv);
  if (cli.action === "help") {
    process.stdout.write(renderHelp());
    return 0;
  }
  if (cli.action === "version") {
    process.stdout.write(versionLine() + "\n");
    return 0;
  }
  const monitor = new Monitor(cli.config);
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    // The first signal asks for an orderly end (flush, statistics, unsubscribe); a second Ctrl-C insists.
    if (++interrupts > 1 && sig === "SIGINT") process.exit(130);
    monitor.stop();
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, onSignal);
  return monitor.run();
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) fail(`${e.message} (see pstat --help)`, 2);
  if (e instanceof RuntimeError) fail(e.message, 1);
  fail(`internal error: ${e instanceof Error ? e.message : String(e)}`, 1);
}
