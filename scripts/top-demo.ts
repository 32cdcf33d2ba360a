/**
 * THROWAWAY SCAFFOLDING: drives the `pstat top` view with synthetic events until the
 * event pipeline feeds it, so the terminal handling can be tried and tested (tmux) now.
 * Delete it once `pstat top` runs on real events.
 *
 *   node_modules/.bin/bun scripts/top-demo.ts [-d SECONDS] [-b] [-n COUNT] [--json]
 *       [--usage] [--no-container] [--scale FACTOR] [--idle] [--crash-after SECONDS]
 *
 * --idle feeds nothing (for measuring the cost of the view itself); --crash-after throws
 * from a timer, to see the terminal restored after an uncaught exception.
 *
 * Idle cost of the view, 1 s refresh (CPU ticks of utime+stime over 30 s):
 *   tmux new-session -d -s cpu -x 120 -y 40 'node_modules/.bin/bun scripts/top-demo.ts --idle'
 *   pid=$(cat /proc/$(tmux display -p -t cpu '#{pane_pid}')/task/*\/children)
 *   a=$(awk '{print $14+$15}' /proc/$pid/stat); sleep 30; b=$(awk '{print $14+$15}' /proc/$pid/stat)
 *   echo "$(( (b - a) * 100 / $(getconf CLK_TCK) )) cs of CPU in 30 s"
 */
import { TopApp } from "../src/top/app";
import { TopBatch } from "../src/top/batch";
import { TopModel, type TopEvent } from "../src/top/model";
import { Terminal } from "../src/top/terminal";

interface Spawner {
  parent: string;
  program: string;
  cmdline: (n: number) => string;
  user: string;
  container: string | null;
  /** Processes per second. */
  rate: number;
  /** How long each child lives, ms. */
  life: number;
  failEvery: number;
  cpu: number;
  rss: number;
  /** Fractional process owed. */
  owed: number;
  n: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const has = (name: string) => process.argv.includes(name);

const interval = Number(arg("-d") ?? "1") * 1000;
const batch = has("-b");
const count = Number(arg("-n") ?? "Infinity");
const json = has("--json");
const usage = has("--usage");
const containers = !has("--no-container");
const scale = Number(arg("--scale") ?? "1");
const idle = has("--idle");
const crashAfter = arg("--crash-after");

type SpawnerSpec = Omit<Spawner, "owed" | "n">;
const specs: SpawnerSpec[] = [
  {
    parent: "bash -c while :; do /bin/true; done",
    program: "true",
    cmdline: () => "/bin/true",
    user: "root",
    container: containers ? "docker-3f2a9c1b7d4e" : null,
    rate: 50,
    life: 2,
    failEvery: 0,
    cpu: 0.0004,
    rss: 1_200_000,
  },
  {
    parent: "make -j4 all",
    program: "cc1",
    cmdline: (n) => `/usr/lib/gcc/x86_64-linux-gnu/14/cc1 -quiet src/file${n % 97}.c -O2 -o /tmp/cc${n}.s`,
    user: "alice",
    container: containers ? "session-3.scope" : null,
    rate: 12,
    life: 400,
    failEvery: 9,
    cpu: 0.35,
    rss: 85_000_000,
  },
  {
    parent: "/usr/sbin/cron -f",
    program: "sh",
    cmdline: (n) => `/bin/sh -c run-parts --report /etc/cron.hourly # ${n}`,
    user: "root",
    container: containers ? "cron.service" : null,
    rate: 0.5,
    life: 3000,
    failEvery: 3,
    cpu: 0.01,
    rss: 3_000_000,
  },
  {
    parent: "sshd: alice@pts/0",
    program: "bash",
    cmdline: () => "-bash",
    user: "alice",
    container: containers ? "session-3.scope" : null,
    rate: 0.05,
    life: 600_000,
    failEvery: 0,
    cpu: 0.2,
    rss: 6_000_000,
  },
  {
    parent: "python3 构建工具.py --watch",
    program: "git",
    cmdline: (n) => `git status --porcelain 文件${n}`,
    user: "bob",
    container: containers ? "user@1001.service" : null,
    rate: 3,
    life: 30,
    failEvery: 0,
    cpu: 0.004,
    rss: 9_000_000,
  },
];
const spawners: Spawner[] = specs.map((s) => ({ ...s, rate: s.rate * scale, owed: 0, n: 0 }));

const start = performance.now();
const model = new TopModel(start, { usage });
const ev: TopEvent = {
  kind: "fork",
  ts: 0,
  pid: 0,
  ppid: 0,
  parentKey: "",
  program: "",
  user: "",
  container: null,
  cmdline: null,
  failed: false,
  usage: null,
};
const usageRec = { cpu: 0, maxRss: 0 };
let nextPid = 1000;
/** Children alive: pid -> when it exits, and its spawner; ordered roughly by exit time. */
const alive: { pid: number; at: number; s: Spawner; n: number }[] = [];
let lastFeed = start;

function emit(kind: TopEvent["kind"], s: Spawner, pid: number, ts: number, n: number): void {
  ev.kind = kind;
  ev.ts = ts;
  ev.pid = pid;
  ev.ppid = 1;
  ev.parentKey = s.parent;
  ev.program = kind === "fork" ? s.parent.split(" ")[0]!.replace(/^.*\//, "").replace(/:$/, "") : s.program;
  ev.user = s.user;
  ev.container = s.container;
  ev.cmdline = kind === "exec" ? s.cmdline(n) : null;
  ev.failed = kind === "exit" && s.failEvery > 0 && n % s.failEvery === 0;
  if (kind === "exit" && usage) {
    usageRec.cpu = s.cpu;
    usageRec.maxRss = s.rss;
    ev.usage = usageRec;
  } else ev.usage = null;
  model.add(ev);
}

function feed(): void {
  const now = performance.now();
  const dt = (now - lastFeed) / 1000;
  lastFeed = now;
  for (const s of spawners) {
    s.owed += s.rate * dt;
    while (s.owed >= 1) {
      s.owed -= 1;
      const pid = nextPid++;
      const n = s.n++;
      emit("fork", s, pid, now, n);
      emit("exec", s, pid, now, n);
      alive.push({ pid, at: now + s.life, s, n });
      model.other(1);
    }
  }
  for (let i = 0; i < alive.length; ) {
    const a = alive[i]!;
    if (a.at <= now) {
      emit("exit", a.s, a.pid, now, a.n);
      alive[i] = alive[alive.length - 1]!;
      alive.pop();
    } else i++;
  }
}

const feeder = idle ? null : setInterval(feed, 20);
let ticker: ReturnType<typeof setInterval>;

if (crashAfter !== undefined)
  setTimeout(() => {
    throw new Error("demo crash on purpose");
  }, Number(crashAfter) * 1000);

const color = process.stdout.isTTY === true && !(process.env.NO_COLOR ?? "");

if (batch || !Terminal.usable()) {
  const printer = new TopBatch(model, {
    json,
    count,
    grouping: "parent",
    sort: "rate",
    filter: "",
    color: false,
    write: (s) => process.stdout.write(s),
    time: () => new Date().toISOString(),
  });
  ticker = setInterval(() => {
    if (printer.tick(performance.now())) {
      clearInterval(ticker);
      if (feeder !== null) clearInterval(feeder);
    }
  }, interval);
} else {
  const app = new TopApp({ model, color });
  app.start();
  ticker = setInterval(() => app.tick(performance.now()), interval);
  const status = await app.done;
  clearInterval(ticker);
  if (feeder !== null) clearInterval(feeder);
  process.exit(status);
}
