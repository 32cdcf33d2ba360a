/**
 * The events pstat reports, one type per kind, discriminated on `kind`.
 * `ts` is the kernel's timestamp in nanoseconds since boot (CLOCK_MONOTONIC);
 * `cpu` and `seq` identify the event in the kernel's per-CPU sequence (for loss counting).
 */
interface EventBase {
  cpu: number;
  seq: number;
  ts: number;
  /** The task the event is about (for fork/clone: the new task). */
  pid: number;
  tgid: number;
}

export interface AckEvent extends EventBase {
  kind: "ack";
  err: number;
}

/** A new process (fork) or a new thread in an existing one (clone). */
export interface ForkEvent extends EventBase {
  kind: "fork" | "clone";
  parentPid: number;
  parentTgid: number;
}

export interface ExecEvent extends EventBase {
  kind: "exec";
}

export interface UidEvent extends EventBase {
  kind: "uid";
  ruid: number;
  euid: number;
}

export interface GidEvent extends EventBase {
  kind: "gid";
  rgid: number;
  egid: number;
}

export interface SidEvent extends EventBase {
  kind: "sid";
}

export interface PtraceEvent extends EventBase {
  kind: "ptrace";
  /** 0 when the tracer detached. */
  tracerPid: number;
  tracerTgid: number;
}

/** A task renamed itself; the new name is `comm.subarray(commStart, commEnd)`, not yet escaped. */
export interface CommEvent extends EventBase {
  kind: "comm";
  comm: Uint8Array;
  commStart: number;
  commEnd: number;
}

export interface CoreEvent extends EventBase {
  kind: "core";
  parentPid: number;
  parentTgid: number;
}

export interface ExitEvent extends EventBase {
  kind: "exit";
  /** The wait status: code << 8, or the signal in the low 7 bits plus 0x80 for a core dump. */
  status: number;
  /** Signal sent to the parent: 17 (SIGCHLD) for a process, -1 for a thread. */
  exitSignal: number;
  parentPid: number;
  parentTgid: number;
}

export type ProcEvent = AckEvent | ForkEvent | ExecEvent | UidEvent | GidEvent | SidEvent | PtraceEvent | CommEvent | CoreEvent | ExitEvent;

export type EventKind = ProcEvent["kind"];
