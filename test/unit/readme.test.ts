// The README must stay true: every option, every JSON field pstat writes.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { options } from "../../src/cli/options";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

test("the README documents every option, short and long", () => {
  for (const [name, def] of Object.entries(options)) {
    expect(readme.includes(`\`--${name}`), `--${name} is not in the README`).toBe(true);
    if ("alias" in def && def.alias) expect(readme.includes(`\`-${def.alias}\``), `-${def.alias} is not in the README`).toBe(true);
  }
});

test("the README's set-up commands are the ones package.json runs", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  expect(readme).toContain("npm install && npm run build && sudo ./dist/pstat");
  expect(readme).toContain("\nnpm test\n");
  expect(pkg.scripts.test).toContain("bun test");
  expect(pkg.scripts.build).toContain("scripts/build.ts");
});
