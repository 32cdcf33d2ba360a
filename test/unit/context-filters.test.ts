// The glob syntax of --cgroup and --exclude-cgroup, the inclusive and exclusive context
// filters (unknown context never matches, never excludes) and what each needs read.
import { describe, expect, test } from "bun:test";
import {
  cgroupPredicate,
  containerPredicate,
  ContextFilter,
  type ContextView,
  excludeCommPredicate,
  excludePidPredicate,
  excludeUserPredicate,
  type Subject,
  unitPredicate,
} from "../../src/context/filters";
import { GlobError, globToRegExp } from "../../src/context/glob";
import { NEED_CGROUP } from "../../src/context/needs";
import { Subtree } from "../../src/track/subtree";

const ID = "3f4c2b1a9d8e7f60a1b2c3d4e5f60718293a4b5c6d7e8f900123456789abcdef";

describe("globToRegExp", () => {
  const cases: [string, string[], string[]][] = [
    // [glob, paths it matches, paths it does not]
    ["/system.slice/*", ["/system.slice/nginx.service", "/system.slice/"], ["/system.slice", "/system.slice/a/b", "/x/system.slice/a"]],
    ["/system.slice/*.service", ["/system.slice/a.service"], ["/system.slice/a.scope", "/system.slice/x/a.service"]],
    ["/**", ["/", "/a", "/a/b/c"], []],
    ["/a/**", ["/a", "/a/", "/a/b", "/a/b/c"], ["/ab", "/b/a"]],
    ["/a/**/z", ["/a/z", "/a/b/z", "/a/b/c/z"], ["/az", "/a/b/zz", "/a/z/q"]],
    ["/a**", ["/a", "/ab", "/ab/c"], ["/b"]],
    ["**", ["/", "/anything/at/all"], []],
    ["/a?c", ["/abc", "/a.c"], ["/a/c", "/ac", "/abbc"]],
    ["/[ab]x", ["/ax", "/bx"], ["/cx", "//x"]],
    ["/[a-c]x", ["/bx"], ["/dx", "/-x"]],
    ["/[!a-c]x", ["/dx", "/-x"], ["/ax", "//x"]],
    ["/[^a]x", ["/bx"], ["/ax", "//x"]],
    ["/[]]x", ["/]x"], ["/x"]],
    ["/[!]]x", ["/ax"], ["/]x"]],
    ["/[a-]x", ["/ax", "/-x"], ["/bx"]],
    ["/[/]x", [], ["//x"]], // a class never crosses a component
    ["/x[", ["/x["], ["/x"]], // unclosed: literal
    ["/a\\*b", ["/a*b"], ["/axb"]],
    ["/a\\[b]", ["/a[b]"], ["/ab"]],
    ["/a.b+(c)|d$^{2}", ["/a.b+(c)|d$^{2}"], ["/aXb+(c)|d$^{2}", "/a.bb(c)|d$^{2}"]], // RegExp syntax is literal
    ["/ümlaut/*", ["/ümlaut/x"], ["/umlaut/x"]],
    ["/[ü]x", ["/üx"], ["/ux"]],
    // A glob without a leading '/' matches the last components, at any depth.
    ["docker-*.scope", [`/system.slice/docker-${ID}.scope`, "docker-1.scope", "/docker-1.scope"], ["/system.slice/docker-1.scope/x", "/xdocker-1.scope"]],
    ["system.slice/*", ["/system.slice/a", "/x/system.slice/a"], ["/system.slice/a/b", "/xsystem.slice/a"]],
    ["**/a.service", ["/a.service", "/x/y/a.service"], ["/xa.service"]],
  ];
  for (const [glob, yes, no] of cases)
    test(glob, () => {
      const re = globToRegExp(glob);
      for (const p of yes) expect({ p, m: re.test(p) }).toEqual({ p, m: true });
      for (const p of no) expect({ p, m: re.test(p) }).toEqual({ p, m: false });
    });

  test("bad patterns are GlobErrors", () => {
    expect(() => globToRegExp("")).toThrow(GlobError);
    expect(() => globToRegExp("/[z-a]")).toThrow(GlobError);
  });
});

