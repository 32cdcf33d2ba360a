// Median and spread over repetitions.

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: readonly (number | undefined)[]): Spread | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
  return { median, min: v[0] as number, max: v[v.length - 1] as number, n: v.length };
}

/** `12.3 (11.0–14.2)`, or just the value when there is no spread to show. */
export function fmt(s: Spread | undefined, digits = 1): string {
  if (s === undefined) return "–";
  const f = (x: number) => x.toFixed(digits);
  if (s.n === 1 || f(s.min) === f(s.max)) return f(s.median);
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

/** The spread with every figure rounded, for a measurement whose JSON should not claim more digits than it has. */
export function rounded(s: Spread | undefined, digits: number): Spread | undefined {
  if (s === undefined) return undefined;
  const r = (x: number) => Number(x.toFixed(digits));
  return { median: r(s.median), min: r(s.min), max: r(s.max), n: s.n };
}
