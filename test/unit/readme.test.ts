// The README and docs/design.md must stay true to the code: every option, every -e name,
// every JSON field pstat writes, every source file. Failures list only what is missing.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { options } from "../../src/cli/options";
import { SELECTORS } from "../../src/events/kinds";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");
const readme = read("README.md");

/** The README's text from a "## " heading that starts with `title` to the next "## " heading. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}`);
  if (start < 0) throw new Error(`the README has no "## ${title}" section`);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

test("the README is under 20 KB", () => {
  expect(Buffer.byteLength(readme)).toBeLessThan(20 * 1024);
});

test("the README documents every option, short and long", () => {
  const missing: string[] = [];
  for (const [name, def] of Object.entries(options)) {
    if (!readme.includes(`\`--${name}`)) missing.push(`--${name}`);
    if ("alias" in def && def.alias && !readme.includes(`\`-${def.alias}\``)) missing.push(`-${def.alias}`);
  }
  expect(missing).toEqual([]);
});

test("the README's set-up commands are the ones package.json runs", () => {
  const pkg = JSON.parse(read("package.json"));
  expect(readme.includes("npm install && npm run build && sudo ./dist/pstat")).toBe(true);
  expect(readme.includes("\nnpm test\n")).toBe(true);
  expect(pkg.scripts.test).toContain("bun test");
  expect(pkg.scripts.build).toContain("scripts/build.ts");
});

test("the README names every -e event and alias", () => {
  const missing: string[] = [];
  for (const [name, spec] of Object.entries(SELECTORS)) {
    for (const n of [name, ...spec.aliases]) if (!readme.includes(`\`${n}\``)) missing.push(n);
  }
  expect(missing).toEqual([]);
});

/** Every `"name":` the JSON formatter writes, read from its source. */
/** The field names of the per-event JSON: src/output/json.ts, and the usage object it embeds. */
function jsonFields(): string[] {
  const record = read("src/usage/record.ts");
  const usageJson = record.slice(record.indexOf("export function usageJson"));
  const source = read("src/output/json.ts") + usageJson.slice(0, usageJson.indexOf("\n}\n"));
  return [...new Set([...source.matchAll(/"([a-z][a-z_]*)":/g)].map((m) => m[1]!))];
}

test("the README's JSON schema names every field pstat writes, and no other", () => {
  const fields = jsonFields();
  // A regex that stopped matching would make the check below pass for nothing.
  expect(fields.length).toBeGreaterThan(25);
  expect(fields.filter((f) => !readme.includes(`\`${f}\``))).toEqual([]);
  // Field-like names (with an underscore) in the schema section that pstat does not write.
  const schema = section("JSON");
  const named = [...schema.matchAll(/`([a-z]+(?:_[a-z]+)+)`/g)].map((m) => m[1]!);
  expect([...new Set(named)].filter((f) => !fields.includes(f))).toEqual([]);
});

function sourceFiles(dir: string): string[] {
  return readdirSync(new URL(dir, root), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(`${dir}${e.name}/`) : e.name.endsWith(".ts") ? [`${dir}${e.name}`] : [],
  );
}

test("docs/design.md names every file under src/", () => {
  const design = read("docs/design.md");
  const files = sourceFiles("src/");
  expect(files.length).toBeGreaterThan(30);
  expect(files.filter((f) => !design.includes(f))).toEqual([]);
});
