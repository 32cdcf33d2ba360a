// `npm run bench`: forkstat vs extrace vs pstat on the same synthetic fork and exec storms,
// and side by side on a trickle and on short bursts (the rates servers see).
// See the README's Performance section for what is measured and how; scripts/bench/ holds the pieces.
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ensureInstalled } from "./bench/install";
import { type Mode, compileLoadgen } from "./bench/loadgen";
import { type LowRateResult, lowRateGroups, runLowRate } from "./bench/lowrate";
import {
  type Monitor,
  compileFloor,
  compileFloorBun,
  extrace,
  floor,
  floorBun,
  floorBunAll,
  floorBunSource,
  forkstat,
  pstat,
  pstatAvailable,
  pstatUsage,
} from "./bench/monitors";
import { LOW_RATE_NAMES, type Options, USAGE, parseOptions } from "./bench/options";
import { installCleanup } from "./bench/proc";
import {
  idleWindowsText,
  legendText,
  lowRateLegend,
  lowRateMarkdownTable,
  lowRateTextTable,
  markdownTable,
  notesText,
  summarise,
  summariseLowRate,
  textTable,
} from "./bench/report";
import { type Context, type IdleResult, type RunResult, measureIdle, runBaseline, runMonitored } from "./bench/run";
import { runSoak, soakText } from "./bench/soak";
import { clkTck, cpuCount, kernelRelease, pidMax } from "./bench/sys";

const log = (msg: string) => console.error(`bench: ${msg}`);

function preflight(opts: Options, tmp: string): { monitors: Monitor[]; skipped: string[] } {
  if (process.getuid?.() !== 0)
    throw new Error("run the bench as root: forkstat and extrace refuse to run without it, and pstat is compared at the same priority");
  const skipped: string[] = [];
  // the tools apt can install; the floors are built here and pstat is the one under test
  const wanted = opts.soak ? [] : opts.monitors.filter((m) => m === "forkstat" || m === "extrace");
  const missing = ensureInstalled(wanted);
  for (const m of missing) skipped.push(`${m}: not installed and apt-get could not install it`);
  const monitors: Monitor[] = [];
  if (wanted.includes("forkstat") && !missing.includes("forkstat")) monitors.push(forkstat());
  if (wanted.includes("extrace") && !missing.includes("extrace")) monitors.push(extrace());
  if (!opts.soak && opts.monitors.includes("floor")) {
    try {
      monitors.push(floor(compileFloor(tmp)));
    } catch (e) {
      skipped.push(`floor: ${(e as Error).message}`);
    }
  }
  const bunFloors = opts.soak ? [] : opts.monitors.filter((m) => m.startsWith("floor-bun"));
  if (bunFloors.length > 0) {
    try {
      const bin = compileFloorBun(tmp);
      if (bunFloors.includes("floor-bun")) monitors.push(floorBun(bin));
      if (bunFloors.includes("floor-bun-all")) monitors.push(floorBunAll(bin));
      if (bunFloors.includes("floor-bun-source")) monitors.push(floorBunSource(bin));
    } catch (e) {
      for (const m of bunFloors) skipped.push(`${m}: ${(e as Error).message}`);
    }
  }
  if (opts.soak || opts.monitors.includes("pstat")) {
    if (pstatAvailable(opts.pstat)) monitors.push(pstat(opts.pstat));
    else skipped.push(`pstat: ${opts.pstat} does not exist (run \`npm run build\` first)`);
  }
  if (!opts.soak && opts.monitors.includes("pstat-usage") && pstatAvailable(opts.pstat)) monitors.push(pstatUsage(opts.pstat));
  const storms = opts.scenarios.includes("fork") || opts.scenarios.includes("exec");
  const tooMany = storms && Math.max(opts.n, opts.execN) > pidMax() * 0.8;
  if (tooMany) log(`warning: runs of ${opts.n} processes come close to pid_max ${pidMax()}; PIDs repeat within a run`);
  return { monitors, skipped };
}

