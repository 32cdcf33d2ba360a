import { CLOCK_BOOTTIME, CLOCK_MONOTONIC, clockNs } from "./kernel/libc";
import { HZ } from "./proc/procfs";

/**
 * Converts between the kernel's clocks: event timestamps are CLOCK_MONOTONIC
 * nanoseconds, /proc start times are CLOCK_BOOTTIME clock ticks, and people read
 * wall-clock time. The offsets are taken once at start.
 */
export class Clock {
  readonly monoAtStart = clockNs(CLOCK_MONOTONIC);
  readonly wallMsAtStart = Date.now();
  /** BOOTTIME - MONOTONIC: the time the machine spent suspended. */
  private readonly suspendedNs = clockNs(CLOCK_BOOTTIME) - this.monoAtStart;
  private readonly nsPerTick = 1e9 / HZ;

  /** Wall-clock milliseconds since the epoch for an event timestamp. */
  wallMs(tsNs: number): number {
    return this.wallMsAtStart + (tsNs - this.monoAtStart) / 1e6;
  }

  monoFromTicks(ticks: number): number {
    return ticks * this.nsPerTick - this.suspendedNs;
  }

  ticksFromMono(tsNs: number): number {
    return (tsNs + this.suspendedNs) / this.nsPerTick;
  }

  nowMono(): number {
    return clockNs(CLOCK_MONOTONIC);
  }
}
