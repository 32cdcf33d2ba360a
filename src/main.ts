#!/usr/bin/env bun
import { defineCommand, runCommand, type CommandDef } from "citty";
import { renderCompletions, shells, type Shell } from "./cli/completions";
import { renderHelp } from "./cli/help";
import { renderManPage } from "./cli/manpage";
import { parseCli } from "./cli/parse";
import { RuntimeError, UsageError } from "./errors";
import { Monitor } from "./monitor";
import { escapeString } from "./text/escape";
import { versionLine } from "./version";

function fail(message: string, status: number): never {
  // Messages can quote what the user typed: never let it reach the terminal raw.
  process.stderr.write(`pstat: ${escapeString(message)}\n`);
  process.exit(status);
}

/** `pstat completions bash|zsh|fish` and the hidden `pstat manpage`: generated from the option table. */
const subcommands = {
  completions: defineCommand({
    meta: { name: "completions", description: "print a shell completion script" },
    args: { shell: { type: "positional", required: false, description: shells.join("|") } },
    run({ args }) {
      const shell = args.shell as string | undefined;
      if (shell === undefined || !(shells as readonly string[]).includes(shell)) throw new UsageError(`completions needs a shell: ${shells.join(", ")}`);
      process.stdout.write(renderCompletions(shell as Shell));
    },
  }),
  manpage: defineCommand({
    meta: { name: "manpage", description: "print the man page (roff)", hidden: true },
    run() {
      process.stdout.write(renderManPage());
    },
  }),
};

async function main(argv: string[]): Promise<number> {
  const sub = subcommands[argv[0] as keyof typeof subcommands];
  if (sub !== undefined) {
    if (argv.length > (argv[0] === "manpage" ? 1 : 2)) throw new UsageError(`unexpected argument '${argv.at(-1)}'`);
    await runCommand(sub as CommandDef, { rawArgs: argv.slice(1) });
    return 0;
  }
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
    if (sig === "SIGINT" && ++interrupts > 1) {
      monitor.abort(); // still drop the subscription: an old kernel would keep counting a listener
      process.exit(130);
    }
    monitor.signal(sig);
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
