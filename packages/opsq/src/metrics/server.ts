/**
 * The exposition server: `GET /metrics` over node:http, in Prometheus' text
 * format, from whatever `collect` returns (one registry, or the sum over processes).
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { OpsqError } from "../errors.js";
import type { Logger } from "../logger.js";

/** Prometheus' text exposition format, version 0.0.4 (what prom-client's registries produce). */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * The address the server binds when none is given: every IPv4 interface, as
 * Dramatiq's exposition server and Prometheus' own client libraries do, because
 * Prometheus scrapes from another host (or container, or pod).
 */
export const DEFAULT_METRICS_HOST = "0.0.0.0";

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  /** TCP port; 0 picks a free one (read it from {@link MetricsServer.port}). */
  port: number;
  /** Address to bind. @default {@link DEFAULT_METRICS_HOST} */
  host?: string;
  /** Produces the response body of each scrape. */
  collect: () => Promise<string>;
  /** Content type of the body. @default {@link PROMETHEUS_CONTENT_TYPE} */
  contentType?: string;
  /** Where a failed scrape is logged. @default none */
  logger?: Logger;
}

/** A running exposition server. */
export interface MetricsServer {
  /** The address it is bound to. */
  readonly host: string;
  /** The port it listens on (the one picked, when 0 was asked). */
  readonly port: number;
  /** `http://host:port/metrics`. */
  readonly url: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * Listens on `host:port` and answers `GET /metrics` (and `HEAD`) with `collect()`;
 * other paths get 404, other methods 405, a failing `collect` 500.
 *
 * @throws OpsqError (one line, naming the address) when the port is in use or the host cannot be bound
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? DEFAULT_METRICS_HOST;
  const contentType = options.contentType ?? PROMETHEUS_CONTENT_TYPE;
  // Loaded here: a worker that serves no metrics does not pay for node:http at start-up.
  const { createServer } = await import("node:http");
  const server = createServer((request, response) => {
    void respond(request, response, options, contentType);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(listenError(error, host, options.port)));
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    host,
    port,
    url: `http://${shown}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        // Prometheus keeps its connection alive between scrapes: close it too, or close() would wait.
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function respond(
  request: IncomingMessage,
  response: ServerResponse,
  options: MetricsServerOptions,
  contentType: string,
): Promise<void> {
  const path = (request.url ?? "/").split("?", 1)[0];
  if (path !== "/metrics") {
    response
      .writeHead(404, { "content-type": "text/plain; charset=utf-8" })
      .end("not found: metrics are at /metrics\n");
    return;
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }).end();
    return;
  }
  let body: string;
  try {
    body = await options.collect();
  } catch (error) {
    options.logger?.error({ err: error }, "could not collect metrics");
    response
      .writeHead(500, { "content-type": "text/plain; charset=utf-8" })
      .end("could not collect metrics\n");
    return;
  }
  response
    .writeHead(200, { "content-type": contentType, "content-length": Buffer.byteLength(body) })
    .end(request.method === "HEAD" ? undefined : body);
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): OpsqError {
  const reason =
    error.code === "EADDRINUSE"
      ? "the port is already in use"
      : error.code === "EACCES"
        ? "permission denied"
        : error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND"
          ? "no such address on this host"
          : error.message;
  return new OpsqError(`cannot serve metrics on ${host}:${port}: ${reason}`, { cause: error });
}
