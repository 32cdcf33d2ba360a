#!/usr/bin/env bun
import { defineCommand, runCommand, type CommandDef } from "citty";
import { renderCompletions, shells, type Shell } from "./cli/completions";
import { renderHelp } from "./cli/help";
import { renderManPage } from "./cli/manpage";
import { parseCli } from "./cli/parse";
import { RuntimeError, UsageError } from "./errors";
import { Monitor } from "./monitor";
import { escapeString } from "./text/escape";
import { parseTopCli, renderTopHelp } from "./top/cli";
import { topMeta } from "./top/options";
import { TopSession } from "./top/run";
import { versionLine } from "./version";

function fail(message: string, status: number): never {
  // Messages can quote what the user typed: never let it reach the terminal raw.
  process.stderr.write(`pstat: ${escapeString(message)}\n`);
  process.exit(status);
}

/**
 * `pstat top`, `pstat completions bash|zsh|fish` and the hidden `pstat manpage` (the last
 * two generated from the option table).
 */
const subcommands = {
  top: defineCommand({
    meta: topMeta,
    // Its own strict parser reads the arguments (src/top/cli.ts).
    run({ rawArgs }): Promise<number> | number {
      const cli = parseTopCli(rawArgs);
      if (cli.action === "help") {
        process.stdout.write(renderTopHelp());
        return 0;
      }
      return runSession(new TopSession(cli.config));
    },
  }),
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
    const most = argv[0] === "manpage" ? 1 : argv[0] === "completions" ? 2 : Infinity;
    if (argv.length > most) throw new UsageError(`unexpected argument '${argv.at(-1)}'`);
    const { result } = await runCommand(sub as CommandDef, { rawArgs: argv.slice(1) });
    return typeof result === "number" ? result : 0;
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
  return runSession(new Monitor(cli.config));
}

/** A run of the event log or of top: what main needs to drive it. */
interface Session {
  run(): Promise<number>;
  signal(sig: NodeJS.Signals): void;
  abort(): void;
}

function runSession(session: Session): Promise<number> {
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    // The first signal asks for an orderly end (flush, statistics, unsubscribe); a second Ctrl-C insists.
    if (sig === "SIGINT" && ++interrupts > 1) {
      session.abort(); // still drop the subscription: an old kernel would keep counting a listener
      process.exit(130);
    }
    session.signal(sig);
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, onSignal);
  return session.run();
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) fail(`${e.message} (see pstat ${process.argv[2] === "top" ? "top " : ""}--help)`, 2);
  if (e instanceof RuntimeError) fail(e.message, 1);
  fail(`internal error: ${e instanceof Error ? e.message : String(e)}`, 1);
}
