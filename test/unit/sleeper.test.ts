// Where pstat sleeps: its sockets and Bun's event loop, on real descriptors (pipes stand in
// for the sockets; the event loop's epoll is the real one of this test process).
import { afterAll, expect, test } from "bun:test";
import { closeSync, openSync, writeSync } from "node:fs";
import { dlopen, FFIType } from "bun:ffi";
import { libcName } from "../../src/kernel/libc-name";
import { DATA, eventLoopFds, LOOP, Sleeper, TIMEOUT } from "../../src/kernel/sleeper";

const { pipe } = dlopen(libcName(), { pipe: { args: [FFIType.ptr], returns: FFIType.i32 } }).symbols;
const opened: number[] = [];

function newPipe(): [number, number] {
  const fds = new Int32Array(2);
  expect(pipe(fds)).toBe(0);
  opened.push(fds[0]!, fds[1]!);
  return [fds[0]!, fds[1]!];
}

afterAll(() => {
  for (const fd of opened) closeSync(fd);
});

function timed(s: Sleeper, ms: number): { woke: number; ms: number } {
  const t0 = performance.now();
  const woke = s.sleep(ms);
  return { woke, ms: performance.now() - t0 };
}

test("the runtime's event loop is found among the open descriptors", () => {
  expect(eventLoopFds().length).toBeGreaterThan(0);
});

test("data on a socket ends the sleep as DATA; nothing at all as TIMEOUT", () => {
  const [r, w] = newPipe();
  const s = new Sleeper([r], []);
  const quiet = timed(s, 50);
  expect(quiet.woke).toBe(TIMEOUT);
  expect(quiet.ms).toBeGreaterThanOrEqual(45);
  writeSync(w, "x");
  const busy = timed(s, 5000);
  expect(busy.woke).toBe(DATA);
  expect(busy.ms).toBeLessThan(1000);
});

test("a signal that arrived before the sleep ends it at once, as LOOP", async () => {
  const [r] = newPipe();
  const s = new Sleeper([r]);
  let handled = 0;
  const onSignal = () => handled++;
  process.on("SIGUSR2", onSignal);
  try {
    await new Promise<void>((ok) => setImmediate(ok)); // the loop has nothing pending now
    process.kill(process.pid, "SIGUSR2"); // its handler cannot run until the loop turns
    const woke = timed(s, 5000);
    expect(woke.woke).toBe(LOOP);
    expect(woke.ms).toBeLessThan(1000);
    expect(handled).toBe(0);
    await new Promise<void>((ok) => setImmediate(ok));
    expect(handled).toBe(1);
    // Once the loop has run, the descriptor is quiet again.
    expect(timed(s, 50).woke).toBe(TIMEOUT);
  } finally {
    process.off("SIGUSR2", onSignal);
  }
});

test("a loop descriptor that never quiets down is dropped instead of spinning", () => {
  const [r] = newPipe();
  // /dev/zero is always readable, however often the event loop runs.
  const always = openSync("/dev/zero", "r");
  opened.push(always);
  const s = new Sleeper([r], [always]);
  let loops = 0;
  const t0 = performance.now();
  while (s.sleep(1000) === LOOP && performance.now() - t0 < 5000) loops++;
  expect(loops).toBeGreaterThan(100);
  expect(loops).toBeLessThanOrEqual(201);
  expect(performance.now() - t0).toBeLessThan(3000);
  expect(timed(s, 50).woke).toBe(TIMEOUT);
});

test("loopQuiet: set after a timeout or data while watching a quiet loop, never without watching one", () => {
  const [r, w] = newPipe();
  const [loopR, loopW] = newPipe(); // stands in for the event loop's descriptor
  const s = new Sleeper([r], [loopR]);
  expect(s.sleep(20)).toBe(TIMEOUT);
  expect(s.loopQuiet).toBe(true);
  writeSync(w, "x");
  expect(s.sleep(1000)).toBe(DATA);
  expect(s.loopQuiet).toBe(true);
  writeSync(loopW, "x"); // the loop has work: a visit is due however the sleep ends
  expect(s.sleep(1000)).toBe(DATA);
  expect(s.loopQuiet).toBe(false);
  const blind = new Sleeper([r], []); // not watching the loop: it cannot tell
  expect(blind.sleep(1000)).toBe(DATA);
  expect(blind.loopQuiet).toBe(false);
  const [r2] = newPipe();
  const blindIdle = new Sleeper([r2], []);
  expect(blindIdle.sleep(20)).toBe(TIMEOUT);
  expect(blindIdle.loopQuiet).toBe(false);
});

test("loopIdle asks only the event loop's descriptors, without sleeping", () => {
  const [r, w] = newPipe();
  const [loopR, loopW] = newPipe();
  // A pipe stands in for the loop's descriptor, so the answer does not hang on the runtime.
  const s = new Sleeper([r], [loopR]);
  expect(s.loopIdle()).toBe(true);
  writeSync(w, "x"); // data on a socket is not the loop's business
  expect(s.loopIdle()).toBe(true);
  writeSync(loopW, "x");
  const t0 = performance.now();
  expect(s.loopIdle()).toBe(false);
  expect(performance.now() - t0).toBeLessThan(100);
  // No loop descriptor watched: nothing can tell, so the answer is "not idle".
  expect(new Sleeper([r], []).loopIdle()).toBe(false);
});
