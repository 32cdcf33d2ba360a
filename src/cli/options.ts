import type { ArgsDef } from "citty";
import { EVENT_NAMES } from "../events/kinds";
import { FORMAT_NAMES } from "../output/formats";

/**
 * The filters on the process an event is about: the event log and `pstat top` both take
 * them (src/top/options.ts), parsed by parseFilters (src/cli/parse.ts).
 */
export const filterOptions = {
  pid: {
    type: "string",
    valueHint: "PID[,PID...]",
    description: "show only these processes and their descendants, existing and new",
  },
  user: { type: "string", alias: "u", valueHint: "USER", description: "show only processes of USER (name or uid; real or effective)" },
  comm: { type: "string", valueHint: "REGEX", description: "show only events whose process name matches REGEX" },
  container: {
    type: "string",
    valueHint: "ID[,ID...]",
    description: "show only processes in a container whose id starts with ID (Docker, containerd, CRI-O, Podman, Kubernetes)",
  },
  cgroup: {
    type: "string",
    valueHint: "GLOB",
    description: "show only processes whose cgroup path matches GLOB (* within a component, ** across)",
  },
  unit: {
    type: "string",
    valueHint: "NAME[,NAME...]",
    description: "show only processes in systemd unit or slice NAME (NAME.service when NAME has no type)",
  },
  "exclude-comm": { type: "string", valueHint: "REGEX", description: "leave out events whose process name matches REGEX" },
  "exclude-pid": {
    type: "string",
    valueHint: "PID[,PID...]",
    description: "leave out these processes and their descendants, existing and new",
  },
  "exclude-user": { type: "string", valueHint: "USER[,USER...]", description: "leave out processes of USER (name or uid; real or effective)" },
  "exclude-cgroup": { type: "string", valueHint: "GLOB", description: "leave out processes whose cgroup path matches GLOB" },
} as const satisfies ArgsDef;

/**
 * The one table of pstat's options. `--help`, the parser's validation, the man page and
 * the shell completions are all generated from it, so they cannot drift apart.
 * Keys are the long names; `alias` holds the one-letter short form.
 */
export const options = {
  dirstrip: { type: "boolean", alias: "d", description: "strip the directory path from the process name" },
  duration: {
    type: "string",
    alias: "D",
    valueHint: "SECONDS",
    description: "stop after SECONDS (decimals allowed; 0 runs until interrupted)",
  },
  event: {
    type: "string",
    alias: "e",
    valueHint: "LIST",
    description: `comma-separated events to show: ${EVENT_NAMES.join(", ")} (default: all)`,
  },
  all: { type: "boolean", alias: "E", description: "show all events (same as -e all)" },
  shortname: { type: "boolean", alias: "s", description: "show the program name without its arguments" },
  "use-comm": { type: "boolean", alias: "c", description: "use the kernel's task name (comm) as the process name" },
  statistics: { type: "boolean", alias: "S", description: "print per-process event statistics at the end" },
  quiet: { type: "boolean", alias: "q", description: "print no events, only the statistics (implies -S)" },
  glyphs: { type: "boolean", alias: "g", description: "mark each event kind with a glyph" },
  extra: { type: "boolean", alias: "x", description: "add UID, EUID and TTY columns" },
  everything: { type: "boolean", alias: "X", description: "same as -E -g -r -S -x" },
  "line-buffered": { type: "boolean", alias: "l", description: "flush output after every line" },
  pgrp: {
    type: "string",
    alias: "p",
    valueHint: "PGRP",
    description: "show only processes in process group PGRP",
  },
  realtime: { type: "boolean", alias: "r", description: "run with the highest SCHED_FIFO real-time priority" },
  rcvbuf: {
    type: "string",
    valueHint: "BYTES",
    description: "netlink receive buffer size, with optional K/M suffix (default: 32M)",
  },
  format: {
    type: "string",
    valueHint: "FORMAT",
    description: `output format: ${FORMAT_NAMES.join(" or ")} (JSON Lines, one object per event)`,
  },
  json: { type: "boolean", alias: "j", description: "same as --format json" },
  output: { type: "string", alias: "o", valueHint: "FILE", description: "write events to FILE instead of standard output" },
  time: {
    type: "string",
    valueHint: "FORMAT",
    description: "time column: datetime (default), time, iso, relative (seconds since start) or none",
  },
  tree: { type: "boolean", alias: "t", description: "indent each process by its depth in the process tree" },
  context: {
    type: "boolean",
    description: "show each process's container, unit, cgroup, login user, working directory and parents (all of --show-*)",
  },
  "show-cgroup": { type: "boolean", description: "show the cgroup path, the container id and the systemd unit" },
  "show-ancestry": { type: "boolean", description: "show the chain of parent processes" },
  "show-cwd": { type: "boolean", description: "show the working directory each program was started in" },
  "show-login": { type: "boolean", description: "show the login user (audit loginuid: who logged in, through sudo and su)" },
  ...filterOptions,
  usage: {
    type: "boolean",
    alias: "U",
    description: "show what each process cost at its exit: CPU time and peak memory (JSON: also I/O, context switches, faults, CPU wait); needs root",
  },
  summary: {
    type: "boolean",
    description:
      "command mode and --pid: at the end, one table of what the job cost per program (processes, CPU, peak memory, I/O, failures) instead of the events (add --usage, -e or -E to list them too)",
  },
  "exit-with-command": {
    type: "boolean",
    description: "command mode: end when COMMAND exits, not when its last descendant does (the default follows the whole job, like strace -f)",
  },
  help: { type: "boolean", alias: "h", description: "show this help and exit" },
  version: { type: "boolean", alias: "v", description: "print the version and exit" },
} as const satisfies ArgsDef;

export const meta = {
  name: "pstat",
  description: "log process events (fork, exec, exit, core, comm, clone, ptrace, uid, sid) as they happen",
};
