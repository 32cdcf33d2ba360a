// Makes sure the reference monitors are installed (apt), so a fresh machine can run the bench.

function has(cmd: string): boolean {
  return Bun.which(cmd) !== null;
}

function apt(args: string[]): boolean {
  const r = Bun.spawnSync(["apt-get", ...args], {
    stdout: "inherit",
    stderr: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  return r.exitCode === 0;
}

/** Returns the tools still missing afterwards; the bench skips those monitors. */
export function ensureInstalled(tools: readonly string[]): string[] {
  const missing = tools.filter((t) => !has(t));
  if (missing.length === 0) return [];
  if (!has("apt-get")) return missing;
  console.error(`bench: installing ${missing.join(", ")} with apt-get`);
  // The package lists may be stale or absent on a fresh machine: update only when needed.
  if (!apt(["install", "-y", ...missing])) {
    apt(["update"]);
    apt(["install", "-y", ...missing]);
  }
  return missing.filter((t) => !has(t));
}
