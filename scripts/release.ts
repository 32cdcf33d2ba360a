// `npm run release`: builds pstat for every supported Linux target into dist/release,
// writes the man page and shell completions beside them, smoke-tests what this machine
// can run, and writes SHA256SUMS.
//
// Cross builds need Bun's own runtime for each target as the base executable. Those come
// from the @oven/bun-linux-* npm packages, fetched with `npm pack` (registry only) into
// node_modules/.cache, because `bun build --compile --target` would otherwise download
// them from GitHub, and `npm install` skips packages whose os/cpu/libc don't match.
import { $ } from "bun";
import { chmod, copyFile, mkdir, readdir, rm, stat } from "node:fs/promises";
import { basename, join, relative, resolve } from "node:path";
import pkg from "../package.json";
import { build, gitCommit, type Libc } from "./build";
import { renderCompletions, shells } from "../src/cli/completions";
import { renderManPage } from "../src/cli/manpage";

interface Target {
  /** Release file suffix and the target name --version prints. */
  name: string;
  /** bun build --target. */
  bunTarget: string;
  /** npm package that ships that target's bun runtime. */
  npmPackage: string;
  arch: "x64" | "arm64";
  libc: Libc;
}

export const targets: readonly Target[] = [
  { name: "linux-x64", bunTarget: "bun-linux-x64", npmPackage: "@oven/bun-linux-x64", arch: "x64", libc: "glibc" },
  {
    name: "linux-x64-baseline",
    bunTarget: "bun-linux-x64-baseline",
    npmPackage: "@oven/bun-linux-x64-baseline",
    arch: "x64",
    libc: "glibc",
  },
  { name: "linux-arm64", bunTarget: "bun-linux-arm64", npmPackage: "@oven/bun-linux-aarch64", arch: "arm64", libc: "glibc" },
  {
    name: "linux-x64-musl",
    bunTarget: "bun-linux-x64-musl",
    npmPackage: "@oven/bun-linux-x64-musl",
    arch: "x64",
    libc: "musl",
  },
  {
    name: "linux-arm64-musl",
    bunTarget: "bun-linux-arm64-musl",
    npmPackage: "@oven/bun-linux-aarch64-musl",
    arch: "arm64",
    libc: "musl",
  },
];

const releaseDir = "dist/release";
// The base executable must come from the very bun that compiles, or the embedded
// bundle format may not match.
const bunVersion = Bun.version;
const cacheDir = join("node_modules/.cache/pstat-release", `bun-${bunVersion}`);

/** The runtime for `t`, fetched once per bun version. */
async function baseExecutable(t: Target): Promise<string> {
  const dir = join(cacheDir, t.npmPackage.replace("/", "+"));
  const exe = join(dir, "package/bin/bun");
  if (await Bun.file(exe).exists()) return exe;
  await mkdir(dir, { recursive: true });
  console.log(`fetching ${t.npmPackage}@${bunVersion} from the npm registry`);
  // npm pack checks the tarball against the registry's integrity hash.
  const packed = await $`npm pack ${`${t.npmPackage}@${bunVersion}`} --pack-destination ${dir} --json --silent`.quiet();
  const [tarball] = JSON.parse(packed.stdout.toString()) as { filename: string }[];
  if (!tarball) throw new Error(`npm pack ${t.npmPackage} produced nothing`);
  const { filename } = tarball;
  await $`tar -xzf ${join(dir, filename)} -C ${dir}`;
  await rm(join(dir, filename));
  await chmod(exe, 0o755);
  return exe;
}

interface Runner {
  prefix: string[];
  env: Record<string, string>;
}

// Bun's musl runtime needs musl's libstdc++.so.6 (Alpine: `apk add libstdc++`), which Debian
// does not package. Debian's glibc libstdc++ runs under musl's loader once these few glibc
// symbols exist, so for the smoke test only, a tiny stand-in (like Alpine's gcompat) is built
// with musl-gcc and served as the ld-linux-x86-64.so.2 that libstdc++ asks for.
const glibcCompatC = `
#include <locale.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/random.h>
#include <time.h>
extern int __cxa_atexit(void (*)(void *), void *, void *);
uint32_t arc4random(void) { uint32_t v = 0; getrandom(&v, sizeof v, 0); return v; }
size_t __strftime_l(char *s, size_t n, const char *f, const struct tm *tm, locale_t l) { return strftime_l(s, n, f, tm, l); }
int __cxa_thread_atexit_impl(void (*fn)(void *), void *obj, void *dso) { return __cxa_atexit(fn, obj, dso); }
char __libc_single_threaded = 0;
int _dl_find_object(void *pc, void *result) { return -1; }
struct { unsigned vendor, type, subtype, features[1]; } __cpu_model;
int __cpu_indicator_init(void) { return 0; }
`;

