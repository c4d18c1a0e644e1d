/**
 * One request as the dashboard's pages see it: its path below the mount point, its query,
 * cookies and (for a POST) its form fields, and the cookies the response sets.
 *
 * @module
 */
import type { IncomingMessage } from "node:http";

/** Largest form body read, in bytes. */
const MAX_BODY_BYTES = 64 * 1024;
/** Longest wait for a form body. */
const BODY_TIMEOUT_MS = 10_000;

/** A request, parsed. */
export interface DashboardRequest {
  /** The HTTP method. */
  method: string;
  /** The path below the mount point, from `/`. */
  path: string;
  /** The mount point, without a trailing slash (`""` at the root): links start with it. */
  prefix: string;
  /** The query string. */
  query: URLSearchParams;
  /** Cookies sent. */
  cookies: Map<string, string>;
  /** Form fields of a POST (`application/x-www-form-urlencoded`); empty otherwise. */
  form: URLSearchParams;
  /** The raw request. */
  raw: IncomingMessage;
  /** `Set-Cookie` values of the response. */
  setCookies: string[];
}

/** What Express adds to a request it routed (`app.use("/ops", handler)`). */
interface ExpressLike {
  originalUrl?: string;
  baseUrl?: string;
}

/**
 * Splits the URL into the mount point and the path below it. Express strips its mount path
 * from `req.url` and keeps it in `req.baseUrl`; node:http and Fastify (`req.raw`) give the
 * whole URL, from which `basePath` is stripped. @returns undefined when outside `basePath`
 */
export function locate(
  req: IncomingMessage,
  basePath: string,
): { prefix: string; path: string; query: URLSearchParams } | undefined {
  const express = req as IncomingMessage & ExpressLike;
  const url = new URL(req.url ?? "/", "http://dashboard.invalid");
  if (typeof express.baseUrl === "string" && typeof express.originalUrl === "string") {
    return { prefix: express.baseUrl.replace(/\/+$/, ""), path: url.pathname, query: url.searchParams };
  }
  const base = basePath.replace(/\/+$/, "");
  if (base === "") {
    return { prefix: "", path: url.pathname, query: url.searchParams };
  }
  if (url.pathname !== base && !url.pathname.startsWith(`${base}/`)) {
    return undefined;
  }
  return { prefix: base, path: url.pathname.slice(base.length) || "/", query: url.searchParams };
}

/** Parses the `Cookie` header. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) {
      const name = part.slice(0, eq).trim();
      try {
        cookies.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
      } catch {
        // A cookie that is not percent-encoded properly is ignored.
      }
    }
  }
  return cookies;
}

/**
 * Reads a form body (`application/x-www-form-urlencoded`), bounded in size and time; a body
 * an Express or Fastify body parser already read is taken from `req.body`.
 */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const parsed = (req as { body?: unknown }).body;
  if (parsed !== undefined && parsed !== null && typeof parsed === "object" && !Buffer.isBuffer(parsed)) {
    return new URLSearchParams(
      Object.entries(parsed as Record<string, unknown>).map(([key, value]): [string, string] => [
        key,
        String(value),
      ]),
    );
  }
  if (req.readableEnded) {
    return new URLSearchParams();
  }
  const type = String(req.headers["content-type"] ?? "");
  if (!type.startsWith("application/x-www-form-urlencoded")) {
    req.resume();
    return new URLSearchParams();
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error("the form took too long to arrive"));
    }, BODY_TIMEOUT_MS);
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        clearTimeout(timer);
        req.destroy();
        reject(new Error("the form is too large"));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      clearTimeout(timer);
      resolve(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
    });
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
