/**
 * Keeps credentials out of logs and error messages: the password of every URL in
 * a text is replaced by `***`, including passwords that were not percent-encoded
 * (a raw `/`, space, `@`, `#` or `?`), which a URL parser would not even accept.
 *
 * @module
 */

/** What a secret is replaced with wherever it would otherwise be shown. */
export const REDACTED = "***";

// scheme://user:password@ — the password runs to the `@` before the host, may hold any character
// but a newline, and never spans the start of another URL. Quantifiers are bounded, so a long
// line costs linear time.
const SCHEME = "[a-z][a-z0-9+.-]{0,30}:\\/\\/";
const URL_CREDENTIALS = new RegExp(
  `(${SCHEME})([^:/@\\s]{0,256}):((?:(?!${SCHEME})[^@\\n]){0,512}?(?:@(?=[^@\\s/]{0,512}@)[^@\\s/]{0,512})*)@`,
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
