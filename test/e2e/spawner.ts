// A known spawner for the `pstat top` tests: a shell loop that starts /bin/true at a steady
// rate, under a name of its own (a copy of bash), and says how many it has started.
import type { Subprocess } from "bun";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * One fork per start and nothing else: everything but /bin/true is a bash builtin (the
 * wait is a read with a timeout on a FIFO nobody writes to). The starts are paced by
 * absolute deadlines, so a late one is made up for and the rate holds on a busy machine.
 * After each start the loop writes "COUNT MICROSECONDS" to the count file.
 */
const LOOP = `exec 3<>"$1"
step=$2
n=0
t=\${EPOCHREALTIME/./}
while :; do
  /bin/true
  n=$((n + 1))
  echo "$n \${EPOCHREALTIME/./}" >"$3"
  t=$((t + step))
  d=$((t - \${EPOCHREALTIME/./}))
  if ((d > 0)); then
    printf -v frac %06d $((d % 1000000))
    read -t $((d / 1000000)).$frac -u 3
  fi
done
`;

/** A private directory the spawners' files go in, readable by every user (a spawner may run as another). */
export class SpawnerDir {
  readonly path = mkdtempSync(join(tmpdir(), "pstop-"));
  private readonly running: Spawner[] = [];

  constructor() {
    chmodSync(this.path, 0o755);
    copyFileSync("/bin/bash", join(this.path, "bash"));
    writeFileSync(join(this.path, "loop.sh"), LOOP, { mode: 0o644 });
  }

  /** Starts `name` (a copy of bash) at `rate` starts per second; `prefix` runs it through another command (setpriv). */
  start(name: string, rate: number, prefix: string[] = []): Spawner {
    const exe = join(this.path, name);
    copyFileSync(join(this.path, "bash"), exe);
    chmodSync(exe, 0o755);
    const fifo = join(this.path, `${name}.fifo`);
    const count = join(this.path, `${name}.count`);
    if (Bun.spawnSync(["mkfifo", "-m", "666", fifo]).exitCode !== 0) throw new Error("mkfifo failed");
    writeFileSync(count, "", { mode: 0o666 });
    chmodSync(count, 0o666);
    const argv = [exe, join(this.path, "loop.sh"), fifo, String(Math.round(1e6 / rate)), count];
    const proc = Bun.spawn([...prefix, ...argv], { stdio: ["ignore", "ignore", "inherit"], env: { PATH: "/usr/bin:/bin", LANG: "C" } });
    const s = new Spawner(proc, argv.join(" "), name, count);
    this.running.push(s);
    return s;
  }

  /** Stops every spawner and removes the directory. */
  close(): void {
    for (const s of this.running) s.stop();
    rmSync(this.path, { recursive: true, force: true });
  }
}

export class Spawner {
  constructor(
    readonly proc: Subprocess,
    /** Its command line, as pstat shows it: the key of its row when grouped by parent. */
    readonly key: string,
    /** The name it runs under (the copy of bash). */
    readonly name: string,
    private readonly countFile: string,
  ) {}

  /** Starts so far, and when the last one was (µs of CLOCK_REALTIME); null before the first or mid-write. */
  read(): { n: number; us: number } | null {
    const m = /^(\d+) (\d+)\n$/.exec(readFileSync(this.countFile, "utf8"));
    return m ? { n: Number(m[1]), us: Number(m[2]) } : null;
  }

  /** Waits for a count that can be read. */
  async sample(): Promise<{ n: number; us: number }> {
    for (let i = 0; i < 200; i++) {
      const c = this.read();
      if (c !== null) return c;
      await Bun.sleep(5);
    }
    throw new Error(`${this.name}: no count`);
  }

  stop(): void {
    try {
      this.proc.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}
