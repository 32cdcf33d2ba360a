// The Time column and JSON's time field against the runtime's own local time, in zones with
// daylight saving, half-hour and 45-minute offsets, across their transitions.
import { expect, test } from "bun:test";
import { resolve } from "node:path";

const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kolkata", "America/St_Johns"];

/**
 * Runs in a child with TZ set (the zone is read when the runtime starts): formats timestamps
 * every 7 minutes and 13 seconds through 2026, plus every second around each offset change,
 * with pstat's formatters and with plain local-time Date getters, and prints the mismatches.
 */
const CHECK = `
import { isoTime, TimeFormatter } from ${JSON.stringify(resolve(import.meta.dir, "../../src/format/time.ts"))};
const pad2 = (n) => (n < 10 ? "0" : "") + n;
const clock = { wallMsAtStart: 0, monoAtStart: 0, wallMs: (ns) => ns / 1e6 };
const dt = new TimeFormatter("datetime", clock);
const expectDatetime = (ms) => { const d = new Date(Math.floor(ms / 1000) * 1000); return d.getFullYear() + "/" + pad2(d.getMonth() + 1) + "/" + pad2(d.getDate()) + " " + pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds()); };
const expectIso = (ms) => { const d = new Date(Math.floor(ms)); const off = -d.getTimezoneOffset(); const a = Math.abs(off); return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate()) + "T" + pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds()) + "." + String(Math.floor((ms % 1000) * 1000)).padStart(6, "0") + (off >= 0 ? "+" : "-") + pad2(Math.floor(a / 60)) + ":" + pad2(a % 60); };
const times = [];
const start = Date.UTC(2026, 0, 1), end = Date.UTC(2027, 0, 1);
for (let ms = start; ms < end; ms += 433_000) times.push(ms + 0.25);
for (let ms = start; ms < end; ms += 60_000) {
  if (new Date(ms).getTimezoneOffset() !== new Date(ms + 60_000).getTimezoneOffset())
    for (let s = -120; s <= 120; s++) times.push(ms + 60_000 + s * 1000 + 0.5);
}
let bad = [];
for (const ms of times) {
  const got = dt.text(ms * 1e6), want = expectDatetime(ms);
  if (got !== want) bad.push(ms + " datetime " + got + " != " + want);
  const gi = isoTime(ms), wi = expectIso(ms);
  if (gi !== wi) bad.push(ms + " iso " + gi + " != " + wi);
}
console.log(JSON.stringify({ checked: times.length, bad: bad.slice(0, 5), badCount: bad.length }));
`;

for (const zone of ZONES) {
  test(`local time in ${zone} matches the runtime's, across offset changes`, () => {
    const p = Bun.spawnSync([process.execPath, "-e", CHECK], { env: { ...process.env, TZ: zone } });
    expect(p.stderr.toString()).toBe("");
    const r = JSON.parse(p.stdout.toString()) as { checked: number; bad: string[]; badCount: number };
    expect(r.checked).toBeGreaterThan(70_000);
    expect(r.bad).toEqual([]);
  });
}
