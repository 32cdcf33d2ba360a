const NAMES = [
  "",
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGILL",
  "SIGTRAP",
  "SIGABRT",
  "SIGBUS",
  "SIGFPE",
  "SIGKILL",
  "SIGUSR1",
  "SIGSEGV",
  "SIGUSR2",
  "SIGPIPE",
  "SIGALRM",
  "SIGTERM",
  "SIGSTKFLT",
  "SIGCHLD",
  "SIGCONT",
  "SIGSTOP",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGURG",
  "SIGXCPU",
  "SIGXFSZ",
  "SIGVTALRM",
  "SIGPROF",
  "SIGWINCH",
  "SIGIO",
  "SIGPWR",
  "SIGSYS",
];

/** "SIGSEGV" for 11; real-time signals as "SIGRTMIN+n". */
export function signalName(sig: number): string {
  if (sig > 0 && sig < NAMES.length) return NAMES[sig]!;
  if (sig >= 34 && sig <= 64) return sig === 34 ? "SIGRTMIN" : `SIGRTMIN+${sig - 34}`;
  return `SIG${sig}`;
}

/** A wait status taken apart: exit code, or the signal that killed the task. */
export interface ExitStatus {
  code: number | null;
  signal: number | null;
  core: boolean;
}

export function decodeStatus(status: number, out: ExitStatus): ExitStatus {
  const sig = status & 0x7f;
  if (sig === 0) {
    out.code = (status >> 8) & 0xff;
    out.signal = null;
    out.core = false;
  } else {
    out.code = null;
    out.signal = sig;
    out.core = (status & 0x80) !== 0;
  }
  return out;
}
