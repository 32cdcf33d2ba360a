// /proc/PID/cgroup texts as v2, v1 and hybrid hosts, Docker, containerd, CRI-O, Podman and
// Kubernetes write them, and what pstat takes from each: the path, the container, the pod
// and the systemd unit.
import { describe, expect, test } from "bun:test";
import { cgroupInfo, choosePath, containerOf, parseCgroupFile, pathHasComponent, podUidOf, unitOf } from "../../src/context/cgroup";

const ID = "3f4c2b1a9d8e7f60" + "a1b2c3d4e5f60718" + "293a4b5c6d7e8f90" + "0123456789abcdef"; // 64 hex
const ID2 = "b".repeat(64);
const SHORT = ID.slice(0, 12);
const POD = "3c5f6a1e-2b4d-4c1a-9e8f-0123456789ab";
const POD_ESC = POD.replaceAll("-", "_");

/** A v1 host's file: every listed controller at `path`, and the v2 line at `v2`. */
function v1(path: string, v2 = "/", named = path): string {
  return [
    `12:name=systemd:${named}`,
    `11:pids:${path}`,
    `10:memory:${path}`,
    `9:cpu,cpuacct:${path}`,
    `8:devices:${path}`,
    `7:freezer:${path}`,
    `0::${v2}`,
    "",
  ].join("\n");
}

describe("parseCgroupFile", () => {
  test("v2 only", () => {
    expect(parseCgroupFile("0::/system.slice/nginx.service\n")).toEqual([{ hierarchy: 0, controllers: [], path: "/system.slice/nginx.service" }]);
  });

  test("v1 lines with several and named controllers", () => {
    expect(parseCgroupFile("9:name=systemd:/a\n4:cpu,cpuacct:/b\n0::/\n")).toEqual([
      { hierarchy: 9, controllers: ["name=systemd"], path: "/a" },
      { hierarchy: 4, controllers: ["cpu", "cpuacct"], path: "/b" },
      { hierarchy: 0, controllers: [], path: "/" },
    ]);
  });

  test("a path may hold ':' (only the first two separate fields)", () => {
    expect(parseCgroupFile("0::/a:b/c:d")[0]!.path).toBe("/a:b/c:d");
  });

  test("lines that do not parse are skipped; no final newline is needed", () => {
    const text = "garbage\n:cpu:/x\nx:cpu:/y\n3:cpu\n3:cpu:relative\n\n5:pids:/ok";
    expect(parseCgroupFile(text)).toEqual([{ hierarchy: 5, controllers: ["pids"], path: "/ok" }]);
    expect(parseCgroupFile("")).toEqual([]);
  });
});

describe("choosePath", () => {
  const pick = (text: string) => choosePath(parseCgroupFile(text));

  test("v2 alone, even at the root", () => {
    expect(pick("0::/system.slice/a.service\n")).toBe("/system.slice/a.service");
    expect(pick("0::/\n")).toBe("/");
  });

  test("hybrid: a v2 path other than / wins over v1", () => {
    expect(pick(v1("/system.slice/other.service", "/system.slice/ssh.service"))).toBe("/system.slice/ssh.service");
  });

  test("hybrid with v2 at the root: the v1 path", () => {
    expect(pick(v1("/system.slice/ssh.service"))).toBe("/system.slice/ssh.service");
  });

  test("this machine's layout: only memory has a path, and it is taken", () => {
    const text =
      "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n4:memory:/process_api/93794c3313545b7139464e70feca4c83\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";
    expect(pick(text)).toBe("/process_api/93794c3313545b7139464e70feca4c83");
    expect(cgroupInfo(text)).toEqual({ path: "/process_api/93794c3313545b7139464e70feca4c83", container: null, podUid: null, unit: null });
  });

  test("v1: a path naming a container beats one naming a unit, which beats one naming nothing known", () => {
    const text = `9:name=systemd:/user.slice/user-0.slice/session-1.scope\n8:pids:/docker/${ID}\n4:memory:/sandbox/x\n0::/\n`;
    expect(pick(text)).toBe(`/docker/${ID}`);
    expect(pick("8:pids:/system.slice/pstat-test.service\n4:memory:/sandbox/x\n0::/\n")).toBe("/system.slice/pstat-test.service");
  });

  test("v1, equally informative: name=systemd, then memory, cpu, pids", () => {
    expect(pick("1:pids:/p\n2:cpu:/c\n3:memory:/m\n4:name=systemd:/s\n0::/\n")).toBe("/s");
    expect(pick("1:pids:/p\n2:cpu:/c\n3:memory:/m\n0::/\n")).toBe("/m");
    expect(pick("1:pids:/p\n2:cpu,cpuacct:/c\n0::/\n")).toBe("/c");
    expect(pick("1:blkio:/b\n2:pids:/p\n0::/\n")).toBe("/p");
  });

  test("v1, unknown controllers only: the first line", () => {
    expect(pick("3:net_cls:/n1\n2:perf_event:/n2\n")).toBe("/n1");
  });

  test("every hierarchy at its root: /; no line at all: null", () => {
    expect(pick(v1("/"))).toBe("/");
    expect(pick("1:pids:/\n")).toBe("/");
    expect(pick("")).toBeNull();
    expect(pick("nonsense")).toBeNull();
  });
});

