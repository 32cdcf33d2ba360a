// --context, the --show-* fields and the context and exclusion filters, with the compiled
// binary against the real kernel (root): programs moved into cgroups made here (under the
// v2 hierarchy and the v1 pids controller, named as Docker, CRI-containerd under Kubernetes
// and systemd name theirs) before they exec; a three-deep chain of shells; an exec in a
// temporary directory; a loginuid set in a child; subtrees, names and users left out; and
// which /proc files pstat opens with and without the options (strace).
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cgroups, hex, PIDS, V2 } from "../lib/cgroups";
import { jsonLines, PSTAT, type Running, runToEnd, settle, startPstat } from "./helpers";

const cgroups = new Cgroups();

const DOCKER_ID = hex(64);
const CRI_ID = hex(64);
/** Another container whose id shares the first 9 digits of DOCKER_ID, not the 10th. */
const NEAR_ID = DOCKER_ID.slice(0, 9) + ((parseInt(DOCKER_ID[9]!, 16) + 1) % 16).toString(16) + hex(54);
const POD_UID = [hex(8), hex(4), hex(4), hex(4), hex(12)].join("-");
const TAG = `pstat-e2e-context-${process.pid}`;
const DOCKER_PATH = `/${TAG}.slice/docker-${DOCKER_ID}.scope`;
const CRI_PATH = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID.replaceAll("-", "_")}.slice/cri-containerd-${CRI_ID}.scope`;
const SERVICE = `${TAG}.service`;
const SERVICE_PATH = `/system.slice/${SERVICE}`;

const tmp = mkdtempSync(join(tmpdir(), "pstat-e2e-context-"));

afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await cgroups.remove();
});

type J = Record<string, unknown>;
const parse = jsonLines;

/** Runs `argv` to its end (in `cwd`), failing the test if it fails; its PID. */
async function run(argv: string[], opts: { cwd?: string } = {}): Promise<number> {
  const p = Bun.spawn(argv, { cwd: opts.cwd, stdio: ["ignore", "ignore", "inherit"] });
  await p.exited;
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (${p.exitCode})`);
  return p.pid;
}

/** A shell that moves itself into `dir` (a cgroup directory), then execs `/bin/sleep SECONDS`. */
const inCgroup = (dir: string, seconds: string) => run(["/bin/sh", "-c", `echo $$ > ${dir}/cgroup.procs && exec /bin/sleep ${seconds}`]);

/**
 * Starts a JSON pstat whose filter lets only some processes through: `probe` runs one such
 * process until the first line shows pstat is subscribed. Returns the probes' PIDs.
 */
async function startFiltered(args: string[], probe: () => Promise<number>): Promise<{ run: Running; probes: Set<number> }> {
  const run = await startPstat(args, { ready: /^/ });
  const probes = new Set<number>();
  for (let i = 0; i < 100 && run.out() === ""; i++) {
    probes.add(await probe());
    await Bun.sleep(50);
  }
  await run.waitFor(/./);
  return { run, probes };
}

/** Starts pstat with each argument list at once, runs `work`, and returns each one's output. */
async function around<T>(argLists: string[][], work: () => Promise<T>): Promise<{ outs: string[]; result: T }> {
  const runs = await Promise.all(argLists.map((args) => (args.includes("-j") ? startPstat(args, { probe: true }) : startPstat(args))));
  const result = await work();
  await settle();
  const done = await Promise.all(runs.map((r) => r.stop()));
  for (const d of done) if (d.code !== 0) throw new Error(`pstat exited ${d.code}: ${d.stderr}`);
  return { outs: done.map((d) => d.stdout), result };
}

const execOf = (all: J[], pid: number, cmdline: string) => all.find((e) => e.event === "exec" && e.pid === pid && e.cmdline === cmdline);

/** The text line under the exec line of `pid` whose process is `name`. */
function contextLineOf(text: string, pid: number, name: string): string | undefined {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => new RegExp(`^\\S+ \\S+ exec +${pid} +${name.replace(/[.*+?()[\]\\]/g, "\\$&")}$`).test(l));
  return i < 0 ? undefined : lines[i + 1];
}