const subject = (o: Partial<Subject> = {}): Subject => ({ tgid: 100, name: "cc", uid: 1000, euid: 1000, ...o });
const ctx = (o: Partial<ContextView> = {}): ContextView => ({ cgroup: "/", containerId: null, unit: null, ...o });
const docker = ctx({ cgroup: `/system.slice/docker-${ID}.scope`, containerId: ID, unit: `docker-${ID}.scope` });
const nginx = ctx({ cgroup: "/system.slice/nginx.service", unit: "nginx.service" });
const userApp = ctx({ cgroup: "/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service", unit: "foo.service" });
const gone = null; // the context could not be read
const unread = ctx({ cgroup: null }); // read, but the cgroup file gave nothing

describe("inclusive context filters", () => {
  test("--container: a prefix of the full id; not in a container or unknown: no", () => {
    const f = new ContextFilter([containerPredicate([ID.slice(0, 4)])]);
    expect(f.wanted(subject(), docker)).toBe(true);
    expect(new ContextFilter([containerPredicate([ID])]).wanted(subject(), docker)).toBe(true);
    expect(new ContextFilter([containerPredicate(["3f4d"])]).wanted(subject(), docker)).toBe(false);
    expect(new ContextFilter([containerPredicate(["beef", "3f4c"])]).wanted(subject(), docker)).toBe(true); // any of them
    expect(f.wanted(subject(), nginx)).toBe(false);
    expect(f.wanted(subject(), gone)).toBe(false);
    expect(f.wanted(subject(), unread)).toBe(false);
  });

  test("--cgroup GLOB", () => {
    const f = new ContextFilter([cgroupPredicate([globToRegExp("/system.slice/**")], false)]);
    expect(f.wanted(subject(), docker)).toBe(true);
    expect(f.wanted(subject(), nginx)).toBe(true);
    expect(f.wanted(subject(), userApp)).toBe(false);
    expect(f.wanted(subject(), gone)).toBe(false);
    expect(f.wanted(subject(), unread)).toBe(false);
  });

  test("--unit: the unit, with .service implied, or a unit or slice the process is inside", () => {
    const has = (names: string[], c: ContextView | null) => new ContextFilter([unitPredicate(names)]).wanted(subject(), c);
    expect(has(["nginx.service"], nginx)).toBe(true);
    expect(has(["nginx"], nginx)).toBe(true);
    expect(has(["nginx.scope"], nginx)).toBe(false);
    expect(has(["ngin"], nginx)).toBe(false);
    expect(has(["foo"], userApp)).toBe(true);
    expect(has(["user@1000.service"], userApp)).toBe(true);
    expect(has(["user-1000.slice"], userApp)).toBe(true);
    expect(has(["user@1001.service"], userApp)).toBe(false);
    expect(has(["system.slice"], nginx)).toBe(true);
    expect(has(["nope", "nginx"], nginx)).toBe(true);
    expect(has(["nginx"], gone)).toBe(false);
    expect(has(["nginx"], unread)).toBe(false);
  });

  test("different options must all agree", () => {
    const f = new ContextFilter([containerPredicate(["3f4c"]), unitPredicate(["nginx"])]);
    expect(f.wanted(subject(), docker)).toBe(false);
    expect(f.wanted(subject(), nginx)).toBe(false);
    const g = new ContextFilter([containerPredicate(["3f4c"]), cgroupPredicate([globToRegExp("docker-*.scope")], false)]);
    expect(g.wanted(subject(), docker)).toBe(true);
  });
});