/** The pstat build in use; the bench warns when it is replaced during the run. */
function pstatStamp(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.mtime.toISOString()} ${st.size} bytes`;
  } catch {
    return undefined;
  }
}

function meta(opts: Options, monitors: Monitor[], skipped: string[]) {
  return {
    pstatBuild: pstatStamp(opts.pstat),
    date: new Date().toISOString(),
    kernel: kernelRelease(),
    cpus: cpuCount(),
    clkTck: clkTck(),
    pidMax: pidMax(),
    monitors: Object.fromEntries(monitors.map((m) => [m.name, { label: m.label, argv: m.argv, version: m.version }])),
    skipped,
    options: opts,
  };
}

/** Changes the monitor order each repetition so no monitor always runs on a warmer or cooler machine. */
function rotate<T>(list: T[], by: number): T[] {
  const k = list.length === 0 ? 0 : by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

async function comparison(opts: Options, ctx: Context, monitors: Monitor[]) {
  const runs: RunResult[] = [];
  const idle: IdleResult[] = [];
  // idle and the low rates run every monitor at once
  const together = monitors.filter((m) => m.aloneOnly !== true);
  const lowRate: LowRateResult[] = [];
  const modes = (["fork", "exec"] as Mode[]).filter((m) => opts.scenarios.includes(m));
  const lowRateNames = LOW_RATE_NAMES.filter((s) => opts.scenarios.includes(s));
  for (let rep = 1; rep <= opts.reps; rep++) {
    for (const producers of opts.producers) {
      for (const mode of modes) {
        const n = mode === "fork" ? opts.n : opts.execN;
        const base = await runBaseline(ctx, mode, n, producers, rep);
        log(`rep ${rep} ${mode} ×${producers}: no monitor ${base.wallMs?.toFixed(0) ?? base.error} ms`);
        runs.push(base);
        for (const m of rotate(monitors, rep - 1).filter((x) => x.modes.includes(mode))) {
          for (const sink of ["file", "null"] as const) {
            const r = await runMonitored(ctx, m, mode, n, producers, sink, rep);
            const c = r.correctness;
            log(
              `rep ${rep} ${mode} ×${producers}: ${m.name} > ${sink}: ` +
                (r.error ? `ERROR ${r.error}` : `${r.wallMs?.toFixed(0)} ms, cpu ${r.cpuSec?.toFixed(2)} s`) +
                (c ? `, lost ${c.lost}, self-reported lost ${c.reportedLost}, kernel drops ${r.kernelDrops ?? "?"}` : ""),
            );
            runs.push(r);
          }
        }
      }
    }
    if (opts.scenarios.includes("idle")) {
      for (const r of await measureIdle(ctx, together, opts.idleSeconds, opts.idleAfter, rep)) {
        log(
          `rep ${rep} idle ${r.monitor}: ${r.error ?? `${r.cpuPct?.toFixed(3)} % CPU over ${r.seconds} s`}` +
            (r.otherForks !== undefined ? `, ${r.otherForks} other processes and threads in the window` : ""),
        );
        idle.push(r);
      }
    }
    for (const name of lowRateNames)
      for (const group of lowRateGroups(name, together, monitors))
        lowRate.push(...(await runLowRate(ctx, rotate(group, rep - 1), name, opts.lowRate, rep, log)));
  }
  return { runs, idle, lowRate };
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  installCleanup();
  const out = resolve(opts.out);
  const tmp = join(out, "tmp");
  mkdirSync(tmp, { recursive: true });
  const { monitors, skipped } = preflight(opts, tmp);
  for (const s of skipped) log(`skipping ${s}`);
  const ctx: Context = { loadgen: compileLoadgen(tmp), tmp, loadTimeoutMs: 30 * 60_000, stormWarmup: opts.stormWarmup };

  if (opts.soak) {
    const p = monitors.find((m) => m.name === "pstat");
    if (!p) throw new Error("the soak needs pstat");
    const soak = await runSoak(ctx, p, opts.soakN, log);
    const text = soakText(soak);
    console.log(text);
    writeFileSync(join(out, "soak.json"), `${JSON.stringify({ meta: meta(opts, [p], skipped), soak }, null, 2)}\n`);
    writeFileSync(join(out, "soak.md"), `${text}\n`);
    return;
  }

  const m = meta(opts, monitors, skipped); // before the runs: the date and build they started with
  const { runs, idle, lowRate } = await comparison(opts, ctx, monitors);
  const warnings: string[] = [];
  if (pstatStamp(opts.pstat) !== m.pstatBuild) warnings.push(`${opts.pstat} was rebuilt during the run: the pstat rows mix two builds`);
  const rows = summarise(runs, idle);
  const lowRows = summariseLowRate(lowRate);
  const notes = notesText([...rows, ...lowRows]);
  const idleWindows = idleWindowsText(idle);
  const legend = legendText(monitors);
  const lowLegend = lowRateLegend(opts.lowRate);
  if (rows.length > 0) console.log(`\n${textTable(rows)}\n`);
  if (idleWindows) console.log(`${idleWindows}\n`);
  if (lowRows.length > 0) console.log(`\nlow rates (every monitor at once on one load):\n${lowRateTextTable(lowRows)}\n\n${lowLegend}\n`);
  console.log(`monitors:\n${legend}\n`);
  if (skipped.length > 0) console.log(`skipped: ${skipped.join("; ")}`);
  for (const w of warnings) console.log(`warning: ${w}`);
  if (notes) console.log(`notes:\n${notes}`);
  writeFileSync(
    join(out, "latest.json"),
    `${JSON.stringify({ meta: { ...m, warnings }, summary: rows, lowRateSummary: lowRows, runs, idle, lowRate }, null, 2)}\n`,
  );
  const md = [
    `Run ${m.date} on Linux ${m.kernel}, ${m.cpus} CPUs; ${opts.reps} repetitions; cells are median (min–max).`,
    ...(rows.length > 0 ? ["", markdownTable(rows)] : []),
    ...(idleWindows ? ["", idleWindows] : []),
    ...(lowRows.length > 0 ? ["", "Low rates, every monitor at once on one load:", "", lowRateMarkdownTable(lowRows), "", lowLegend] : []),
    "",
    "Monitors:",
    "",
    legend,
    ...(skipped.length > 0 ? ["", `Skipped: ${skipped.join("; ")}`] : []),
    ...warnings.map((w) => `\nWarning: ${w}`),
    ...(notes ? ["", "Notes:", "", "```", notes, "```"] : []),
    "",
  ].join("\n");
  writeFileSync(join(out, "latest.md"), md);
  log(`wrote ${join(out, "latest.json")} and ${join(out, "latest.md")}`);
}

await main().catch((e: unknown) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
