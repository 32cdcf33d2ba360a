import { readdirSync, readlinkSync } from "node:fs";
import { libc, POLLIN } from "./libc";

/** More wakeups than this per second with nothing for pstat: the loop's descriptor is not what we took it for. */
const LOOP_WAKE_LIMIT = 200;

export const TIMEOUT = 0;
export const DATA = 1;
export const LOOP = 2;
export type Woke = typeof TIMEOUT | typeof DATA | typeof LOOP;

/**
 * Where an idle pstat sleeps: one poll(2) on its sockets and on the runtime's event loop.
 *
 * Signal handlers run in JavaScript, on Bun's event loop, which pstat visits between
 * sleeps. A signal that lands after such a visit but before the next poll does not
 * interrupt that poll; its handler would wait for the next event or for the idle
 * backstop (seconds). But Bun's native handler has already woken the event loop, whose
 * epoll descriptor is then readable: watching it too ends the sleep at once.
 */
export class Sleeper {
  private readonly pollfds: Int32Array;
  /** The event loop's entries of `pollfds`. */
  private readonly loopFds: Int32Array;
  private readonly sockets: number;
  private watched: number;
  private loopWakes = 0;
  private loopWakesSince = 0;
  /**
   * The last sleep ended (for events, or because its time was up) with the event loop idle
   * as far as poll could tell: it watched the loop's descriptor, which was not readable (no
   * signal, key or child exit waiting).
   */
  loopQuiet = false;

  constructor(sockets: readonly number[], loopFds: readonly number[] = eventLoopFds()) {
    const all = [...sockets, ...loopFds];
    this.pollfds = new Int32Array(all.length * 2);
    all.forEach((fd, i) => {
      this.pollfds[i * 2] = fd;
      this.pollfds[i * 2 + 1] = POLLIN;
    });
    this.sockets = sockets.length;
    this.watched = all.length;
    this.loopFds = this.pollfds.subarray(sockets.length * 2);
  }

  /** Sleeps until a socket has data, the event loop has work (a signal), or `timeoutMs` passes. */
  sleep(timeoutMs: number): Woke {
    const fds = this.pollfds;
    this.loopQuiet = false;
    let quiet = this.watched > this.sockets;
    if (libc.poll(fds, this.watched, timeoutMs) <= 0) {
      this.loopQuiet = quiet;
      return TIMEOUT;
    }
    for (let i = this.sockets; i < this.watched; i++) if (fds[i * 2 + 1]! >>> 16 !== 0) quiet = false;
    for (let i = 0; i < this.sockets; i++) {
      if (fds[i * 2 + 1]! >>> 16 !== 0) {
        this.loopQuiet = quiet;
        return DATA;
      }
    }
    this.countLoopWake();
    return LOOP;
  }

  /**
   * Whether the event loop has nothing waiting for a visit (no signal, key or child exit),
   * asked without sleeping; false when the loop's descriptor is not watched.
   */
  loopIdle(): boolean {
    if (this.watched === this.sockets) return false;
    return libc.poll(this.loopFds, this.watched - this.sockets, 0) === 0;
  }

  /**
   * A descriptor that stays readable although the event loop has run would turn every
   * sleep into a busy loop: stop watching the loop then, and rely on the backstop again.
   */
  private countLoopWake(): void {
    const now = performance.now();
    if (now - this.loopWakesSince > 1000) {
      this.loopWakesSince = now;
      this.loopWakes = 0;
    }
    if (++this.loopWakes > LOOP_WAKE_LIMIT) this.watched = this.sockets;
  }
}

/**
 * The event loop's epoll descriptors, found among the open files at start (Bun does not
 * export them). Taken before pstat opens any epoll of its own, which it never does.
 */
export function eventLoopFds(): number[] {
  const fds: number[] = [];
  try {
    for (const name of readdirSync("/proc/self/fd")) {
      try {
        if (readlinkSync(`/proc/self/fd/${name}`) === "anon_inode:[eventpoll]") fds.push(Number(name));
      } catch {
        // closed since the listing (the listing's own descriptor)
      }
    }
  } catch {
    // no /proc: sleep on the sockets alone
  }
  return fds;
}
