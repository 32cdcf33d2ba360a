// Cgroups the end-to-end tests make on this machine, and their removal afterwards.
import { existsSync, mkdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";

export const V2 = "/sys/fs/cgroup/unified";
/** A v1 controller. */
export const PIDS = "/sys/fs/cgroup/pids";
/** The v1 name=systemd hierarchy. */
export const SYSTEMD = "/sys/fs/cgroup/systemd";

/** `n` random lowercase hex digits (container ids, pod uids). */
export const hex = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n / 2)), (b) => b.toString(16).padStart(2, "0")).join("");

/** The cgroup directories a test file made, outermost first, to be removed when it ends. */
export class Cgroups {
  private readonly made: (string | Buffer)[] = [];

  /** Makes `path` below the hierarchy `root`, each missing level in turn; its directory. */
  make(root: string, path: string): string {
    let dir = root;
    for (const part of path.split("/").filter(Boolean)) {
      dir = join(dir, part);
      if (!existsSync(dir)) {
        mkdirSync(dir);
        this.made.push(dir);
      }
    }
    return dir;
  }

  /** A directory made another way (a Buffer path with bytes a string cannot hold). */
  adopt(dir: string | Buffer): void {
    this.made.push(dir);
  }

  /** Removes them, innermost first, once their processes are gone. */
  async remove(): Promise<void> {
    // A cgroup can be removed once its last process has been reaped; give the kernel a moment.
    for (const dir of this.made.reverse()) {
      for (let i = 0; existsSync(dir); i++) {
        try {
          rmdirSync(dir);
        } catch (e) {
          if (i > 100) throw e;
          await Bun.sleep(20);
        }
      }
    }
  }
}
