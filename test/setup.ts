// Preloaded by bun test: the suite proves things against the real kernel, so it refuses to
// run (rather than skip) where it cannot.
import { existsSync } from "node:fs";
import { PSTAT } from "./helpers";

if (process.getuid?.() !== 0) throw new Error("the pstat tests need root: they subscribe to the kernel's process events");
if (!existsSync(PSTAT)) throw new Error(`${PSTAT} is missing: run the tests with 'npm test', which builds it first`);
