import { type ArgsDef, parseArgs } from "citty";
import { UsageError } from "../errors";

type Def = { type: "boolean" | "string"; alias?: string };

/** A command line read against one option table; values are checked as they are asked for. */
export interface Args<K extends string> {
  /** What is not an option (before any `--`). */
  positional: string[];
  /** A value-taking option's value; a usage error when it was given empty. */
  str(name: K): string | undefined;
  flag(name: K): boolean;
}

/**
 * Reads a command line against an option table. citty (node:util underneath) does the
 * tokenising, short flag groups (-dS) included; this adds the strictness a monitor run
 * as root needs: unknown options, missing and malformed values are usage errors.
 */
export function readArgs<T extends ArgsDef>(argv: string[], table: T): Args<keyof T & string> {
  const spec = new OptionSpec(table as Record<string, Def>);
  spec.preCheck(argv);
  const a = parseArgs(argv, table) as unknown as Record<string, unknown> & { _: string[] };
  for (const key of Object.keys(a)) {
    if (key === "_") continue;
    if (!spec.known.has(key)) throw new UsageError(`unknown option ${key.length === 1 ? `-${key}` : `--${key}`}`);
  }
  return {
    positional: a._,
    str(name) {
      const v = a[name];
      if (v === undefined) return undefined;
      if (typeof v !== "string" || v === "") throw new UsageError(`option ${optName(table, name)} needs a value`);
      return v;
    },
    flag: (name) => a[name] === true,
  };
}

/** An option as messages name it: -e/--event, or --rcvbuf. */
export function optName(table: ArgsDef, name: string): string {
  const alias = (table as Record<string, Def>)[name]?.alias;
  return alias ? `-${alias}/--${name}` : `--${name}`;
}

class OptionSpec {
  /** Every spelling citty accepts for a key: long name, short alias, camelCase form. */
  readonly known = new Map<string, string>();

  constructor(private readonly defs: Record<string, Def>) {
    for (const [name, def] of Object.entries(defs)) {
      this.known.set(name, name);
      this.known.set(
        name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()),
        name,
      );
      if (def.alias) this.known.set(def.alias, name);
    }
  }

  /** Catches what the tokeniser lets through: a value given to a flag, a value-taking option last. */
  preCheck(args: string[]): void {
    const defs = this.defs;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      const m = /^--([^=]+)=/.exec(arg);
      if (m) {
        const name = this.known.get(m[1]!);
        if (name !== undefined && defs[name]!.type === "boolean") throw new UsageError(`option --${m[1]} takes no value`);
        continue;
      }
      // The tokeniser would take --no-X as "X off"; pstat has no such negations.
      if (arg.startsWith("--no-") && !this.known.has(arg.slice(2))) throw new UsageError(`unknown option ${arg}`);
      let name: string | undefined;
      if (arg.startsWith("--")) name = this.known.get(arg.slice(2));
      else if (/^-[a-zA-Z]+$/.test(arg)) name = this.groupValueTaker(arg);
      if (name !== undefined && defs[name]!.type === "string") {
        const next = args[i + 1];
        if (next === undefined || (next.startsWith("-") && next.length > 1 && !/^-\d/.test(next))) {
          throw new UsageError(`option ${optName(defs, name)} needs a value`);
        }
        i++;
      }
    }
  }

  /**
   * In a short group such as -dSD, the option that takes the next argument as its value:
   * a value-taking letter that ends the group. One earlier in the group (-D5, -dD5)
   * takes the rest of the group instead.
   */
  private groupValueTaker(group: string): string | undefined {
    for (let k = 1; k < group.length; k++) {
      const name = this.known.get(group[k]!);
      if (name !== undefined && this.defs[name]!.type === "string") return k === group.length - 1 ? name : undefined;
    }
    return undefined;
  }
}
