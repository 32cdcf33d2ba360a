import { libc } from "../kernel/libc";
import { data, readProcFile } from "../proc/procfs";
import { userName } from "../proc/users";
import { escapeBytes } from "../text/escape";
import { cgroupInfo, type Runtime } from "./cgroup";
import { NEED_CGROUP, NEED_CWD, NEED_LOGIN } from "./needs";

/**
 * Reads where and who a process is, from /proc/PID/cgroup, /proc/PID/cwd and
 * /proc/PID/loginuid, through the same raw-syscall path as the other /proc reads. Nothing
 * here throws: what cannot be read (the process is gone, another user's cwd without
 * privilege, no audit support) is null.
 */

export { NEED_ALL, NEED_CGROUP, NEED_CWD, NEED_LOGIN } from "./needs";

export interface ProcessContext {
  /** The cgroup path shown for the process (escaped), see choosePath in cgroup.ts. */
  cgroup: string | null;
  containerId: string | null;
  /** First 12 hex digits of containerId, for text. */
  containerShort: string | null;
  runtime: Runtime | null;
  podUid: string | null;
  /** systemd service or scope (escaped). */
  unit: string | null;
  /** Working directory (escaped); ` (deleted)` ends it when the directory was removed. */
  cwd: string | null;
  /** Audit login uid; null when unset (4294967295) or unreadable. */
  loginUid: number | null;
  /** User name of loginUid (escaped), or the number when the uid has no passwd entry. */
  loginUser: string | null;
}

export function emptyContext(): ProcessContext {
  return { cgroup: null, containerId: null, containerShort: null, runtime: null, podUid: null, unit: null, cwd: null, loginUid: null, loginUser: null };
}

/**
 * Reads the parts named by `needs` into `into` (a fresh object by default) and leaves its
 * other fields as they are, so a cached context can be completed or refreshed in part.
 */
export function readContext(pid: number, needs: number, into: ProcessContext = emptyContext()): ProcessContext {
  if (needs & NEED_CGROUP) readCgroup(pid, into);
  if (needs & NEED_CWD) into.cwd = readCwd(pid);
  if (needs & NEED_LOGIN) {
    const uid = readLoginUid(pid);
    into.loginUid = uid;
    into.loginUser = uid === null ? null : userName(uid);
  }
  return into;
}

type CgroupFields = Pick<ProcessContext, "cgroup" | "containerId" | "containerShort" | "runtime" | "podUid" | "unit">;

const NO_CGROUP: CgroupFields = { cgroup: null, containerId: null, containerShort: null, runtime: null, podUid: null, unit: null };

/**
 * What each cgroup file's text says, parsed once: nearly every process shares its file with
 * many others (a service's, a container's, a session's), and parsing costs more than the
 * lookup. Emptied when full, so a host with ever new cgroups keeps it bounded.
 */
const parsed = new Map<string, CgroupFields>();
const PARSED_MAX = 1024;

/** Fills the cgroup fields of `into` from /proc/PID/cgroup (all null when it cannot be read). */
export function readCgroup(pid: number, into: ProcessContext): void {
  let len = validPid(pid) ? readProcFile(pid, "cgroup") : -1;
  if (len === data.length) {
    // Cut: the last line may be incomplete, so it is dropped rather than misread.
    while (len > 0 && data[len - 1] !== 0x0a) len--;
  }
  let f = NO_CGROUP;
  if (len > 0) {
    const text = rawText(data, len);
    const hit = parsed.get(text);
    if (hit !== undefined) f = hit;
    else {
      f = cgroupFields(text);
      if (parsed.size >= PARSED_MAX) parsed.clear();
      parsed.set(text, f);
    }
  }
  into.cgroup = f.cgroup;
  into.containerId = f.containerId;
  into.containerShort = f.containerShort;
  into.runtime = f.runtime;
  into.podUid = f.podUid;
  into.unit = f.unit;
}

function cgroupFields(text: string): CgroupFields {
  const info = cgroupInfo(text);
  return {
    cgroup: info.path === null ? null : escapeRaw(info.path),
    containerId: info.container?.id ?? null,
    containerShort: info.container?.short ?? null,
    runtime: info.container?.runtime ?? null,
    podUid: info.podUid,
    unit: info.unit === null ? null : escapeRaw(info.unit),
  };
}

// "/proc/" + up to 10 pid digits + "/cwd" + NUL.
const CWD_PATH = new Uint8Array(32);
CWD_PATH.set(new TextEncoder().encode("/proc/"));
const CWD_SUFFIX = new TextEncoder().encode("/cwd\0");
// PATH_MAX, plus one byte to tell a path that fills it from one that was cut.
const LINK = new Uint8Array(4097);

/** The working directory of a process (escaped), or null. */
export function readCwd(pid: number): string | null {
  if (!validPid(pid)) return null;
  let len = 6;
  let digits = 1;
  for (let p = pid; p >= 10; p = Math.floor(p / 10)) digits++;
  for (let k = digits - 1, p = pid; k >= 0; k--, p = Math.floor(p / 10)) CWD_PATH[len + k] = 48 + (p % 10);
  len += digits;
  CWD_PATH.set(CWD_SUFFIX, len);
  // EACCES for another user's process without privilege, ENOENT once it is gone.
  const n = libc.readlink(CWD_PATH, LINK, LINK.length);
  if (n <= 0 || n >= LINK.length) return null;
  return escapeBytes(LINK, 0, n);
}

const UNSET_LOGINUID = 4294967295;

/** The audit login uid of a process, or null when unset, unreadable or absent (no audit). */
export function readLoginUid(pid: number): number | null {
  const len = validPid(pid) ? readProcFile(pid, "loginuid", 16) : -1;
  if (len <= 0 || len >= 16) return null;
  let v = 0;
  for (let i = 0; i < len; i++) {
    const d = data[i]! - 48;
    if (d < 0 || d > 9) {
      if (i === 0 || data[i] !== 0x0a) return null;
      break;
    }
    v = v * 10 + d;
  }
  return v === UNSET_LOGINUID || v > UNSET_LOGINUID ? null : v;
}

/** A PID the kernel could have given; anything else would make a wrong /proc path. */
function validPid(pid: number): boolean {
  return Number.isInteger(pid) && pid > 0 && pid <= 0x7fffffff;
}

const ascii = new TextDecoder("latin1");

/** One char per byte, so the parser sees every byte and escapeRaw can give them back. */
function rawText(bytes: Uint8Array, len: number): string {
  let i = 0;
  while (i < len && bytes[i]! < 0x80) i++;
  // Below 0x80 the "latin1" decoder (really windows-1252) is plain ASCII.
  if (i === len) return ascii.decode(bytes.subarray(0, len));
  let s = "";
  for (let j = 0; j < len; j++) s += String.fromCharCode(bytes[j]!);
  return s;
}

/** Escapes a string made by rawText, byte by byte, as escapeBytes does. */
function escapeRaw(s: string): string {
  let plain = true;
  for (let i = 0; i < s.length && plain; i++) {
    const c = s.charCodeAt(i);
    plain = c >= 0x20 && c <= 0x7e && c !== 0x5c;
  }
  if (plain) return s;
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return escapeBytes(b, 0, b.length);
}
