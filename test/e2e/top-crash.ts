// The real `pstat top` (src/main.ts, from source) with one fault put in, as a bug would
// put it there: CRASH=tick makes the second snapshot throw (in pstat's own loop),
// CRASH=key makes the key x throw (in a handler on the runtime's event loop). Run by
// top-terminal.test.ts to see the terminal restored and the error said in one line.
import { TopApp } from "../../src/top/app";
import { TopModel } from "../../src/top/model";

const fault = new Error("crash on purpose (test)");
if (process.env.CRASH === "tick") {
  const tick = TopModel.prototype.tick;
  let n = 0;
  TopModel.prototype.tick = function (this: TopModel, now: number) {
    if (++n > 1) throw fault;
    return tick.call(this, now);
  };
} else if (process.env.CRASH === "key") {
  const proto = TopApp.prototype as unknown as { key(k: { name: string; ch: string }): void };
  const key = proto.key;
  proto.key = function (this: TopApp, k) {
    if (k.ch === "x") throw fault;
    key.call(this, k);
  };
}
process.argv.splice(2, Infinity, "top", ...process.argv.slice(2));
await import("../../src/main");
