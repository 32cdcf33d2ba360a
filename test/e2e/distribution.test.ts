// What ships: the compiled binary must run with nothing but the C libraries it links
// (no Node, no Bun, no build tree, no environment), the systemd unit must verify, and the
// man page and completions must cover every option in the table. Needs root (chroot, mount).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { build } from "../../scripts/build";
import { renderCompletions, shells } from "../../src/cli/completions";
import { renderManPage } from "../../src/cli/manpage";
import { options } from "../../src/cli/options";
import "./helpers";

const root = resolve(import.meta.dir, "../..");
const binary = process.env.PSTAT_BINARY ?? join(root, "dist/pstat");

/** Absolute path of a host tool, failing with the Debian package that provides it. */
function tool(name: string, aptPackage: string): string {
  const path = Bun.which(name, { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" });
  if (!path) throw new Error(`${name} not found: apt-get install ${aptPackage}`);
  return path;
}

function run(cmd: string[], env?: Record<string, string>): { code: number; out: string; err: string } {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", env });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

/** The files the dynamic loader maps for `file`, as ldd lists them (the loader included). */
function sharedLibraries(file: string): string[] {
  const r = run([tool("ldd", "libc-bin"), file]);
  expect(r.code).toBe(0);
  return [...r.out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/g)].map((m) => m[1]!);
}

const long = Object.keys(options);
const shorts = Object.values(options).flatMap((o) => ("alias" in o && o.alias ? [o.alias] : []));

describe("the binary alone in an empty chroot", () => {
  let jail = "";
  let chroot = "";

  beforeAll(async () => {
    expect(process.getuid?.()).toBe(0);
    chroot = tool("chroot", "coreutils");
    if (!(await Bun.file(binary).exists())) await build({ outfile: binary, entry: join(root, "src/main.ts") });
    jail = await mkdtemp(join(tmpdir(), "pstat-jail-"));
    await copyFile(binary, join(jail, "pstat"));
    for (const lib of sharedLibraries(binary)) {
      await mkdir(join(jail, dirname(lib)), { recursive: true });
      await copyFile(lib, join(jail, lib)); // follows symlinks: the jail gets the real file
    }
    // Bun's runtime reads /proc/self/maps at start-up and aborts without it, and pstat
    // reads process names from /proc; the chroot shares the host's PID namespace.
    await mkdir(join(jail, "proc"));
    expect(run([tool("mount", "mount"), "-t", "proc", "proc", join(jail, "proc")]).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    if (!jail) return;
    const umount = tool("umount", "mount");
    if (run([umount, join(jail, "proc")]).code !== 0) run([umount, "-l", join(jail, "proc")]);
    await rm(jail, { recursive: true, force: true });
  });

  test("prints its version with an empty environment", () => {
    const r = run([chroot, jail, "/pstat", "--version"], {});
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^pstat \d+\.\d+\.\d+\S* \(linux-(x64|arm64)\S*, commit ([0-9a-f]+(-dirty)?|unknown)\)\n$/);
  });

  test("reports an exec that happens outside the chroot", async () => {
    const pstat = Bun.spawn([chroot, jail, "/pstat", "-e", "exec", "-D", "15"], { env: {}, stdout: "pipe", stderr: "pipe" });
    let out = "";
    const reading = (async () => {
      for await (const chunk of pstat.stdout.pipeThrough(new TextDecoderStream())) out += chunk;
    })();

    // A uniquely named program, so its line can't be confused with anything else.
    const probeDir = await mkdtemp(join(tmpdir(), "pstat-probe-"));
    const probe = join(probeDir, `pstat-probe-${process.pid}`);
    await copyFile(tool("sleep", "coreutils"), probe);
    const pids: number[] = [];
    const seen = (): string | undefined =>
      out.split("\n").find((line) => /\bexec\b/.test(line) && line.includes("pstat-probe-") && pids.some((p) => new RegExp(`\\b${p}\\b`).test(line)));
    try {
      // pstat may need a moment to subscribe, so probe until one exec shows up.
      for (let i = 0; i < 40 && !seen() && pstat.exitCode === null; i++) {
        const p = Bun.spawn([probe, "0.2"], { stdout: "ignore", stderr: "ignore" });
        pids.push(p.pid);
        await p.exited;
        await Bun.sleep(200);
      }
      const line = seen();
      if (!line) console.error(`pstat output:\n${out}\nstderr:\n${await new Response(pstat.stderr).text()}`);
      expect(line).toBeDefined();
    } finally {
      pstat.kill("SIGINT");
      await pstat.exited;
      await reading;
      await rm(probeDir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe("packaging/pstat.service", () => {
  test("systemd-analyze verify accepts it", async () => {
    const analyze = tool("systemd-analyze", "systemd");
    const dir = await mkdtemp(join(tmpdir(), "pstat-unit-"));
    try {
      // verify insists that ExecStart's program exists and that Documentation= man pages
      // resolve, so point it at this build and at the generated page.
      const unit = (await Bun.file(join(root, "packaging/pstat.service")).text()).replace(
        /^ExecStart=\/usr\/local\/bin\/pstat\b/m,
        `ExecStart=${resolve(binary)}`,
      );
      expect(unit).toContain(`ExecStart=${resolve(binary)} --json`);
      await writeFile(join(dir, "pstat.service"), unit);
      await mkdir(join(dir, "man/man1"), { recursive: true });
      await writeFile(join(dir, "man/man1/pstat.1"), renderManPage());
      const r = run([analyze, "verify", join(dir, "pstat.service")], { ...process.env, MANPATH: join(dir, "man") } as Record<string, string>);
      expect(r.out + r.err).toBe("");
      expect(r.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("man page and completions come from the option table", () => {
  const page = renderManPage();
  const roffed = (s: string): string => s.replaceAll("-", "\\-");

  test("the man page documents every option and has the usual sections", () => {
    for (const name of long) expect(page).toContain(`\\fB${roffed(`--${name}`)}\\fR`);
    for (const s of shorts) expect(page).toContain(`\\fB\\-${s}\\fR`);
    for (const section of ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "OUTPUT", "EXIT STATUS", "EXAMPLES", "SEE ALSO"])
      expect(page).toContain(`.SH ${section}\n`);
    expect(page).toContain("\\fBforkstat\\fR(8)");
  });

  test("groff renders the man page without warnings", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pstat-man-"));
    try {
      await writeFile(join(dir, "pstat.1"), page);
      const r = run([tool("groff", "groff-base"), "-man", "-Tutf8", "-ww", "-z", join(dir, "pstat.1")]);
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  const checkers = {
    bash: () => [tool("bash", "bash"), "-n"],
    zsh: () => [tool("zsh", "zsh"), "-n"],
    fish: () => [tool("fish", "fish"), "--no-execute"],
  };

  for (const shell of shells) {
    test(`${shell}: every option, the event names, and valid syntax`, async () => {
      const script = renderCompletions(shell);
      for (const name of long) expect(script).toContain(shell === "fish" ? `-l ${name}` : `--${name}`);
      for (const s of shorts) expect(script).toContain(shell === "fish" ? `-s ${s}` : `-${s}`);
      for (const e of ["fork", "exec", "exitnonzero", "all"]) expect(script).toContain(e);
      const dir = await mkdtemp(join(tmpdir(), "pstat-completion-"));
      try {
        await writeFile(join(dir, "script"), script);
        const r = run([...checkers[shell](), join(dir, "script")]);
        expect(r.err).toBe("");
        expect(r.code).toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  test("bash completes options, event lists and the completions subcommand", () => {
    const complete = (...words: string[]): string => {
      const script = `${renderCompletions("bash")}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}
_pstat 2>/dev/null; echo "\${COMPREPLY[*]}"`;
      return run([tool("bash", "bash"), "-c", script]).out.trim();
    };
    expect(complete("pstat", "--ev").split(" ")).toContain("--event");
    expect(complete("pstat", "-e", "fork,ex").split(" ")).toEqual(["fork,exec", "fork,exit", "fork,exitnonzero"]);
    expect(complete("pstat", "completions", "")).toBe("bash zsh fish");
  });
});
