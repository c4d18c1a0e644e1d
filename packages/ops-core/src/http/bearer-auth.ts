/**
 * Bearer-token checks of the HTTP API (`OPS_API_TOKEN`), and the rule that a server without a
 * token listens on loopback only.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";

/**
 * True when the `Authorization` header carries `Bearer <token>`. The comparison takes the same
 * time whatever the header holds (both sides are hashed to equal length first).
 */
export function bearerTokenMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "")?.[1] ?? "";
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

/**
 * True when `host` is reachable from this machine only: `localhost`, an address of
 * 127.0.0.0/8, or `::1` (also in brackets).
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (bare === "localhost") return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  if (isIP(bare) === 6) return bare === "::1" || bare === "0:0:0:0:0:0:0:1" || /^::ffff:127\./.test(bare);
  return false;
}
