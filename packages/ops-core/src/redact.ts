/**
 * Keeps credentials out of logs and error messages.
 *
 * @module
 */

/** `scheme://user:password@` → captures scheme and user; the password is dropped. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^:/@\s]*):([^@/\s]*)@/gi;

/**
 * Replaces the password of every URL in `text` with `***`, leaving the rest intact:
 * `postgres://app:s3cret@db:5432/ops` → `postgres://app:***@db:5432/ops`.
 * Works on a bare URL or on any text that embeds URLs (e.g. an error message).
 */
export function redactUrl(text: string): string {
  return text.replace(URL_CREDENTIALS, (_match, scheme: string, user: string) => `${scheme}${user}:***@`);
}

/** What a secret is replaced with wherever it would otherwise be shown. */
export const REDACTED = "***";
