import { meta, options } from "./options";

type Def = { type: "boolean" | "string"; alias?: string; valueHint?: string; description: string };

/** The option list as "-d, --dirstrip" / "    --rcvbuf BYTES" with descriptions, from the option table. */
export function optionLines(): [string, string][] {
  return Object.entries(options as Record<string, Def>).map(([name, d]) => {
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
    `       pstat completions bash|zsh|fish\n\n` +
    `Options:\n` +
    lines.map(([l, d]) => `  ${l.padEnd(w)}  ${d}`).join("\n") +
    `\n\nColumns: Time Event PID [UID EUID TTY] Info Duration Process\n` +
    `Needs root (CAP_NET_ADMIN). Exit status: 0 done, 1 runtime failure, 2 usage error.\n`
  );
}