async function muslX64Runner(): Promise<Runner | string> {
  const loader = "/lib/ld-musl-x86_64.so.1";
  if (!(await Bun.file(loader).exists())) return `no ${loader} (apt-get install musl)`;
  const cc = Bun.which("musl-gcc");
  if (!cc) return "no musl-gcc to build the glibc-compat stand-in (apt-get install musl-tools)";
  const glibcLibs = ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1"];
  for (const lib of glibcLibs) if (!(await Bun.file(lib).exists())) return `no ${lib}`;
  const dir = join(cacheDir, "musl-compat");
  await mkdir(dir, { recursive: true });
  await Bun.write(join(dir, "compat.c"), glibcCompatC);
  await $`${cc} -shared -fPIC -O2 -o ${join(dir, "ld-linux-x86-64.so.2")} ${join(dir, "compat.c")}`.quiet();
  for (const lib of glibcLibs) await copyFile(lib, join(dir, basename(lib)));
  return { prefix: [], env: { LD_LIBRARY_PATH: resolve(dir) } };
}

/** How this machine can run a binary for `t`, or why it can't. */
async function runner(t: Target): Promise<Runner | string> {
  if (t.arch !== process.arch && !(t.arch === "arm64" && process.arch === "x64")) return `cannot run ${t.arch} binaries on ${process.arch}`;
  if (t.libc === "musl") {
    if (t.arch === "x64") return muslX64Runner();
    return "no arm64 musl with libstdc++ on Debian (needs an arm64 Alpine)";
  }
  if (t.arch === process.arch) return { prefix: [], env: {} };
  const qemu = Bun.which("qemu-aarch64-static");
  if (!qemu) return "qemu-aarch64-static missing (apt-get install qemu-user-static)";
  const sysroot = "/usr/aarch64-linux-gnu";
  if (!(await Bun.file(join(sysroot, "lib/ld-linux-aarch64.so.1")).exists())) return `no arm64 glibc in ${sysroot} (apt-get install libc6-arm64-cross)`;
  return { prefix: [qemu, "-L", sysroot], env: {} };
}

/** Runs `--version` and checks it names this release's version, target and commit. */
async function smokeTest(file: string, t: Target, commit: string): Promise<string> {
  const how = await runner(t);
  if (typeof how === "string") return `not run: ${how}`;
  const r = Bun.spawnSync([...how.prefix, file, "--version"], { stdout: "pipe", stderr: "pipe", env: how.env });
  const out = r.stdout.toString().trim();
  const want = [pkg.version, t.name, commit];
  if (r.exitCode !== 0 || !want.every((w) => out.includes(w)))
    throw new Error(`${file} --version printed ${JSON.stringify(out)} (exit ${r.exitCode}); wanted ${want.join(", ")}\n${r.stderr}`);
  return out;
}

async function sha256(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  hasher.update(await Bun.file(path).arrayBuffer());
  return hasher.digest("hex");
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

async function main(): Promise<void> {
  const bytecode = !process.argv.includes("--no-bytecode");
  // Only for trying the pipeline on a stand-in program.
  const entry = process.argv.find((a) => a.startsWith("--entry="))?.slice("--entry=".length);
  await rm(releaseDir, { recursive: true, force: true });
  await mkdir(join(releaseDir, "completions"), { recursive: true });
  const commit = await gitCommit();

  const report: string[] = [];
  for (const t of targets) {
    const outfile = join(releaseDir, `pstat-${t.name}`);
    await build({
      outfile,
      target: t.bunTarget,
      executablePath: await baseExecutable(t),
      targetName: t.name,
      libc: t.libc,
      bytecode,
      entry,
    });
    const size = (await stat(outfile)).size;
    report.push(`${outfile}  ${(size / 2 ** 20).toFixed(1)} MiB  ${await smokeTest(outfile, t, commit)}`);
  }

  await Bun.write(join(releaseDir, "pstat.1"), renderManPage({ version: pkg.version }));
  const completionFile = { bash: "pstat.bash", zsh: "_pstat", fish: "pstat.fish" } as const;
  for (const shell of shells) await Bun.write(join(releaseDir, "completions", completionFile[shell]), renderCompletions(shell));

  const files = await filesUnder(releaseDir);
  const sums = await Promise.all(files.map(async (f) => `${await sha256(join(releaseDir, f))}  ${f}\n`));
  await Bun.write(join(releaseDir, "SHA256SUMS"), sums.join(""));
  // The users' check, run here so a bad line never ships.
  await $`sha256sum --check --strict --quiet SHA256SUMS`.cwd(releaseDir);

  console.log(report.join("\n"));
  console.log(`${releaseDir}/SHA256SUMS: ${files.length} files, verified with sha256sum -c`);
}

if (import.meta.main) await main();
