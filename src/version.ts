// Filled in by scripts/build.ts through `bun build --define`; running from source says "dev".
declare const PSTAT_VERSION: string | undefined;
declare const PSTAT_TARGET: string | undefined;
declare const PSTAT_COMMIT: string | undefined;

export const version = typeof PSTAT_VERSION === "string" ? PSTAT_VERSION : "dev";
export const target = typeof PSTAT_TARGET === "string" ? PSTAT_TARGET : "source";
export const commit = typeof PSTAT_COMMIT === "string" ? PSTAT_COMMIT : "unknown";

export function versionLine(): string {
  return `pstat ${version} (${target}, commit ${commit})`;
}
