import type { Config } from "../config";
import { RuntimeError } from "../errors";
import { ProcessFilter } from "../filter";
import { type ProcessTable, UNKNOWN } from "../proc/table";
import { Subtree } from "./subtree";

/**
 * Which processes a run is about, as the configuration says: the followed subtree (--pid,
 * or the command pstat starts), the excluded one (--exclude-pid), and the filter over
 * them and the other selectors. The event log and pstat top build theirs the same way.
 */
export class Scope {
  readonly subtree: Subtree | null;
  readonly excluded: Subtree | null;
  readonly filter: ProcessFilter;

  constructor(private readonly cfg: Config) {
    this.subtree = cfg.pids !== null || cfg.command !== null ? new Subtree(cfg.pids ?? []) : null;
    this.excluded = cfg.excludePids !== null ? new Subtree(cfg.excludePids) : null;
    this.filter = new ProcessFilter({
      pgrp: cfg.pgrp,
      uid: cfg.uid,
      comm: cfg.comm,
      subtree: this.subtree,
      containers: cfg.containers,
      cgroup: cfg.cgroup,
      units: cfg.units,
      excludeComm: cfg.excludeComm,
      excluded: this.excluded,
      excludeUsers: cfg.excludeUsers,
      excludeCgroup: cfg.excludeCgroup,
    });
  }

  /** The subtrees the tracker keeps up to date from forks and exits. */
  get subtrees(): Subtree[] {
    return [this.subtree, this.excluded].filter((s) => s !== null);
  }

  /**
   * After the table's preload: every PID named must exist (a free PID could later be given
   * to an unrelated process), and their existing descendants join their subtrees.
   */
  adopt(table: ProcessTable): void {
    const { pids, excludePids } = this.cfg;
    if (pids !== null) {
      for (const pid of pids) if (table.get(pid) === UNKNOWN) throw new RuntimeError(`no process with PID ${pid}`);
      this.subtree!.adopt(table.entries());
    }
    if (excludePids !== null) {
      for (const pid of excludePids) if (table.get(pid) === UNKNOWN) throw new RuntimeError(`no process with PID ${pid} for --exclude-pid`);
      this.excluded!.adopt(table.entries());
    }
  }
}