describe("cgroup, container and unit", () => {
  test("programs moved into a Docker scope (v2), a CRI-containerd scope and a systemd service (v1 pids) before exec", async () => {
    const docker = cgroups.make(V2, DOCKER_PATH);
    const cri = cgroups.make(PIDS, CRI_PATH);
    const service = cgroups.make(PIDS, SERVICE_PATH);
    const { outs, result } = await around(
      [
        ["-j", "-e", "exec,exit", "--show-cgroup"],
        ["-e", "exec", "--show-cgroup"],
      ],
      async () => Promise.all([inCgroup(docker, "0.2"), inCgroup(cri, "0.2"), inCgroup(service, "0.2")]),
    );
    const [d, c, s] = result;
    const all = parse(outs[0]!);
    expect(execOf(all, d, "/bin/sleep 0.2")).toMatchObject({ cgroup: DOCKER_PATH, container_id: DOCKER_ID, unit: `docker-${DOCKER_ID}.scope` });
    expect(execOf(all, c, "/bin/sleep 0.2")).toMatchObject({ cgroup: CRI_PATH, container_id: CRI_ID, unit: `cri-containerd-${CRI_ID}.scope` });
    expect(execOf(all, s, "/bin/sleep 0.2")).toMatchObject({ cgroup: SERVICE_PATH, container_id: null, unit: SERVICE });
    // The exit carries the context read at the exec, the shell's exec the one it started in.
    expect(all.find((e) => e.event === "exit" && e.pid === d)).toMatchObject({ cgroup: DOCKER_PATH, container_id: DOCKER_ID });
    expect(execOf(all, d, `/bin/sh -c echo $$ > ${docker}/cgroup.procs && exec /bin/sleep 0.2`)?.container_id).toBeNull();
    // Text: the short id, the unit and the path on the line under the exec.
    expect(contextLineOf(outs[1]!, d, "/bin/sleep 0.2")?.trim()).toBe(
      `container=${DOCKER_ID.slice(0, 12)} unit=docker-${DOCKER_ID}.scope cgroup=${DOCKER_PATH}`,
    );
    expect(contextLineOf(outs[1]!, s, "/bin/sleep 0.2")?.trim()).toBe(`unit=${SERVICE} cgroup=${SERVICE_PATH}`);
  }, 30000);

  test("--container, --unit and --exclude-cgroup keep exactly the right lines", async () => {
    const docker = cgroups.make(V2, DOCKER_PATH);
    const near = cgroups.make(V2, `/${TAG}.slice/docker-${NEAR_ID}.scope`);
    const cri = cgroups.make(PIDS, CRI_PATH);
    const service = cgroups.make(PIDS, SERVICE_PATH);
    const [container, unit] = await Promise.all([
      startFiltered(["-j", "-e", "exec,exit", "--container", DOCKER_ID.slice(0, 10).toUpperCase()], () => inCgroup(docker, "0")),
      startFiltered(["-j", "-e", "exec,exit", "--unit", SERVICE.replace(/\.service$/, "")], () => inCgroup(service, "0")),
    ]);
    const { outs, result } = await around([["-j", "-e", "exec,exit", "--exclude-cgroup", `/${TAG}.slice/**`]], async () => {
      const [d, s, n, c] = await Promise.all([inCgroup(docker, "0.2"), inCgroup(service, "0.2"), inCgroup(near, "0.2"), inCgroup(cri, "0.2")]);
      const plain = await run(["/bin/sleep", "0.1"]);
      return { d, s, n, c, plain };
    });
    const probes = new Set([...container.probes, ...unit.probes]);
    outs.unshift((await container.run.stop()).stdout, (await unit.run.stop()).stdout);
    const { d, s, n, c, plain } = result;
    const lines = (out: string) =>
      parse(out)
        .filter((e) => e.event !== "lost" && e.event !== "statistics" && !probes.has(e.pid as number))
        .map((e) => `${e.event} ${e.pid} ${e.cmdline}`);
    const shOf = (dir: string) => `/bin/sh -c echo $$ > ${dir}/cgroup.procs && exec /bin/sleep 0.2`;
    // Only the container's program: not its shell's exec, which ran before the move, nor
    // another container whose id differs in the 10th digit.
    expect(lines(outs[0]!)).toEqual([`exec ${d} /bin/sleep 0.2`, `exit ${d} /bin/sleep 0.2`]);
    expect(lines(outs[1]!)).toEqual([`exec ${s} /bin/sleep 0.2`, `exit ${s} /bin/sleep 0.2`]);
    // Everything else, and the container's shell before its move.
    const ours = lines(outs[2]!).filter((l) => [d, s, n, c, plain].includes(Number(l.split(" ")[1])));
    expect(ours.sort()).toEqual(
      [
        `exec ${d} ${shOf(docker)}`,
        `exec ${n} ${shOf(near)}`,
        `exec ${s} ${shOf(service)}`,
        `exec ${s} /bin/sleep 0.2`,
        `exit ${s} /bin/sleep 0.2`,
        `exec ${c} ${shOf(cri)}`,
        `exec ${c} /bin/sleep 0.2`,
        `exit ${c} /bin/sleep 0.2`,
        `exec ${plain} /bin/sleep 0.1`,
        `exit ${plain} /bin/sleep 0.1`,
      ].sort(),
    );
  }, 30000);
});

