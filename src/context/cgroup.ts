/**
 * What a process's cgroup says about where it runs: the path, the container id, the
 * Kubernetes pod and the systemd unit. Pure functions on the text of /proc/PID/cgroup;
 * the strings returned are raw (the caller escapes them for display).
 *
 * The file has one line per mounted hierarchy, `ID:CONTROLLERS:PATH`: `0::/path` for
 * cgroup v2, `4:memory:/path`, `1:cpu,cpuacct:/path` or `9:name=systemd:/path` for v1. A
 * path may itself hold ':' (only the first two separate fields). It cannot hold a newline:
 * the kernel refuses '\n' in cgroup names (mkdir fails with EINVAL, v1 and v2, checked on
 * 6.18), so a line is a line; one that does not parse is skipped.
 */

export interface CgroupLine {
  /** Hierarchy id: 0 for the v2 hierarchy. */
  hierarchy: number;
  /** Controllers bound to the hierarchy (`name=systemd` for named v1 ones); empty for v2. */
  controllers: string[];
  path: string;
}

export type Runtime = "docker" | "containerd" | "cri-o" | "podman" | "kubernetes";

export interface Container {
  /** Lower-case hex, 12 to 64 digits, as the path gives it. */
  id: string;
  /** The first 12 digits, as `docker ps` shows them. */
  short: string;
  runtime: Runtime;
}

export interface CgroupInfo {
  /** The path shown for the process (see choosePath), or null when the file gave none. */
  path: string | null;
  container: Container | null;
  /** Kubernetes pod uid in its usual dashed form, or null. */
  podUid: string | null;
  /** Innermost systemd service or scope (see unitOf), or null. */
  unit: string | null;
}

export function parseCgroupFile(text: string): CgroupLine[] {
  const lines: CgroupLine[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const line = parseLine(text, start, end);
    if (line !== null) lines.push(line);
    start = end + 1;
  }
  return lines;
}

function parseLine(text: string, start: number, end: number): CgroupLine | null {
  const c1 = text.indexOf(":", start);
  if (c1 <= start || c1 >= end) return null;
  const c2 = text.indexOf(":", c1 + 1);
  if (c2 < 0 || c2 >= end || text.charCodeAt(c2 + 1) !== 0x2f) return null; // path starts with '/'
  let hierarchy = 0;
  for (let i = start; i < c1; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    hierarchy = hierarchy * 10 + d;
  }
  const list = text.slice(c1 + 1, c2);
  return { hierarchy, controllers: list === "" ? [] : list.split(","), path: text.slice(c2 + 1, end) };
}

/**
 * v1 controllers in the order their paths are preferred when several say something. systemd
 * places every unit's processes in its named hierarchy (`name=systemd`) whatever accounting is
 * on, so it names units best; container runtimes put a container into every controller, and
 * memory, cpu and pids are the ones set up on nearly every host.
 */
const V1_PREFERENCE = ["name=systemd", "memory", "cpu", "pids", "cpuacct", "blkio", "io", "devices", "freezer", "cpuset"];

function v1Rank(controllers: string[]): number {
  let best = V1_PREFERENCE.length;
  for (const c of controllers) {
    const r = V1_PREFERENCE.indexOf(c);
    if (r >= 0 && r < best) best = r;
  }
  return best;
}

/**
 * The one path to show for a process:
 * 1. the v2 path, when it is not just `/` or when there is no v1 hierarchy: on a v2 host it
 *    is the only one, and on a hybrid host a v2 path other than the root was set on purpose
 *    (systemd's hybrid mode mirrors its tree there);
 * 2. otherwise the most informative v1 path other than `/`: one that names a container beats
 *    one that names a pod or unit, which beats one that names nothing known; among equals,
 *    the controller earlier in V1_PREFERENCE, then the line earlier in the file;
 * 3. otherwise `/` (every hierarchy at its root), or null when the file had no line.
 */
export function choosePath(lines: readonly CgroupLine[]): string | null {
  let v2: string | null = null;
  let hasV1 = false;
  for (const l of lines) {
    if (l.hierarchy === 0 && l.controllers.length === 0) v2 ??= l.path;
    else hasV1 = true;
  }
  if (v2 !== null && (v2 !== "/" || !hasV1)) return v2;
  let best: string | null = null;
  let bestScore = -1;
  let bestRank = 0;
  for (const l of lines) {
    if (l.controllers.length === 0 || l.path === "/") continue;
    const score = containerOf(l.path) !== null ? 2 : podUidOf(l.path) !== null || unitOf(l.path) !== null ? 1 : 0;
    const rank = v1Rank(l.controllers);
    if (score > bestScore || (score === bestScore && rank < bestRank)) {
      best = l.path;
      bestScore = score;
      bestRank = rank;
    }
  }
  return best ?? (lines.length > 0 ? "/" : null);
}