describe("containers", () => {
  const cases: [string, string, string | null, string | null][] = [
    // [path, runtime, id, pod uid]
    [`/system.slice/docker-${ID}.scope`, "docker", ID, null],
    [`/docker/${ID}`, "docker", ID, null],
    [`/docker/${ID}/docker/${ID2}`, "docker", ID2, null], // Docker in Docker: the inner one
    [`/system.slice/cri-containerd-${ID}.scope`, "containerd", ID, null],
    [`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_ESC}.slice/cri-containerd-${ID}.scope`, "containerd", ID, POD],
    [`/kubepods.slice/kubepods-pod${POD_ESC}.slice/crio-${ID}.scope`, "cri-o", ID, POD],
    [`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_ESC}.slice/docker-${ID}.scope`, "docker", ID, POD],
    [`/kubepods/burstable/pod${POD}/${ID}`, "kubernetes", ID, POD],
    [`/kubepods/pod${POD}/${ID}`, "kubernetes", ID, POD],
    [`/kubepods/besteffort/pod0123456789abcdef0123456789abcdef/${ID}`, "kubernetes", ID, "0123456789abcdef0123456789abcdef"], // static pod
    [`/system.slice/containerd.service/kubepods-besteffort-pod${POD_ESC}.slice:cri-containerd:${ID}`, "containerd", ID, POD],
    [`/system.slice/crio.service/kubepods-pod${POD_ESC}.slice:crio:${ID}`, "cri-o", ID, POD],
    [`/machine.slice/libpod-${ID}.scope`, "podman", ID, null],
    [`/machine.slice/libpod-${ID}.scope/container`, "podman", ID, null], // --cgroups=split
    [`/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope`, "podman", ID, null],
    [`/libpod_parent/libpod-${ID}`, "podman", ID, null], // cgroupfs manager
    [`/docker/${SHORT}`, "docker", SHORT, null], // 12 digits are enough
  ];
  for (const [path, runtime, id, pod] of cases) {
    test(`${runtime}: ${path.replace(ID, "<id>").replace(POD_ESC, "<uid>").replace(POD, "<uid>")}`, () => {
      expect(containerOf(path)).toEqual({ id: id!, short: id!.slice(0, 12), runtime: runtime as never });
      expect(podUidOf(path)).toBe(pod);
    });
  }

  const none: string[] = [
    `/machine.slice/libpod-conmon-${ID}.scope`, // podman's monitor, beside the container
    `/kubepods.slice/kubepods-pod${POD_ESC}.slice/crio-conmon-${ID}.scope`,
    "/system.slice/docker.service", // the daemon itself
    "/system.slice/containerd.service",
    `/docker/${ID.slice(0, 11)}`, // too short
    `/docker/${ID}0`, // too long
    `/docker/${ID.toUpperCase()}`, // runtimes write lower case
    `/sandbox/${ID}`, // a bare id under a parent that says nothing
    `/system.slice/docker-${ID}.service`,
    `/system.slice/docker-${ID}.scope.bak`,
    `/${ID}`,
    "/process_api/93794c3313545b7139464e70feca4c83",
    "/",
  ];
  for (const path of none)
    test(`no container: ${path.replace(ID, "<id>")}`, () => {
      expect(containerOf(path)).toBeNull();
    });

  test("the conmon scope still tells the pod", () => {
    expect(podUidOf(`/kubepods.slice/kubepods-pod${POD_ESC}.slice/crio-conmon-${ID}.scope`)).toBe(POD);
  });

  test("a pod uid is only taken under kubepods, and in a uid's shape", () => {
    expect(podUidOf(`/system.slice/pod${POD}`)).toBeNull();
    expect(podUidOf("/kubepods/burstable/pod1234")).toBeNull();
    expect(podUidOf("/kubepods.slice/kubepods-burstable.slice")).toBeNull();
    expect(podUidOf(`/kubepods/burstable/pod${POD.toUpperCase()}`)).toBeNull();
  });
});

