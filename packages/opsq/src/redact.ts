/**
 * Keeps credentials out of logs and error messages: the password of every URL in
 * a text is replaced by `***`, including passwords that were not percent-encoded
 * (a raw `/`, space, `@`, `#` or `?`), which a URL parser would not even accept.
 *
 * @module
 */

/** What a secret is replaced with wherever it would otherwise be shown. */
export const REDACTED = "***";

// scheme://user:password@ — the password runs to the last `@` before the next white space or URL
// (for a password holding a space, the first `@` followed by a host and white space), may hold any
// character but a newline, and never spans the start of another URL. At worst a URL with an `@`
// in its path loses a little more than its password. Quantifiers are bounded, so a long line costs
// linear time.
const SCHEME = "[a-z][a-z0-9+.-]{0,30}:\\/\\/";
const URL_CREDENTIALS = new RegExp(
  `(${SCHEME})([^:/@\\s]{0,256}):((?:(?!${SCHEME})[^\\n]){0,512}?)@(?=(?:(?!${SCHEME})[^@\\s]){0,512}(?:\\s|$|${SCHEME}))`,
  "gi",
);

/**
 * Replaces the password of every URL in `text` with `***`:
 * `amqp://guest:secret@host` → `amqp://guest:***@host`, `amqp://u:pa/ss word@h` → `amqp://u:***@h`.
 * Works on a bare URL or on any text that embeds URLs (an error message, a stack).
 */
export function redactUrl(text: string): string {
  return text.replace(
    URL_CREDENTIALS,
    (_match, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`,
  );
}
