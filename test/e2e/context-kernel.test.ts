// The context reads against the real kernel (root): processes moved into cgroups made here,
// under the v2 hierarchy and v1 ones, named as Docker, containerd under Kubernetes and
// systemd name theirs; the working directory; the audit login uid set in a child; and what
// an unprivileged reader gets for a root process.
import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { NEED_ALL, NEED_CGROUP, NEED_CWD, readContext, readCwd, readLoginUid } from "../../src/context/read";
import { Cgroups, hex, PIDS, SYSTEMD, V2 } from "../lib/cgroups";

const cgroups = new Cgroups();

const DOCKER_ID = hex(64);
const CRI_ID = hex(64);
const CGROUPFS_ID = hex(64);
const POD_UID = [hex(8), hex(4), hex(4), hex(4), hex(12)].join("-");
const TAG = `pstat-e2e-${process.pid}`;

const procs: Subprocess[] = [];

function sleeper(cwd?: string): Subprocess {
  const p = Bun.spawn(["sleep", "120"], { cwd, stdio: ["ignore", "ignore", "ignore"] });
  procs.push(p);
  return p;
}

/** A sleeping process moved into each of the given cgroup directories. */
function sleeperIn(...dirs: string[]): Subprocess {
  const p = sleeper();
  for (const d of dirs) appendFileSync(join(d, "cgroup.procs"), `${p.pid}\n`);
  return p;
}

afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  await cgroups.remove();
});

