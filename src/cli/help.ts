import { meta, options } from "./options";

type Def = { type: "boolean" | "string"; alias?: string; valueHint?: string; description: string };

/** The option list as "-d, --dirstrip" / "    --rcvbuf BYTES" with descriptions, from an option table. */
export function optionLines(table: object = options): [string, string][] {
  return Object.entries(table as Record<string, Def>).map(([name, d]) => {
    const short = d.alias ? `-${d.alias}, ` : "    ";
    const value = d.type === "string" ? ` ${d.valueHint ?? "VALUE"}` : "";
    return [`${short}--${name}${value}`, d.description];
  });
}

export function renderHelp(): string {
  const lines = optionLines();
  const w = Math.max(...lines.map(([l]) => l.length));
  return (
    `${meta.name}: ${meta.description}\n\n` +
    `Usage: pstat [OPTIONS]\n` +
    `       pstat [OPTIONS] -- COMMAND [ARGS...]\n` +
    `       pstat top [OPTIONS]          (see pstat top --help)\n` +
    `       pstat completions bash|zsh|fish\n\n` +
    `Options:\n` +
    lines.map(([l, d]) => `  ${l.padEnd(w)}  ${d}`).join("\n") +
    `\n\nExamples:\n` +
    `  pstat -e exec,exit -d          what runs, and how it ends\n` +
    `  pstat -e exitnonzero           only failures\n` +
    `  pstat -q -D 60                 a minute of statistics: who forks most?\n` +
    `  pstat -j | jq .cmdline         JSON Lines for a pipeline\n` +
    `  pstat -t -- make -j8           a build's process tree; exits with make's status\n` +
    `\nColumns: Time Event PID [UID EUID TTY] Info Duration Process\n` +
    `Privileges: Linux 6.6 and later let any user receive process events; older kernels need\n` +
    `root (CAP_NET_ADMIN). Root adds a receive buffer beyond net.core.rmem_max, nice -20, -r,\n` +
    `and other users' working directories and executables.\n` +
    `Exit status: 0 done, 1 runtime failure, 2 usage error; in command mode, the command's.\n`
  );
}
