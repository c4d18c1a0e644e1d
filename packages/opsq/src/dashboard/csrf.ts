/**
 * Cross-site request protection for the dashboard's actions (all POSTs): a double-submit
 * token (a random SameSite=Strict cookie, repeated in a hidden field of every form) and an
 * Origin check (a browser's POST names its origin; it must be the dashboard's own host).
 *
 * @module
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The cookie holding the token. */
export const CSRF_COOKIE = "opsq_dashboard_csrf";
/** The form field repeating it. */
export const CSRF_FIELD = "_csrf";

/** The token of this client: its cookie's, or a new one (then `setCookie` says how to set it). */
export function csrfToken(cookies: Map<string, string>, path: string): { token: string; setCookie?: string } {
  const existing = cookies.get(CSRF_COOKIE);
  if (existing !== undefined && /^[A-Za-z0-9_-]{32,}$/.test(existing)) {
    return { token: existing };
  }
  const token = randomBytes(24).toString("base64url");
  return { token, setCookie: `${CSRF_COOKIE}=${token}; Path=${path || "/"}; HttpOnly; SameSite=Strict` };
}

/**
 * Why a POST is refused, or undefined when it may proceed: its form must repeat the cookie's
 * token, and its `Origin` (else `Referer`), when sent, must be this host.
 */
export function csrfRefusal(
  req: IncomingMessage,
  cookies: Map<string, string>,
  form: URLSearchParams,
): string | undefined {
  const origin = req.headers.origin ?? refererOrigin(req.headers.referer);
  if (origin !== undefined && origin !== "null") {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host === undefined || host !== req.headers.host) {
      return "the request comes from another origin";
    }
  } else if (origin === "null") {
    return "the request comes from an opaque origin";
  }
  const cookie = cookies.get(CSRF_COOKIE);
  const field = form.get(CSRF_FIELD);
  if (cookie === undefined || field === null || !same(cookie, field)) {
    return "the form's CSRF token is missing or wrong (reload the page and try again)";
  }
  return undefined;
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (referer === undefined) {
    return undefined;
  }
  try {
    return new URL(referer).origin;
  } catch {
    return "null";
  }
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
