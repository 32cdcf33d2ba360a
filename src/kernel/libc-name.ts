// Which C library bun:ffi opens. A glibc build uses libc.so.6; a musl build must name
// musl's own file, since Alpine images have no libc.so.6.
declare const PSTAT_LIBC: string | undefined;

/** musl names its library after the kernel's machine name, not Node's process.arch. */
const muslMachine: Partial<Record<string, string>> = { x64: "x86_64", arm64: "aarch64" };

// scripts/build.ts bakes in the target's libc; a compiled binary cannot reliably tell
// afterwards (its arch is known, but a musl and a glibc bun report the same platform).
// From source, ask the running bun: only glibc fills in glibcVersionRuntime.
function libc(): string {
  if (typeof PSTAT_LIBC === "string") return PSTAT_LIBC;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ? "glibc" : "musl";
}

export function libcName(): string {
  if (libc() !== "musl") return "libc.so.6";
  return `libc.musl-${muslMachine[process.arch] ?? process.arch}.so.1`;
}
