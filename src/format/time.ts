import type { Clock } from "../clock";

export const TIME_FORMATS = ["datetime", "time", "iso", "relative", "none"] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

const pad2 = (n: number) => (n < 10 ? "0" : "") + n;

/**
 * The local time zone's offset from UTC, looked up once per wall-clock minute. Asking the
 * runtime for local time is slow when it has not done so for a while (it re-checks the
 * system's zone and recomputes the offset): about 0.8 ms a time, measured in pstat at a few
 * events a second. Offsets change only on whole minutes (daylight-saving and zone rule
 * changes happen on the minute), so one lookup per minute is exact.
 */
class LocalOffset {
  private minute = NaN;
  private offsetMs = 0;

  /** Milliseconds to add to a UTC time `ms` to get local time. */
  at(ms: number): number {
    const minute = Math.floor(ms / 60_000);
    if (minute !== this.minute) {
      this.offsetMs = -new Date(minute * 60_000).getTimezoneOffset() * 60_000;
      this.minute = minute;
    }
    return this.offsetMs;
  }
}

const localOffset = new LocalOffset();

/**
 * Looks up the local time zone now rather than at the first event: the runtime's first
 * lookup loads its zone data, which cost 8 ms of pstat's first event (0.6 ms after this).
 */
export function primeLocalTime(): void {
  localOffset.at(Date.now());
}

/** A Date whose UTC fields read as local time at `ms`. */
function localFields(ms: number): Date {
  return new Date(ms + localOffset.at(ms));
}

/** "2026/11/27" or "2026-11-27" from a Date made by localFields. */
const ymd = (d: Date, sep: string) => `${d.getUTCFullYear()}${sep}${pad2(d.getUTCMonth() + 1)}${sep}${pad2(d.getUTCDate())}`;
/** "02:39:10" from a Date made by localFields. */
const hms = (d: Date) => `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;

/**
 * Formats event timestamps for the Time column. Whole-second formats are cached per
 * second, so a storm of events costs one Date per second, not one per event.
 */
export class TimeFormatter {
  private lastSec = -1;
  private lastText = "";
  readonly width: number;
  readonly heading: string;

  constructor(
    readonly format: TimeFormat,
    private readonly clock: Clock,
  ) {
    this.width = { datetime: 19, time: 8, iso: 32, relative: 12, none: 0 }[format];
    if (format === "datetime" || format === "time" || format === "iso") primeLocalTime();
    this.heading = format === "none" ? "" : "Time".padEnd(this.width);
  }

  text(tsNs: number): string {
    const ms = this.clock.wallMs(tsNs);
    switch (this.format) {
      case "datetime":
      case "time": {
        const sec = Math.floor(ms / 1000);
        if (sec !== this.lastSec) {
          const d = localFields(sec * 1000);
          this.lastText = this.format === "time" ? hms(d) : `${ymd(d, "/")} ${hms(d)}`;
          this.lastSec = sec;
        }
        return this.lastText;
      }
      case "iso":
        return isoTime(ms);
      case "relative":
        return ((tsNs - this.clock.monoAtStart) / 1e9).toFixed(6).padStart(this.width);
      case "none":
        return "";
    }
  }
}

/** RFC 3339 with microseconds and the local UTC offset, e.g. 2026-11-27T02:39:10.123456+00:00. */
export function isoTime(ms: number): string {
  const whole = Math.floor(ms);
  const d = localFields(whole);
  const off = localOffset.at(whole) / 60_000; // minutes; the lookup above is cached
  const micros = Math.floor((ms - Math.floor(ms / 1000) * 1000) * 1000);
  const sign = off >= 0 ? "+" : "-";
  const abs = Math.abs(off);
  return `${ymd(d, "-")}T${hms(d)}.${String(micros).padStart(6, "0")}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}
