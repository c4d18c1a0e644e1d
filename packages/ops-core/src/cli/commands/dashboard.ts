/**
 * `ops-core dashboard [--port 9180] [--host 127.0.0.1] [--read-only] [--base-path /ops]`:
 * opsq's dashboard (queues, dead letters, delayed messages, workers, Cancel) with ops-core's
 * Agent tasks panel, on `DATABASE_URL` and `RABBITMQ_URL`, until SIGINT or SIGTERM. The
 * dashboard and the database load only when this command runs.
 *
 * @module
 */
import { cancellationTable } from "../../cancellation.js";
import { requireDatabaseUrl } from "../../config.js";
import { describeError } from "../../describe-error.js";
import { isLoopbackHost } from "../../http/bearer-auth.js";
import { createLogger } from "../../logger.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { type CliIo, configOf } from "../io.js";
import { stopRequested, withTimeout } from "../stop-requested.js";

/** Options of {@link dashboardCommand}. */
export interface DashboardFlags {
  /** Address to bind (anything but loopback needs `OPSQ_DASHBOARD_TOKEN`). */
  host: string;
  /** Port (0: any free port, printed). */
  port: number;
  /** No action: the buttons are gone and the POSTs refused. */
  readOnly?: boolean;
  /** Serve the dashboard under this path (`/ops`). */
  basePath?: string;
  /** Stops the dashboard (in addition to SIGINT and SIGTERM). */
  signal?: AbortSignal;
}

/** Longest wait for the dashboard and its connections to close. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Serves the dashboard until stopped; prints `ops-core: dashboard on http://HOST:PORT/ …` once
 * ready.
 *
 * @throws CliError (exit 2) when binding beyond loopback without `OPSQ_DASHBOARD_TOKEN` (checked
 *   before anything is opened), (exit 3) when the port is taken; ConfigError when `DATABASE_URL`
 *   is not set
 */
export async function dashboardCommand(flags: DashboardFlags, io: CliIo): Promise<void> {
  const env = io.env ?? process.env;
  if (!env.OPSQ_DASHBOARD_TOKEN && !isLoopbackHost(flags.host)) {
    throw new CliError(
      `refusing to serve the dashboard on ${flags.host} without OPSQ_DASHBOARD_TOKEN: set a token, or listen on 127.0.0.1`,
      ExitCode.USAGE,
    );
  }
  const config = configOf(io);
  const databaseUrl = requireDatabaseUrl(config, "`ops-core dashboard`");
  const logger = createLogger({ name: "ops-core-dashboard" });
  const [{ startDashboard }, { openTasksPanel }] = await Promise.all([
    import("opsq/dashboard"),
    import("../../dashboard/open-tasks-panel.js"),
  ]);
  const panel = await openTasksPanel({ config, logger });
  let server: Awaited<ReturnType<typeof startDashboard>>;
  try {
    server = await startDashboard({
      host: flags.host,
      port: flags.port,
      brokerUrl: config.rabbitmqUrl,
      readOnly: flags.readOnly === true,
      ...(flags.basePath === undefined ? {} : { basePath: flags.basePath }),
      ...(env.OPSQ_DASHBOARD_TOKEN ? { token: env.OPSQ_DASHBOARD_TOKEN } : {}),
      queues: [config.actor.queue],
      cancel: { url: databaseUrl, table: cancellationTable(config.databaseSchema) },
      panels: [panel],
    });
  } catch (error) {
    await withTimeout(panel.close?.() ?? Promise.resolve(), CLOSE_TIMEOUT_MS);
    throw new CliError(
      `cannot serve the dashboard on ${flags.host}:${flags.port}: ${describeError(error)}`,
      error instanceof RangeError ? ExitCode.USAGE : ExitCode.UNAVAILABLE,
    );
  }
  const stopped = stopRequested(flags.signal);
  try {
    io.out(`ops-core: dashboard on ${server.url} (agent tasks at ${server.url}panels/${panel.id})`);
    await stopped.promise;
  } finally {
    stopped.dispose();
    // Closes the panel too (its store, broker and relay).
    await withTimeout(server.close(), CLOSE_TIMEOUT_MS);
  }
}
