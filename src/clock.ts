import { CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_REALTIME, clockNs } from "./kernel/libc";
import { HZ } from "./proc/procfs";

/** Re-measure the wall-clock offset this often (event time), so clock steps are followed. */
const RECALIBRATE_NS = 1e9;
const BRACKETS = 5;

/**
 * Converts between the kernel's clocks: event timestamps are CLOCK_MONOTONIC
 * nanoseconds, /proc start times are CLOCK_BOOTTIME clock ticks, and people read
 * wall-clock time.
 */
export class Clock {
  readonly monoAtStart = clockNs(CLOCK_MONOTONIC);
  /** BOOTTIME - MONOTONIC: the time the machine spent suspended. */
  private readonly suspendedNs = clockNs(CLOCK_BOOTTIME) - this.monoAtStart;
  private readonly nsPerTick = 1e9 / HZ;
  /** REALTIME - MONOTONIC in ns, and the monotonic time it was measured at. */
  private offsetNs = 0;
  private measuredAt = -Infinity;

  constructor() {
    this.calibrate();
  }

  /**
   * REALTIME - MONOTONIC, from the tightest of a few bracketed reads: a realtime read
   * between two monotonic ones belongs to their midpoint to within half their gap (well
   * under a microsecond when not preempted). Date.now() would be whole milliseconds.
   */
  private calibrate(): void {
    let best = Infinity;
    for (let i = 0; i < BRACKETS; i++) {
      const a = clockNs(CLOCK_MONOTONIC);
      const wall = clockNs(CLOCK_REALTIME);
      const b = clockNs(CLOCK_MONOTONIC);
      if (b - a < best) {
        best = b - a;
        this.offsetNs = wall - (a + b) / 2;
        this.measuredAt = b;
      }
    }
  }

  /** Wall-clock milliseconds since the epoch (with sub-microsecond fraction) for an event timestamp. */
  wallMs(tsNs: number): number {
    if (tsNs - this.measuredAt > RECALIBRATE_NS) this.calibrate();
    return (tsNs + this.offsetNs) / 1e6;
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
