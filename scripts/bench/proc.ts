// Spawning and stopping child processes so that none outlives the bench.
import type { Subprocess } from "bun";

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const live = new Set<Subprocess>();

export function track<T extends Subprocess>(proc: T): T {
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  return proc;
}

/** Kill whatever is still running; used on Ctrl-C and on a crash of the bench itself. */
export function killAll(): void {
  for (const p of live) {
    try {
      p.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

let installed = false;
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
  process.on("exit", killAll);
}

/** Resolves true if the process ended within `ms`. */
export async function exitedWithin(proc: Subprocess, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  const done = await Promise.race([proc.exited.then(() => true as const), timeout]);
  clearTimeout(timer);
  return done;
}

export type StopHow = "exited-early" | "SIGINT" | "SIGTERM" | "SIGKILL";

export interface Stopped {
  how: StopHow;
  exitCode: number | null;
  signal: string | null;
}

/** SIGINT, then SIGTERM, then SIGKILL, each with a bounded wait. */
export async function stop(proc: Subprocess, graceMs = 5000): Promise<Stopped> {
  const result = (how: StopHow): Stopped => ({ how, exitCode: proc.exitCode, signal: proc.signalCode === null ? null : String(proc.signalCode) });
  if (proc.exitCode !== null || proc.signalCode !== null) return result("exited-early");
  for (const [sig, wait] of [
    ["SIGINT", graceMs],
    ["SIGTERM", 2000],
    ["SIGKILL", 2000],
  ] as const) {
    try {
      proc.kill(sig);
    } catch {
      // exited between the check and the signal
    }
    if (await exitedWithin(proc, wait)) return result(sig);
  }
  return result("SIGKILL");
}
