// Compiles src/main.ts into one self-contained executable with `bun build --compile`.
// Used by `npm run build` (host target, dist/pstat) and by the release script (other targets).
import { $ } from "bun";
import pkg from "../package.json";

export type Libc = "glibc" | "musl";

export interface BuildOptions {
  /** bun's --target, e.g. "bun-linux-x64-baseline"; undefined builds for this machine. */
  target?: string;
  outfile: string;
  /** A base executable for cross builds, so nothing is downloaded. */
  executablePath?: string;
  /** Name shown by --version, e.g. "linux-x64-musl". */
  targetName?: string;
  /**
   * The C library the target links against, baked in as PSTAT_LIBC so that
   * src/kernel/libc-name.ts picks the right file name for bun:ffi. Defaults to this machine's.
   */
  libc?: Libc;
  bytecode?: boolean;
  /** Entry point; only tests and experiments point this elsewhere. */
  entry?: string;
}

export async function gitCommit(): Promise<string> {
  const r = await $`git rev-parse --short=12 HEAD`.nothrow().quiet();
  const dirty = (await $`git status --porcelain --untracked-files=no`.nothrow().quiet()).stdout.length > 0;
  return r.exitCode === 0 ? r.stdout.toString().trim() + (dirty ? "-dirty" : "") : "unknown";
}

/** The C library this bun runs on: glibc reports its version in the process report, musl does not. */
export function hostLibc(): Libc {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ? "glibc" : "musl";
}

export async function build(opts: BuildOptions): Promise<void> {
  const commit = await gitCommit();
  const libc = opts.libc ?? hostLibc();
  const targetName = opts.targetName ?? `linux-${process.arch}${libc === "musl" ? "-musl" : ""}`;
  const args = [
    "build",
    "--compile",
    "--minify",
    "--sourcemap=none",
    // --bytecode alone means CommonJS, which rejects top-level await; ESM bytecode is supported.
    "--format=esm",
    `--define=PSTAT_VERSION=${JSON.stringify(pkg.version)}`,
    `--define=PSTAT_TARGET=${JSON.stringify(targetName)}`,
    `--define=PSTAT_COMMIT=${JSON.stringify(commit)}`,
    `--define=PSTAT_LIBC=${JSON.stringify(libc)}`,
    `--outfile=${opts.outfile}`,
    // A root tool must not pick up a .env or bunfig.toml from whatever directory it runs in.
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
  ];
  if (opts.bytecode) args.push("--bytecode");
  if (opts.target) args.push(`--target=${opts.target}`);
  if (opts.executablePath) args.push(`--compile-executable-path=${opts.executablePath}`);
  args.push(opts.entry ?? "src/main.ts");
  const proc = Bun.spawnSync([process.execPath, ...args], { stdout: "inherit", stderr: "inherit" });
  if (proc.exitCode !== 0) throw new Error(`bun build failed for ${opts.outfile}`);
}

if (import.meta.main) {
  await build({ outfile: "dist/pstat", bytecode: true });
}
