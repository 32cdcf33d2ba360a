import type { Clock } from "../clock";

export const TIME_FORMATS = ["datetime", "time", "iso", "relative", "none"] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

const pad2 = (n: number) => (n < 10 ? "0" : "") + n;

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
    this.heading = format === "none" ? "" : "Time".padEnd(this.width);
  }

  text(tsNs: number): string {
    const ms = this.clock.wallMs(tsNs);
    switch (this.format) {
      case "datetime":
      case "time": {
        const sec = Math.floor(ms / 1000);
        if (sec !== this.lastSec) {
          const d = new Date(sec * 1000);
          const hms = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
          this.lastText =
            this.format === "time" ? hms : `${d.getFullYear()}/${pad2(d.getMonth() + 1)}/${pad2(d.getDate())} ${hms}`;
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
  const d = new Date(Math.floor(ms));
  const micros = Math.floor((ms - Math.floor(ms / 1000) * 1000) * 1000);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const abs = Math.abs(off);
  return (
    `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(micros).padStart(6, "0")}` +
    `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`
  );
}