describe("ancestry, cwd, login user", () => {
  test("a three-deep chain of shells, nearest first; text by task name", async () => {
    const { outs, result: top } = await around(
      [
        ["-j", "-e", "exec", "--show-ancestry"],
        ["-e", "exec", "--show-ancestry"],
      ],
      () => run(["/bin/sh", "-c", `/bin/sh -c '/bin/sh -c "/bin/sleep 0.2; true"; true'; true`]),
    );
    const all = parse(outs[0]!);
    const sleep = all.find((e) => e.event === "exec" && e.cmdline === "/bin/sleep 0.2" && (e.ancestors as J[])[2]?.pid === top)!;
    expect(sleep).toBeDefined();
    const chain = sleep.ancestors as J[];
    expect(chain.slice(0, 3).map((a) => a.process)).toEqual([
      "/bin/sh -c /bin/sleep 0.2; true",
      `/bin/sh -c /bin/sh -c "/bin/sleep 0.2; true"; true`,
      `/bin/sh -c /bin/sh -c '/bin/sh -c "/bin/sleep 0.2; true"; true'; true`,
    ]);
    expect(chain[3]!.pid).toBe(process.pid); // this test started the first shell
    expect(chain.at(-1)!.pid).toBe(1);
    // The second shell's parent is the first one, as its own exec says.
    expect((execOf(all, chain[1]!.pid as number, chain[1]!.process as string)!.ancestors as J[])[0]!.pid).toBe(top);
    expect(contextLineOf(outs[1]!, sleep.pid as number, "/bin/sleep 0.2")).toMatch(/^ +via .* › sh › sh › sh$/);
  }, 30000);

  test("cwd: the directory a program was started in, read with its command line", async () => {
    const dir = mkdtempSync(join(tmp, "cwd-"));
    const { outs, result } = await around(
      [
        ["-j", "-e", "exec", "--show-cwd"],
        ["-e", "exec", "--show-cwd"],
      ],
      async () => ({
        // The shell stays in / for 50 ms before its cd: pstat reads the cwd at the exec, not in a race with the cd.
        inside: await run(["/bin/sh", "-c", `/bin/sleep 0.05; cd ${dir} && exec /bin/sleep 0.1`], { cwd: "/" }),
        started: await run(["/bin/sleep", "0.1"], { cwd: dir }),
      }),
    );
    const all = parse(outs[0]!);
    expect(execOf(all, result.inside, `/bin/sh -c /bin/sleep 0.05; cd ${dir} && exec /bin/sleep 0.1`)?.cwd).toBe("/");
    expect(execOf(all, result.inside, "/bin/sleep 0.1")?.cwd).toBe(dir);
    expect(execOf(all, result.started, "/bin/sleep 0.1")?.cwd).toBe(dir);
    expect(contextLineOf(outs[1]!, result.inside, "/bin/sleep 0.1")?.trim()).toBe(`cwd=${dir}`);
  }, 30000);

  test("a loginuid set in a child shows that user; an unset one is null", async () => {
    const own = readFileSync("/proc/self/loginuid", "utf8").trim();
    if (own !== "4294967295") throw new Error(`this test needs an unset loginuid, and the runner has ${own}`);
    const id = Bun.spawnSync(["id", "-nu", "1000"]);
    const user = id.exitCode === 0 ? id.stdout.toString().trim() : "1000"; // no passwd entry: the number
    const { outs, result } = await around(
      [
        ["-j", "-e", "exec,exit", "--show-login"],
        ["-e", "exec", "--show-login"],
      ],
      async () => ({ login: await run(["/bin/sh", "-c", "echo 1000 > /proc/self/loginuid && exec /bin/sleep 0.1"]), unset: await run(["/bin/sleep", "0.1"]) }),
    );
    const all = parse(outs[0]!);
    expect(execOf(all, result.login, "/bin/sleep 0.1")).toMatchObject({ login_uid: 1000, login_user: user });
    expect(all.find((e) => e.event === "exit" && e.pid === result.login)).toMatchObject({ login_uid: 1000, login_user: user });
    expect(execOf(all, result.unset, "/bin/sleep 0.1")).toMatchObject({ login_uid: null, login_user: null });
    expect(contextLineOf(outs[1]!, result.login, "/bin/sleep 0.1")?.trim()).toBe(`login=${user}`);
  }, 30000);
});

