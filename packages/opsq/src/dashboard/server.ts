/**
 * The dashboard on a node:http server of its own (what `opsq dashboard` runs).
 *
 * @module
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { isLoopback } from "./access.js";
import { createDashboardHandler } from "./handler.js";
import { DASHBOARD_TOKEN_ENV, type DashboardOptions } from "./options.js";

/** Options of {@link startDashboard}. */
export interface DashboardServerOptions extends DashboardOptions {
  /** TCP port (0: any free one). @default 9180 */
  port?: number;
  /** Address to bind. Anything but loopback needs a token. @default "127.0.0.1" */
  host?: string;
}

/** A running dashboard server. */
export interface DashboardServer {
  /** Its URL (`http://127.0.0.1:9180/`). */
  url: string;
  /** Stops listening and closes the broker connection. */
  close(): Promise<void>;
}

/** Longest wait for open requests when closing. */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * Starts the dashboard on its own HTTP server.
 * @throws RangeError when binding beyond loopback without a token; the listen error otherwise
 */
export async function startDashboard(options: DashboardServerOptions = {}): Promise<DashboardServer> {
  const host = options.host ?? "127.0.0.1";
  const token = options.token ?? process.env[DASHBOARD_TOKEN_ENV];
  if (!isLoopbackHost(host) && (token === undefined || token === "")) {
    throw new RangeError(
      `the dashboard binds ${host} only with a token: set ${DASHBOARD_TOKEN_ENV}, or keep --host 127.0.0.1`,
    );
  }
  const handler = createDashboardHandler({ ...options, token });
  const server = createServer((req, res) => handler(req, res));
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 9180, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await handler.close().catch(() => {});
    throw error;
  }
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}${(options.basePath ?? "").replace(/\/+$/, "")}/`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Open event streams would hold the server for CLOSE_TIMEOUT_MS: they end now (their
      // browsers reconnect), and their connections close as they go idle.
      handler.endStreams();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), CLOSE_TIMEOUT_MS);
      await closed;
      clearTimeout(timer);
      await handler.close();
    },
  };
}

function isLoopbackHost(host: string): boolean {
  return host === "localhost" || isLoopback(host);
}