/** Everything the cgroup file tells, read from the chosen path. */
export function cgroupInfo(text: string): CgroupInfo {
  const path = choosePath(parseCgroupFile(text));
  if (path === null) return { path: null, container: null, podUid: null, unit: null };
  return { path, container: containerOf(path), podUid: podUidOf(path), unit: unitOf(path) };
}

const HEX_ID = "([0-9a-f]{12,64})";

/**
 * Container forms, tried on each path component from the innermost out (the process is in
 * the innermost container: Docker in Docker gives `/docker/<outer>/docker/<inner>`).
 * The `conmon` scopes CRI-O and Podman create beside a container hold its monitor process,
 * not the container, and the runtimes' own services (docker.service) are no container.
 */
const SCOPE_FORMS: [RegExp, Runtime][] = [
  [new RegExp(`^docker-${HEX_ID}\\.scope$`), "docker"],
  [new RegExp(`^cri-containerd-${HEX_ID}\\.scope$`), "containerd"],
  [new RegExp(`^crio-${HEX_ID}\\.scope$`), "cri-o"],
  [new RegExp(`^libpod-${HEX_ID}(?:\\.scope)?$`), "podman"],
  // containerd and CRI-O with the systemd driver on cgroup v1 and the cgroupfs layout:
  // `kubepods-besteffort-pod<uid>.slice:cri-containerd:<id>`.
  [new RegExp(`:cri-containerd:${HEX_ID}$`), "containerd"],
  [new RegExp(`:crio:${HEX_ID}$`), "cri-o"],
  [new RegExp(`:docker:${HEX_ID}$`), "docker"],
];
const BARE_ID = new RegExp(`^${HEX_ID}$`);

/** The container a cgroup path names, or null. */
export function containerOf(path: string): Container | null {
  const parts = path.split("/");
  for (let i = parts.length - 1; i > 0; i--) {
    const part = parts[i]!;
    for (const [re, runtime] of SCOPE_FORMS) {
      const m = re.exec(part);
      if (m !== null) return container(m[1]!, runtime);
    }
    // A bare id is only a container below a component that says whose it is: `/docker/<id>`
    // and `/kubepods/burstable/pod<uid>/<id>` (cgroupfs driver).
    if (BARE_ID.test(part)) {
      const parent = parts[i - 1]!;
      if (parent === "docker") return container(part, "docker");
      if (POD.test(parent)) return container(part, "kubernetes");
    }
  }
  return null;
}

function container(id: string, runtime: Runtime): Container {
  return { id, short: id.slice(0, 12), runtime };
}

// A pod uid is a UUID (8-4-4-4-12) or, for static pods, a 32-digit hash. With the systemd
// driver the dashes are escaped to '_' (`kubepods-burstable-pod1b2c_..._.slice`).
const UID = "([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}|[0-9a-f]{32})";
// The `:runtime:<id>` tail is the v1 systemd-driver form (see SCOPE_FORMS).
const POD = new RegExp(`^(?:kubepods-(?:[a-z]+-)?)?pod${UID}(?:\\.slice)?(?::[a-z-]+:[0-9a-f]+)?$`);

/** The Kubernetes pod uid in a path under `kubepods`, with dashes restored, or null. */
export function podUidOf(path: string): string | null {
  const k = path.indexOf("kubepods");
  if (k < 0) return null;
  const parts = path.slice(k).split("/");
  for (let i = parts.length - 1; i >= 0; i--) {
    const m = POD.exec(parts[i]!);
    if (m !== null) return m[1]!.replaceAll("_", "-");
  }
  return null;
}

/**
 * The systemd unit: the innermost path component named like a unit that holds processes
 * (`.service` or `.scope`; slices only group them). Innermost, because a unit's own subtree
 * may hold further units: `user@1000.service/app.slice/foo.service` is foo.service, run by
 * the user's manager. Components below the unit that are not unit names (a delegated
 * subtree, `/system.slice/foo.service/worker`) leave the unit as it is. A path with slices
 * only (a v1 hierarchy can hold processes there) has no unit.
 */
export function unitOf(path: string): string | null {
  let end = path.length;
  while (end > 0) {
    const start = path.lastIndexOf("/", end - 1) + 1;
    const part = path.slice(start, end);
    if (isUnitName(part)) return part;
    end = start - 1;
  }
  return null;
}

function isUnitName(part: string): boolean {
  const dot = part.lastIndexOf(".");
  if (dot <= 0) return false;
  const type = part.slice(dot + 1);
  return type === "service" || type === "scope";
}

/** Whether `name` is a component of a cgroup path (for `--unit user@1000.service` on a unit below it). */
export function pathHasComponent(path: string, name: string): boolean {
  if (name === "") return false;
  for (let i = path.indexOf(name); i >= 0; i = path.indexOf(name, i + 1)) {
    const after = i + name.length;
    if ((i === 0 || path.charCodeAt(i - 1) === 0x2f) && (after === path.length || path.charCodeAt(after) === 0x2f)) return true;
  }
  return false;
}
