// How the context is written: the text formatter's second line (where it starts, what it
// leaves out, how paging counts it) and the JSON fields (present only when asked for, null
// when unknown).
import { afterAll, describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Clock } from "../../src/clock";
import type { ContextFields } from "../../src/config";
import { emptyContext, type ProcessContext } from "../../src/context/read";
import type { FormatContext } from "../../src/output/formatter";
import { JsonFormatter } from "../../src/output/json";
import { TextFormatter } from "../../src/output/text";
import { Writer } from "../../src/output/writer";
import { type ProcInfo, UNKNOWN } from "../../src/proc/table";
import { blankReport, type Report } from "../../src/report";

const dir = mkdtempSync(join(tmpdir(), "pstat-context-output-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clock = new Clock();
const ALL: ContextFields = { cgroup: true, ancestry: true, cwd: true, login: true };
const NONE: ContextFields = { cgroup: false, ancestry: false, cwd: false, login: false };
const ID = "3f4c2b1a9d8e7f60a1b2c3d4e5f60718293a4b5c6d7e8f900123456789abcdef";

function formatContext(context: ContextFields, o: Partial<FormatContext> = {}): FormatContext {
  return { clock, time: "none", pidWidth: 7, glyphs: false, extra: false, color: false, tree: false, context, ...o };
}

const docker: ProcessContext = {
  ...emptyContext(),
  cgroup: `/system.slice/docker-${ID}.scope`,
  containerId: ID,
  containerShort: ID.slice(0, 12),
  runtime: "docker",
  unit: `docker-${ID}.scope`,
  cwd: "/srv/app",
  loginUid: 1000,
  loginUser: "alice",
};

function proc(ctx: ProcessContext | null, name = "/usr/bin/python3 app.py"): ProcInfo {
  return { ...UNKNOWN, name, cmdline: name, comm: "python3", known: true, ctx };
}

function exec(ctx: ProcessContext | null): Report {
  const r = blankReport(UNKNOWN);
  r.kind = "exec";
  r.pid = r.tgid = 4242;
  r.ts = clock.monoAtStart;
  r.proc = proc(ctx);
  r.ancestors = [
    { pid: 41, process: "make -j8", comm: "make" },
    { pid: 40, process: "-bash", comm: "bash" },
    { pid: 1, process: "/sbin/init", comm: "systemd" },
  ];
  return r;
}

let files = 0;
/** What the text formatter writes for `r`. */
function text(f: TextFormatter, r: Report): string {
  const path = join(dir, `out-${files++}`);
  const fd = openSync(path, "w");
  const w = new Writer(fd, true);
  f.event(r, w);
  w.flush();
  closeSync(fd);
  return readFileSync(path, "utf8");
}

describe("text", () => {
  test("a second line, in the Process column, with every known field", () => {
    const f = new TextFormatter(formatContext(ALL));
    const lines = text(f, exec(docker)).split("\n");
    expect(lines.length).toBe(3); // two lines and the final newline
    const column = f.heading().indexOf("Process");
    expect(lines[0]!.indexOf("/usr/bin/python3")).toBe(column);
    expect(lines[1]).toBe(
      " ".repeat(column) +
        `container=${ID.slice(0, 12)} unit=docker-${ID}.scope cgroup=/system.slice/docker-${ID}.scope login=alice cwd=/srv/app via bash › make`,
    );
    expect(f.lines(exec(docker))).toBe(2);
  });

  test("a fork's context line comes after the child's line; paging counts three", () => {
    const f = new TextFormatter(formatContext(ALL));
    const r = exec(docker);
    r.kind = "fork";
    r.parent = proc(docker, "make -j8");
    const lines = text(f, r).split("\n");
    expect(lines[0]).toContain("parent");
    expect(lines[1]).toContain("child");
    expect(lines[2]).toStartWith(" ".repeat(f.heading().indexOf("Process")) + "container=");
    expect(f.lines(r)).toBe(3);
  });

  test("only the fields asked for; unknown ones left out; nothing known, no line", () => {
    const cwdOnly = new TextFormatter(formatContext({ ...NONE, cwd: true }));
    expect(text(cwdOnly, exec(docker)).split("\n")[1]!.trim()).toBe("cwd=/srv/app");
    const all = new TextFormatter(formatContext(ALL));
    const partial = { ...emptyContext(), cgroup: "/user.slice", cwd: null, loginUid: null };
    expect(text(all, exec(partial)).split("\n")[1]!.trim()).toBe("cgroup=/user.slice via bash › make");
    const r = exec(null);
    r.ancestors = [];
    expect(text(all, r).split("\n").length).toBe(2);
    expect(all.lines(r)).toBe(1);
  });

  test("under --tree, indented with the name", () => {
    const f = new TextFormatter(formatContext({ ...NONE, cwd: true }, { tree: true }));
    const r = exec(docker);
    r.depth = 3;
    const lines = text(f, r).split("\n");
    expect(lines[1]!.indexOf("cwd=")).toBe(lines[0]!.indexOf("/usr/bin/python3"));
    expect(lines[1]!.indexOf("cwd=")).toBe(f.heading().indexOf("Process") + 6);
  });

  test("without context options, one line and no ancestry", () => {
    const f = new TextFormatter(formatContext(NONE));
    expect(text(f, exec(docker)).split("\n").length).toBe(2);
    expect(f.lines(exec(docker))).toBe(1);
  });

  test("lost events have no context line", () => {
    const f = new TextFormatter(formatContext(ALL));
    const r = exec(docker);
    r.kind = "lost";
    r.count = 3;
    expect(text(f, r).split("\n").length).toBe(2);
    expect(f.lines(r)).toBe(1);
  });
});

describe("JSON", () => {
  const json = (context: ContextFields, r: Report) => JSON.parse(new JsonFormatter(formatContext(context)).format(r));

  test("every field with --context", () => {
    expect(json(ALL, exec(docker))).toMatchObject({
      cgroup: `/system.slice/docker-${ID}.scope`,
      container_id: ID,
      unit: `docker-${ID}.scope`,
      ancestors: [
        { pid: 41, process: "make -j8" },
        { pid: 40, process: "-bash" },
        { pid: 1, process: "/sbin/init" },
      ],
      cwd: "/srv/app",
      login_user: "alice",
      login_uid: 1000,
    });
  });

  test("null when unknown or unread, [] without known parents", () => {
    const r = exec(null);
    r.ancestors = [];
    const o = json(ALL, r);
    for (const k of ["cgroup", "container_id", "unit", "cwd", "login_user", "login_uid"]) expect({ k, v: o[k] }).toEqual({ k, v: null });
    expect(o.ancestors).toEqual([]);
  });

  test("only the fields asked for are present", () => {
    const keys = (c: ContextFields) => Object.keys(json(c, exec(docker)));
    const contextKeys = ["cgroup", "container_id", "unit", "ancestors", "cwd", "login_user", "login_uid"];
    expect(keys(NONE).filter((k) => contextKeys.includes(k))).toEqual([]);
    expect(keys({ ...NONE, cgroup: true }).filter((k) => contextKeys.includes(k))).toEqual(["cgroup", "container_id", "unit"]);
    expect(keys({ ...NONE, ancestry: true }).filter((k) => contextKeys.includes(k))).toEqual(["ancestors"]);
    expect(keys({ ...NONE, login: true }).filter((k) => contextKeys.includes(k))).toEqual(["login_user", "login_uid"]);
  });

  test("lost events carry no context", () => {
    const r = exec(docker);
    r.kind = "lost";
    expect(Object.keys(json(ALL, r))).not.toContain("cgroup");
  });
});