describe("unitOf", () => {
  const cases: [string, string | null][] = [
    ["/system.slice/nginx.service", "nginx.service"],
    ["/user.slice/user-1000.slice/session-3.scope", "session-3.scope"],
    ["/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service", "foo.service"],
    ["/user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox-1234.scope", "app-firefox-1234.scope"],
    ["/user.slice/user-1000.slice/user@1000.service/init.scope", "init.scope"],
    ["/user.slice/user-1000.slice/user@1000.service", "user@1000.service"], // v1: the manager itself
    ["/system.slice/foo.service/worker/1", "foo.service"], // a delegated subtree below the unit
    ["/init.scope", "init.scope"],
    [`/system.slice/docker-${ID}.scope`, `docker-${ID}.scope`],
    ["/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service"],
    ["/system.slice/dev-hugepages.mount", null], // mounts, sockets, slices hold no process
    ["/system.slice", null],
    ["/user.slice/user-1000.slice", null],
    ["/", null],
    ["", null],
    ["/system.slice/.service", null],
    ["/service", null],
    [`/docker/${ID}`, null],
  ];
  for (const [path, unit] of cases)
    test(`${path || "(empty)"} -> ${unit}`, () => {
      expect(unitOf(path)).toBe(unit);
    });
});

describe("cgroupInfo", () => {
  test("a Docker container on a v1 host (cgroupfs driver)", () => {
    expect(cgroupInfo(v1(`/docker/${ID}`))).toEqual({
      path: `/docker/${ID}`,
      container: { id: ID, short: SHORT, runtime: "docker" },
      podUid: null,
      unit: null,
    });
  });

  test("a Kubernetes container on a v2 host (systemd driver)", () => {
    const path = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_ESC}.slice/cri-containerd-${ID}.scope`;
    expect(cgroupInfo(`0::${path}\n`)).toEqual({
      path,
      container: { id: ID, short: SHORT, runtime: "containerd" },
      podUid: POD,
      unit: `cri-containerd-${ID}.scope`,
    });
  });

  test("a user's session on a hybrid host", () => {
    const text = v1("/user.slice/user-1000.slice/session-3.scope", "/user.slice/user-1000.slice/session-3.scope");
    expect(cgroupInfo(text)).toEqual({ path: "/user.slice/user-1000.slice/session-3.scope", container: null, podUid: null, unit: "session-3.scope" });
  });

  test("nothing", () => {
    expect(cgroupInfo("")).toEqual({ path: null, container: null, podUid: null, unit: null });
  });
});

describe("pathHasComponent", () => {
  const p = "/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service";
  test("whole components only", () => {
    expect(pathHasComponent(p, "user@1000.service")).toBe(true);
    expect(pathHasComponent(p, "foo.service")).toBe(true);
    expect(pathHasComponent(p, "user.slice")).toBe(true);
    expect(pathHasComponent(p, "user-1000.slice")).toBe(true);
    expect(pathHasComponent(p, "1000.slice")).toBe(false);
    expect(pathHasComponent(p, "oo.service")).toBe(false);
    expect(pathHasComponent(p, "app")).toBe(false);
    expect(pathHasComponent(p, "")).toBe(false);
    expect(pathHasComponent("/a/ab/b", "b")).toBe(true); // a partial hit before a whole one
  });
});