describe("cgroup", () => {
  test("v2: a Docker scope gives its path, the container and the unit", () => {
    const path = `/${TAG}.slice/docker-${DOCKER_ID}.scope`;
    const p = sleeperIn(cgroups.make(V2, path));
    expect(readContext(p.pid, NEED_CGROUP)).toMatchObject({
      cgroup: path,
      containerId: DOCKER_ID,
      containerShort: DOCKER_ID.slice(0, 12),
      runtime: "docker",
      podUid: null,
      unit: `docker-${DOCKER_ID}.scope`,
    });
  });

  test("v1 pids: a CRI-containerd scope in a Kubernetes pod, chosen over the host's other v1 paths", () => {
    const path = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID.replaceAll("-", "_")}.slice/cri-containerd-${CRI_ID}.scope`;
    const p = sleeperIn(cgroups.make(PIDS, path));
    expect(readFileSync(`/proc/${p.pid}/cgroup`, "utf8")).toContain(`:pids:${path}\n`);
    expect(readContext(p.pid, NEED_CGROUP)).toMatchObject({
      cgroup: path,
      containerId: CRI_ID,
      containerShort: CRI_ID.slice(0, 12),
      runtime: "containerd",
      podUid: POD_UID,
      unit: `cri-containerd-${CRI_ID}.scope`,
    });
  });

  test("v1 pids: a systemd service", () => {
    const path = "/system.slice/pstat-test.service";
    const p = sleeperIn(cgroups.make(PIDS, path));
    expect(readContext(p.pid, NEED_CGROUP)).toMatchObject({ cgroup: path, containerId: null, runtime: null, podUid: null, unit: "pstat-test.service" });
  });

  test("v1 name=systemd: Docker's cgroupfs layout", () => {
    const path = `/docker/${CGROUPFS_ID}`;
    const p = sleeperIn(cgroups.make(SYSTEMD, path));
    expect(readContext(p.pid, NEED_CGROUP)).toMatchObject({ cgroup: path, containerId: CGROUPFS_ID, runtime: "docker", unit: null });
  });

  test("hybrid: a v2 path other than / is the one shown", () => {
    const v2 = `/${TAG}.slice/pstat-hybrid.service`;
    const p = sleeperIn(cgroups.make(V2, v2), cgroups.make(PIDS, `/docker/${CGROUPFS_ID}`));
    expect(readContext(p.pid, NEED_CGROUP)).toMatchObject({ cgroup: v2, containerId: null, unit: "pstat-hybrid.service" });
  });

  test("a cgroup name with control and non-UTF-8 bytes is escaped", () => {
    // A Buffer path, so the 0xff stays one byte (a string would be written as UTF-8).
    const dir = Buffer.concat([Buffer.from(join(V2, `${TAG}-\x1b[31mred\\:`)), Buffer.from([0xff])]);
    mkdirSync(dir);
    cgroups.adopt(dir);
    const p = sleeper();
    appendFileSync(Buffer.concat([dir, Buffer.from("/cgroup.procs")]), `${p.pid}\n`);
    expect(readContext(p.pid, NEED_CGROUP).cgroup).toBe(`/${TAG}-\\x1b[31mred\\\\:\\xff`);
  });

  test("this process: one of the paths its cgroup file lists", () => {
    const ctx = readContext(process.pid, NEED_CGROUP);
    expect(ctx.cgroup).not.toBeNull();
    expect(readFileSync("/proc/self/cgroup", "utf8")).toContain(`:${ctx.cgroup}\n`);
  });
});

describe("cwd", () => {
  test("the directory a process was started in; ' (deleted)' once it is removed", () => {
    const dir = mkdtempSync(join(tmpdir(), "pstat-cwd-"));
    const p = sleeper(dir);
    expect(readCwd(p.pid)).toBe(dir);
    // A partial read leaves the other fields of a cached context as they were.
    const cached = { ...readContext(p.pid, NEED_CGROUP), loginUser: "kept" };
    expect(readContext(p.pid, NEED_CWD, cached)).toEqual({ ...cached, cwd: dir });
    rmdirSync(dir);
    expect(readCwd(p.pid)).toBe(`${dir} (deleted)`);
  });

  test("a newline in the directory's name is escaped", () => {
    const parent = mkdtempSync(join(tmpdir(), "pstat-cwd-"));
    const dir = join(parent, "two\nlines");
    mkdirSync(dir);
    try {
      const p = sleeper(dir);
      expect(readCwd(p.pid)).toBe(`${parent}/two\\nlines`);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe("login user", () => {
  test("a loginuid set in a child (as root) is read back, with its user name", async () => {
    const p = Bun.spawn(["sh", "-c", "echo 1000 > /proc/self/loginuid && exec sleep 120"], { stdio: ["ignore", "ignore", "pipe"] });
    procs.push(p);
    // Wait for the exec: the loginuid is written before it.
    for (let i = 0; i < 100 && (await Bun.file(`/proc/${p.pid}/comm`).text()).trim() !== "sleep"; i++) await Bun.sleep(10);
    const id = Bun.spawnSync(["id", "-nu", "1000"]);
    const name = id.exitCode === 0 ? id.stdout.toString().trim() : "1000"; // no passwd entry: the number
    expect(readContext(p.pid, NEED_ALL)).toMatchObject({ loginUid: 1000, loginUser: name });
  });

  test("unset (4294967295) is null", async () => {
    const own = (await Bun.file("/proc/self/loginuid").text()).trim();
    if (own !== "4294967295") throw new Error(`this test needs an unset loginuid, and the runner has ${own}`);
    expect(readLoginUid(process.pid)).toBeNull();
    expect(readContext(process.pid, NEED_ALL)).toMatchObject({ loginUid: null, loginUser: null });
  });
});

describe("unknown is null, never an error", () => {
  test("an unprivileged reader gets null for a root process's cwd, and the rest as usual", () => {
    const dir = mkdtempSync(join(tmpdir(), "pstat-cwd-"));
    const p = sleeper(dir);
    const script = `
      import { readContext, NEED_ALL } from ${JSON.stringify(resolve(import.meta.dir, "../../src/context/read.ts"))};
      console.log(JSON.stringify(readContext(${p.pid}, NEED_ALL)));`;
    const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script], {
      env: { PATH: process.env.PATH ?? "", HOME: "/tmp" },
    });
    rmdirSync(dir);
    expect(r.stderr.toString()).toBe("");
    const ctx = JSON.parse(r.stdout.toString());
    expect(ctx.cwd).toBeNull();
    expect(ctx.cgroup).toBe(readContext(p.pid, NEED_CGROUP).cgroup); // /proc/PID/cgroup is readable by all
    expect(readCwd(p.pid)).toBe(`${dir} (deleted)`); // and root does see the cwd
  });

  test("a process that is gone: everything null", async () => {
    const p = Bun.spawn(["true"]);
    await p.exited;
    // The PID may be reused meanwhile (pid_max can be small); only a free one proves anything.
    if (existsSync(`/proc/${p.pid}`)) return;
    expect(readContext(p.pid, NEED_ALL)).toEqual({
      cgroup: null,
      containerId: null,
      containerShort: null,
      runtime: null,
      podUid: null,
      unit: null,
      cwd: null,
      loginUid: null,
      loginUser: null,
    });
  });

  test("nonsense PIDs: null", () => {
    for (const pid of [0, -1, 2 ** 31, NaN]) {
      expect(readCwd(pid)).toBeNull();
      expect(readContext(pid, NEED_ALL).cgroup).toBeNull();
    }
  });
});
