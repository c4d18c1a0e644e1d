/**
 * Text PostgreSQL can store: no NUL character (`text` and `jsonb` refuse `\u0000`) and no lone
 * UTF-16 surrogate (not valid Unicode, so not valid UTF-8 either). Submitted text is checked
 * with these rules before anything reaches the database, so a bad goal is a one-line
 * validation error naming the field, not a database error quoting the whole `INSERT`.
 *
 * @module
 */
import { z } from "zod";

const NUL = String.fromCharCode(0);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` cannot be stored, or `undefined` when it can. */
export function storableTextProblem(text: string): string | undefined {
  if (text.includes(NUL)) return "must not contain a NUL character (\\u0000)";
  if (LONE_SURROGATE.test(text)) return "must not contain a lone UTF-16 surrogate (not valid Unicode)";
  return undefined;
}

/**
 * `text` with NUL characters and lone surrogates written as `\u0000`-style escapes, for
 * showing untrusted text (a field name) in a message.
 */
export function escapeUnstorable(text: string): string {
  const asEscape = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
  return text.split(NUL).join(asEscape(NUL)).replace(new RegExp(LONE_SURROGATE.source, "g"), asEscape);
}

/**
 * A zod string that PostgreSQL can store (see the module comment); chain further rules on it.
 *
 * @example storableString().trim().min(1)
 */
export function storableString(): z.ZodString {
  return z
    .string()
    .refine((text) => !text.includes(NUL), "must not contain a NUL character (\\u0000)")
    .refine(
      (text) => !LONE_SURROGATE.test(text),
      "must not contain a lone UTF-16 surrogate (not valid Unicode)",
    );
}
