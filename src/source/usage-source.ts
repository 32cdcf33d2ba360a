import { limitJit } from "../jit";
import { TaskstatsSocket } from "../kernel/taskstats";
import { decodeUsageRecord, newUsageRecord, type UsageRecord } from "../usage/record";

/** Datagram slots in the receive ring (2 KiB each): 256 KiB, small enough to stay in the cache, taken in rounds. */
const SLOTS = 128;
/** Receive rounds per drain at most: 4,096 records, half what the joiner keeps. */
const ROUNDS = 32;

export type UsageOpen = { ok: true; source: UsageSource } | { ok: false; reason: string };

/**
 * The second event source (--usage, --summary): the kernel's per-task accounting records,
 * one per exiting task, from the taskstats socket. Owns the socket and the decoding;
 * callers see decoded records (one reused object) and overflows.
 */
export class UsageSource {
  private readonly rec: UsageRecord = newUsageRecord();
  private overflowsSeen = 0;
  private undecodable = 0;
  private sink: (rec: UsageRecord) => void = () => {};

  private constructor(
    private readonly socket: TaskstatsSocket,
    /** The kernel dropped records (the socket's buffer was full); how many is not known. */
    private readonly onLost: () => void,
    /** Decode each task's name (ac_comm) too. */
    private readonly comm: boolean,
    /** Decode every figure, not only CPU and peak RSS (see decodeUsageRecord). */
    private readonly all: boolean,
  ) {
    limitJit(this.visit, this.markDecoded); // the per-record callback, like the methods (see src/jit.ts)
  }

  /** Subscribes, or says in one sentence why the figures will be missing (no privilege, no CONFIG_TASKSTATS, a container). */
  static open(onLost: () => void, comm = false, all = true): UsageOpen {
    const r = TaskstatsSocket.open({ slots: SLOTS });
    return r.ok ? { ok: true, source: new UsageSource(r.socket, onLost, comm, all) } : { ok: false, reason: r.reason };
  }

  /** For the sleep: records waiting end it like events do. */
  get descriptor(): number {
    return this.socket.descriptor;
  }

  /** Datagrams cut short (longer than a slot) and messages that did not decode: records lost to pstat itself. */
  get malformed(): number {
    return this.undecodable + this.socket.truncated;
  }

  /** Times the kernel said it dropped records. */
  get overflows(): number {
    return this.socket.overflows;
  }

  /**
   * Hands the records waiting on the socket to `sink`, decoded (the object is reused: copy
   * what is kept); `max` datagrams at most, the rest stay queued. Returns how many.
   */
  drain(sink: (rec: UsageRecord) => void, max = Infinity): number {
    const socket = this.socket;
    this.sink = sink;
    let taken = 0;
    for (let round = 0; round < ROUNDS && taken < max; round++) {
      this.receive();
      const more = this.more;
      taken += socket.take(this.visit, max - taken);
      if (!more) break;
    }
    return taken;
  }

  /**
   * As drain, for the records received so far: the socket is asked again only when the
   * last receive filled the ring (it may hold more).
   */
  drainReceived(sink: (rec: UsageRecord) => void, max = Infinity): number {
    if (this.more) return this.drain(sink, max);
    this.sink = sink;
    return this.socket.take(this.visit, max);
  }

  /**
   * Takes what the socket holds into the receive ring, undecoded: `next` decodes one at a
   * time. Returns true when the ring is full (the socket may hold more).
   */
  fill(): boolean {
    this.receive();
    return this.more;
  }

  /**
   * Decodes the next record waiting (received first if the ring is empty), or returns null
   * when none is, or when the next datagram is anything but one plain record (`drain`
   * takes that). The object is reused.
   */
  next(): UsageRecord | null {
    const socket = this.socket;
    if (socket.tail === socket.head) this.receive();
    this.decoded = false;
    this.sink = this.markDecoded;
    return socket.takeAlone(this.visit) && this.decoded ? this.rec : null;
  }

  private decoded = false;
  private readonly markDecoded = (): void => {
    this.decoded = true;
  };
  /** The last receive filled the ring: the socket may hold more. */
  private more = false;

  private receive(): void {
    const socket = this.socket;
    socket.receive();
    this.more = socket.full;
    if (socket.overflows === this.overflowsSeen) return;
    this.overflowsSeen = socket.overflows;
    this.onLost();
  }

  /** Deregisters (the kernel stops building records for pstat) and closes. */
  close(): void {
    this.socket.close();
  }

  private readonly visit = (view: DataView, offset: number, length: number): void => {
    if (decodeUsageRecord(view, offset, length, this.rec, this.comm, this.all)) this.sink(this.rec);
    else this.undecodable++;
  };
}