describe("exclusions", () => {
  test("--exclude-cgroup drops matches and keeps unknown context", () => {
    const f = new ContextFilter([cgroupPredicate([globToRegExp("/system.slice/docker-*.scope"), globToRegExp("/user.slice/**")], true)]);
    expect(f.wanted(subject(), docker)).toBe(false);
    expect(f.wanted(subject(), userApp)).toBe(false);
    expect(f.wanted(subject(), nginx)).toBe(true);
    expect(f.wanted(subject(), gone)).toBe(true);
    expect(f.wanted(subject(), unread)).toBe(true);
  });

  test("--exclude-comm on the name; an unknown name is kept", () => {
    const f = new ContextFilter([excludeCommPredicate(/^(cc|as)$/)]);
    expect(f.wanted(subject({ name: "cc" }), null)).toBe(false);
    expect(f.wanted(subject({ name: "as" }), null)).toBe(false);
    expect(f.wanted(subject({ name: "gcc" }), null)).toBe(true);
    expect(f.wanted(subject({ name: null }), null)).toBe(true);
  });

  test("--exclude-user on the real or effective uid; unknown uids are kept", () => {
    const f = new ContextFilter([excludeUserPredicate([0, 33])]);
    expect(f.wanted(subject({ uid: 0, euid: 0 }), null)).toBe(false);
    expect(f.wanted(subject({ uid: 1000, euid: 0 }), null)).toBe(false); // sudo: effective root
    expect(f.wanted(subject({ uid: 33, euid: 1000 }), null)).toBe(false);
    expect(f.wanted(subject({ uid: 1000, euid: 1000 }), null)).toBe(true);
    expect(f.wanted(subject({ uid: -1, euid: -1 }), null)).toBe(true);
    expect(f.wanted(subject({ uid: null, euid: null }), null)).toBe(true);
    expect(f.wanted(subject({ uid: -1, euid: 0 }), null)).toBe(false);
  });

  test("--exclude-pid drops the subtree", () => {
    const tree = new Subtree([100]);
    const f = new ContextFilter([excludePidPredicate(tree)]);
    tree.fork(100, 101);
    expect(f.wanted(subject({ tgid: 100 }), null)).toBe(false);
    expect(f.wanted(subject({ tgid: 101 }), null)).toBe(false);
    expect(f.wanted(subject({ tgid: 102 }), null)).toBe(true);
  });

  test("exclusions compose with inclusive filters", () => {
    const f = new ContextFilter([cgroupPredicate([globToRegExp("/system.slice/**")], false), excludeCommPredicate(/^cc$/)]);
    expect(f.wanted(subject({ name: "make" }), nginx)).toBe(true);
    expect(f.wanted(subject({ name: "cc" }), nginx)).toBe(false);
    expect(f.wanted(subject({ name: "make" }), userApp)).toBe(false);
  });
});

describe("what the filters need", () => {
  test("needs: the cgroup only for the filters that look at it", () => {
    expect(new ContextFilter([]).needs).toBe(0);
    expect(new ContextFilter([]).active).toBe(false);
    expect(new ContextFilter([excludeCommPredicate(/x/), excludeUserPredicate([0]), excludePidPredicate(new Subtree([1]))]).needs).toBe(0);
    for (const p of [containerPredicate(["a"]), cgroupPredicate([/x/], false), cgroupPredicate([/x/], true), unitPredicate(["a"])]) {
      expect(p.needs).toBe(NEED_CGROUP);
      expect(new ContextFilter([excludeCommPredicate(/x/), p]).needs).toBe(NEED_CGROUP);
    }
  });

  test("a check that needs no context settles the event even when the context is unknown", () => {
    const f = new ContextFilter([unitPredicate(["nginx"]), excludeCommPredicate(/^cc$/)]);
    expect(f.wanted(subject({ name: "cc" }), nginx)).toBe(false);
    expect(f.wanted(subject({ name: "make" }), nginx)).toBe(true);
    expect(f.wanted(subject({ name: "make" }), docker)).toBe(false);
    expect(f.wanted(subject({ name: "make" }), null)).toBe(false);
  });
});