describe("exclusions", () => {
  test("--exclude-pid drops the process, its children at start and those forked later", async () => {
    // A tree that exists before pstat starts: a shell with a child, which forks more later.
    const tree = Bun.spawn(["/bin/sh", "-c", `/bin/sh -c 'sleep 1.2; /bin/sleep 0.1; true' & sleep 1; /bin/sh -c '/bin/sleep 0.1; true'; wait`], {
      stdio: ["ignore", "ignore", "ignore"],
    });
    for (let i = 0; i < 100 && !readFileSync(`/proc/${tree.pid}/task/${tree.pid}/children`, "utf8").trim(); i++) await Bun.sleep(10);
    const childAtStart = Number(readFileSync(`/proc/${tree.pid}/task/${tree.pid}/children`, "utf8").trim().split(" ")[0]);
    const { outs, result: beside } = await around(
      [
        ["-j", "-e", "fork,exec,exit", "--exclude-pid", String(tree.pid)],
        ["-j", "-e", "fork,exec,exit"],
      ],
      async () => {
        const beside = await run(["/bin/sh", "-c", "/bin/sleep 0.1; true"]);
        await tree.exited;
        return beside;
      },
    );
    // The whole tree, from the unfiltered run's forks.
    const reference = parse(outs[1]!);
    const members = new Set([tree.pid, childAtStart]);
    for (const e of reference) if (e.event === "fork" && members.has(e.ppid as number)) members.add(e.pid as number);
    const treeLines = reference.filter((e) => members.has(e.tgid as number));
    expect(treeLines.filter((e) => e.event === "exec" && e.cmdline === "/bin/sleep 0.1").length).toBe(2); // a grandchild and a child forked later
    expect(treeLines.some((e) => e.event === "exit" && e.pid === childAtStart)).toBe(true);
    const filtered = parse(outs[0]!).filter((e) => e.event !== "lost" && e.event !== "statistics");
    expect(filtered.filter((e) => members.has(e.tgid as number))).toEqual([]);
    // Beside it, everything stays.
    const besideTree = new Set([beside]);
    for (const e of reference) if (e.event === "fork" && besideTree.has(e.ppid as number)) besideTree.add(e.pid as number);
    const besideLines = (all: J[]) => all.filter((e) => besideTree.has(e.tgid as number)).map((e) => `${e.event} ${e.pid} ${e.cmdline}`);
    expect(besideLines(filtered).length).toBe(6); // its fork and exec, its child's fork, exec and exit, its exit
    expect(besideLines(filtered)).toEqual(besideLines(reference));
  }, 30000);

  test("--exclude-pid of a PID no process has is refused", async () => {
    let free = 4_000_000;
    while (existsSync(`/proc/${free}`)) free--;
    const r = await runToEnd([PSTAT, "--exclude-pid", `1,${free}`, "-D", "1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`pstat: no process with PID ${free} for --exclude-pid\n`);
    expect(r.stdout).toBe("");
  }, 30000);

  test("--exclude-comm and --exclude-user drop exactly their lines", async () => {
    const { outs, result } = await around(
      [
        ["-j", "-e", "exec,exit", "--exclude-comm", "^/bin/sleep 0\\.13$"],
        ["-j", "-e", "exec,exit", "--exclude-user", "nobody"],
        ["-j", "-e", "exec,exit"],
      ],
      async () =>
        Promise.all([
          run(["/bin/sleep", "0.13"]),
          run(["/bin/sleep", "0.14"]),
          // Root at its own exec for 50 ms (setpriv drops its ids microseconds after its exec,
          // before pstat can read them), then nobody for the program it runs.
          run([
            "/usr/bin/python3",
            "-c",
            "import os,time\ntime.sleep(0.05)\nos.setgroups([])\nos.setresgid(65534,65534,65534)\nos.setresuid(65534,65534,65534)\nos.execv('/bin/sleep',['/bin/sleep','0.15'])",
          ]),
        ]),
    );
    const pids = new Set(result);
    const ours = (out: string) => parse(out).filter((e) => pids.has(e.pid as number) && (e.event === "exec" || e.event === "exit"));
    const key = (e: J) => `${e.event} ${e.pid} ${e.cmdline}`;
    const reference = ours(outs[2]!);
    expect(reference.length).toBe(7); // three execs of sleep, one of python, three exits
    const byComm = reference.filter((e) => e.cmdline !== "/bin/sleep 0.13");
    expect(byComm.length).toBe(5);
    expect(ours(outs[0]!).map(key)).toEqual(byComm.map(key));
    // python's own exec ran as root; the program it became and its exit are nobody's.
    const [, , nobody] = result;
    const byUser = reference.filter((e) => !(e.pid === nobody && e.cmdline === "/bin/sleep 0.15"));
    expect(byUser.length).toBe(5);
    expect(ours(outs[1]!).map(key)).toEqual(byUser.map(key));
  }, 30000);
});

describe("what pstat reads from /proc (strace)", () => {
  /** The /proc/PID/{cgroup,loginuid,cwd} paths pstat opens or reads as links while a process forks 20 children. */
  async function contextReads(args: string[]): Promise<{ paths: string[]; parent: number; children: number[] }> {
    const trace = join(tmp, `strace-${args.join("_").replace(/\W/g, "")}.trace`);
    // -D: pstat ends by itself (a signal to strace would only detach it).
    const pstat = Bun.spawn(["strace", "-f", "-qq", "-e", "trace=open,openat,readlink,readlinkat", "-o", trace, PSTAT, "-j", "-D", "8", ...args], {
      stdout: "pipe",
      stderr: "ignore",
    });
    let out = "";
    const pump = (async () => {
      for await (const chunk of pstat.stdout) out += new TextDecoder().decode(chunk);
    })();
    // Running under strace, pstat is slow to start: wait for its first event.
    for (let i = 0; i < 300 && out === ""; i++) {
      await run(["/bin/true"]);
      await Bun.sleep(50);
    }
    if (out === "") throw new Error("pstat under strace wrote nothing");
    const parent = await run(["/usr/bin/python3", "-c", "import os\nfor _ in range(20):\n    if os.fork() == 0: os._exit(0)\n    os.wait()"]);
    await pstat.exited;
    await pump;
    const children = parse(out)
      .filter((e) => e.event === "fork" && e.ppid === parent)
      .map((e) => e.pid as number);
    const paths = [...readFileSync(trace, "utf8").matchAll(/"(\/proc\/\d+\/(?:cgroup|loginuid|cwd))"/g)].map((m) => m[1]!);
    return { paths, parent, children };
  }

  test("without the options: no context file at all", async () => {
    const r = await contextReads(["-e", "fork,exec,exit"]);
    expect(r.children.length).toBe(20);
    expect(r.paths).toEqual([]);
  }, 60000);

  test("--context: each file once at the exec, none for the forks", async () => {
    const r = await contextReads(["-e", "fork,exec,exit", "--context"]);
    expect(r.children.length).toBe(20);
    const of = (pid: number) => r.paths.filter((p) => p.startsWith(`/proc/${pid}/`)).sort();
    expect(of(r.parent)).toEqual([`/proc/${r.parent}/cgroup`, `/proc/${r.parent}/cwd`, `/proc/${r.parent}/loginuid`]);
    expect(r.children.flatMap(of)).toEqual([]);
  }, 60000);
});
