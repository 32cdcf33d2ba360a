import type { FormatContext, Formatter } from "./formatter";
import { JsonFormatter } from "./json";
import { TextFormatter } from "./text";

/** The output formats: a new one is one entry here and one file beside this. */
export const FORMATS = {
  text: { description: "columns for people (default)", make: (c: FormatContext): Formatter => new TextFormatter(c) },
  json: { description: "JSON Lines: one object per event", make: (c: FormatContext): Formatter => new JsonFormatter(c) },
} as const;

export type Format = keyof typeof FORMATS;
export const FORMAT_NAMES = Object.keys(FORMATS) as Format[];
