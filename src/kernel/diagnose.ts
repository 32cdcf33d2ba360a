import { readFileSync, readlinkSync } from "node:fs";

// Inode numbers of the initial namespaces (PROC_PID_INIT_INO, PROC_USER_INIT_INO): fixed by the kernel.
const INIT_PID_NS = "pid:[4026531836]";
const INIT_USER_NS = "user:[4026531837]";
const CAP_NET_ADMIN = 12;

/**
 * Why a subscription got no acknowledgement. The kernel answers nothing at all, rather
 * than an error, to a subscriber outside its initial PID and user namespaces, so the cause
 * has to be worked out from /proc. (A kernel that lets only root subscribe says so with
 * EPERM, which the connector reports itself.)
 */
export function whyNoEvents(): string {
  const pidNs = safeLink("/proc/self/ns/pid");
  if (pidNs !== null && pidNs !== INIT_PID_NS) {
    return "no process events arrive: pstat is in a PID namespace other than the host's (a container?), and the kernel sends process events only to the initial PID namespace";
  }
  const userNs = safeLink("/proc/self/ns/user");
  if (userNs !== null && userNs !== INIT_USER_NS) {
    return "no process events arrive: pstat is in a user namespace other than the host's, and the kernel sends process events only to the initial user namespace";
  }
  if (lacksNetAdmin()) return "no process events arrive: the kernel did not acknowledge the subscription (a kernel before 6.6 may need root or CAP_NET_ADMIN)";
  return "no process events arrive: the kernel did not acknowledge the subscription (built without CONFIG_PROC_EVENTS?)";
}

/** True when /proc/self/status shows CAP_NET_ADMIN missing from the effective set. */
function lacksNetAdmin(): boolean {
  const capEff = /^CapEff:\s*([0-9a-f]+)/m.exec(safeRead("/proc/self/status"))?.[1];
  return capEff !== undefined && (BigInt("0x" + capEff) & (1n << BigInt(CAP_NET_ADMIN))) === 0n;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return "";
  }
}

function safeLink(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}
