/**
 * `ops-core serve [--host 127.0.0.1] [--port 8080]`: the HTTP API (see `http/server.ts`) until
 * SIGINT or SIGTERM. Without `OPS_API_TOKEN` it listens on loopback only. Fastify and the
 * database load only when this command runs, so the other commands stay fast.
 *
 * @module
 */
import { requireDatabaseUrl } from "../../config.js";
import { describeError } from "../../describe-error.js";
import { EnvReader } from "../../env.js";
import { isLoopbackHost } from "../../http/bearer-auth.js";
import { createLogger } from "../../logger.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { type CliIo, configOf } from "../io.js";
import { stopRequested, withTimeout } from "../stop-requested.js";

/** Options of {@link serveCommand}. */
export interface ServeFlags {
  /** Address to listen on. */
  host: string;
  /** Port to listen on (0: any free port, printed). */
  port: number;
  /** The package version, shown in the OpenAPI document. */
  version?: string;
  /** Stops the server (in addition to SIGINT and SIGTERM). */
  signal?: AbortSignal;
}

/** Longest wait for open requests and streams when stopping. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Serves the API until stopped; prints `ops-core: listening on http://HOST:PORT …` once ready.
 *
 * @throws CliError (exit 2) when the host is not loopback and `OPS_API_TOKEN` is not set;
 *   ConfigError when `DATABASE_URL` is not set
 */
export async function serveCommand(flags: ServeFlags, io: CliIo): Promise<void> {
  const env = io.env ?? process.env;
  const apiToken = new EnvReader(env).string("OPS_API_TOKEN");
  if (apiToken === undefined && !isLoopbackHost(flags.host)) {
    throw new CliError(
      `refusing to listen on ${flags.host} without OPS_API_TOKEN: set a token, or listen on 127.0.0.1`,
      ExitCode.USAGE,
    );
  }
  const config = configOf(io);
  requireDatabaseUrl(config, "`ops-core serve`");
  const logger = createLogger({ name: "ops-core-serve" });
  const [{ buildServer }, { openTaskApi }] = await Promise.all([
    import("../../http/server.js"),
    import("../../http/task-api-adapter.js"),
  ]);
  const opened = await openTaskApi({ config, logger });
  const app = buildServer({
    api: opened.api,
    readiness: opened.readiness,
    apiToken,
    logger,
    ...(flags.version === undefined ? {} : { version: flags.version }),
  });
  const stopped = stopRequested(flags.signal);
  try {
    const address = await app.listen({ host: flags.host, port: flags.port });
    io.out(`ops-core: listening on ${address} (OpenAPI document at ${address}/openapi.json)`);
    await stopped.promise;
  } catch (error) {
    throw new CliError(
      `cannot serve on ${flags.host}:${flags.port}: ${describeError(error)}`,
      ExitCode.FAILED,
    );
  } finally {
    stopped.dispose();
    await withTimeout(app.close(), CLOSE_TIMEOUT_MS);
    await withTimeout(opened.close(), CLOSE_TIMEOUT_MS);
  }
}
