/**
 * Who may use the dashboard. Without a token, only loopback clients (127.0.0.0/8, ::1). With
 * a token (`OPSQ_DASHBOARD_TOKEN`), any client that shows it: as `Authorization: Bearer
 * <token>` (scripts: their POSTs need no CSRF token), or through the login form, which sets an
 * HttpOnly, SameSite=Strict cookie holding an HMAC of the token (never the token itself).
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The cookie the login form sets. */
export const SESSION_COOKIE = "opsq_dashboard_session";

/** Decides whether a request may see the dashboard. */
export class Access {
  readonly #token: string | undefined;
  readonly #session: string | undefined;

  /** @param token the shared token, or undefined for loopback-only access */
  constructor(token: string | undefined) {
    this.#token = token === "" ? undefined : token;
    this.#session =
      this.#token === undefined
        ? undefined
        : createHmac("sha256", this.#token).update("opsq-dashboard-session").digest("base64url");
  }

  /** True when a token is required. */
  get tokenRequired(): boolean {
    return this.#token !== undefined;
  }

  /**
   * `ok`; `bearer` (the token came in the `Authorization` header, which browsers never send by
   * themselves: no cross-site request can carry it); `login` (a token is required and was not
   * shown: show the login form); or `forbidden` (no token is set and the client is not on loopback).
   */
  check(req: IncomingMessage, cookies: Map<string, string>): "ok" | "bearer" | "login" | "forbidden" {
    if (this.#token === undefined) {
      return isLoopback(req.socket.remoteAddress) ? "ok" : "forbidden";
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ""))?.[1]?.trim();
    if (bearer !== undefined && same(bearer, this.#token)) {
      return "bearer";
    }
    const session = cookies.get(SESSION_COOKIE);
    return session !== undefined && same(session, this.#session!) ? "ok" : "login";
  }

  /** True when `token` is the token. */
  accepts(token: string): boolean {
    return this.#token !== undefined && same(token, this.#token);
  }

  /** The `Set-Cookie` value that logs a client in, for `path`. */
  sessionCookie(path: string, secure: boolean): string {
    return `${SESSION_COOKIE}=${this.#session}; Path=${path || "/"}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
  }

  /** The `Set-Cookie` value that logs a client out. */
  static logoutCookie(path: string): string {
    return `${SESSION_COOKIE}=; Path=${path || "/"}; HttpOnly; SameSite=Strict; Max-Age=0`;
  }
}

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) {
    return false;
  }
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return v4.startsWith("127.") || address === "::1";
}

// Constant-time comparison of two strings (their lengths may leak, not their contents).
function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
