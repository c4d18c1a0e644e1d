/**
 * Keeps credentials out of logs and error messages: URL passwords in any text
 * ({@link redactUrl}), in a whole URL value however malformed ({@link redactUrlValue}), and in
 * every message, stack and string field of an error and its `cause` chain ({@link redactError}),
 * which is what a logger prints for an error.
 *
 * URL passwords in text are found by opsq's `redactUrl`, so both packages redact by one rule.
 *
 * @module
 */

import { REDACTED, redactUrl } from "opsq";

/**
 * `REDACTED` (what a secret is replaced with) and `redactUrl` (the password of every URL in a
 * text, unencoded ones included) are opsq's, so ops-core and opsq redact by one rule.
 */
export { REDACTED, redactUrl };

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** How deep {@link redactError} follows `cause` chains and `AggregateError`s. */
const MAX_ERROR_DEPTH = 10;

/**
 * Redacts a value that is meant to be one URL (a configuration variable), however malformed:
 * everything between the user's `:` and the last `@` is the password, spaces included
 * (`http://u:pa ss/x@host` → `http://u:***@host`). Text that is not a URL is passed through
 * {@link redactUrl}.
 */
export function redactUrlValue(value: string): string {
  const scheme = SCHEME.exec(value)?.[0];
  const at = value.lastIndexOf("@");
  if (scheme === undefined || at < scheme.length) return redactUrl(value);
  const userinfo = value.slice(scheme.length, at);
  const colon = userinfo.indexOf(":");
  if (colon < 0) return redactUrl(value);
  return `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@${redactUrl(value.slice(at + 1))}`;
}

/**
 * Redacts, in place, the message, the stack and every string field of `error` and of each
 * error in its `cause` chain (and in an `AggregateError`'s `errors`): URL passwords, plus each
 * of `secrets` (an API key, a password known to the caller) wherever it appears. Call it on an
 * error before it is logged or rethrown to code that logs it. Never throws.
 *
 * @returns `error`, for `throw redactError(error)`
 */
export function redactError<T>(error: T, secrets: readonly (string | undefined)[] = []): T {
  const known = secrets.filter(
    (secret): secret is string => typeof secret === "string" && secret.length >= 3,
  );
  const clean = (text: string) => {
    let result = redactUrl(text);
    for (const secret of known) result = result.split(secret).join(REDACTED);
    return result;
  };
  const seen = new Set<object>();
  const visit = (value: unknown, depth: number): void => {
    if (!(value instanceof Error) || seen.has(value) || depth > MAX_ERROR_DEPTH) return;
    seen.add(value);
    for (const key of ["message", "stack", ...Object.keys(value)]) {
      try {
        const text = (value as unknown as Record<string, unknown>)[key];
        if (typeof text !== "string") continue;
        const cleaned = clean(text);
        if (cleaned !== text) {
          Object.defineProperty(value, key, {
            value: cleaned,
            writable: true,
            configurable: true,
            enumerable: Object.prototype.propertyIsEnumerable.call(value, key),
          });
        }
      } catch {
        // A getter that throws, or a frozen error: leave that field; the rest is still cleaned.
      }
    }
    try {
      visit(value.cause, depth + 1);
      if (value instanceof AggregateError) for (const inner of value.errors) visit(inner, depth + 1);
    } catch {
      // Hostile accessors: nothing more to clean.
    }
  };
  visit(error, 0);
  return error;
}
