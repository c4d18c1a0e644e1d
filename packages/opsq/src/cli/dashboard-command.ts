/**
 * `opsq dashboard`: serves the dashboard until stopped. Loaded by the CLI only when it runs.
 *
 * @module
 */

import type { DashboardPanel } from "../dashboard/panel.js";
import { startDashboard } from "../dashboard/server.js";
import { getLogger, redactUrl } from "../logger.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { loadModules } from "./load-modules.js";
import { DEFAULT_BROKER_URL } from "./run-worker.js";

/** Options of `opsq dashboard`, parsed. */
export interface DashboardCliOptions {
  port: number;
  host: string;
  brokerUrl?: string;
  /** PostgreSQL URL: the cancellation store unless `cancelUrl` names another. */
  databaseUrl?: string;
  cancelUrl?: string;
  cancelTable?: string;
  readOnly: boolean;
  queues: string[];
  /** Modules whose actors' queues are shown too (as `opsq queues --module`). */
  modules: string[];
  managementUrl?: string | false;
  basePath?: string;
  /** Panel modules (`--panel`): each exports `openDashboardPanel` (see `dashboard/panel-factory.ts`). */
  panels?: string[];
}

/**
 * Serves the dashboard until `stop` is aborted.
 * @throws CliError with exit code 2 (bad option) or 3 (the port is taken)
 */
export async function runDashboard(
  options: DashboardCliOptions,
  io: { cwd: string; stop: AbortSignal; writeOut: (text: string) => void },
): Promise<number> {
  const brokerUrl = options.brokerUrl ?? process.env.RABBITMQ_URL ?? DEFAULT_BROKER_URL;
  const queues = [...options.queues];
  if (options.modules.length > 0) {
    process.env.RABBITMQ_URL = brokerUrl;
    process.env.OPSQ_LOG_LEVEL ??= "warn";
    const { broker } = await loadModules(options.modules, io.cwd);
    queues.push(...broker.queues);
    // Only their queue names are wanted: the modules' broker never connects.
    await broker.close().catch(() => {});
  }
  const cancelUrl = options.cancelUrl ?? options.databaseUrl;
  if (cancelUrl !== undefined && !/^postgres(ql)?:\/\//.test(cancelUrl)) {
    throw new CliError(
      `the cancellation store must be a postgres:// URL, got "${redactUrl(cancelUrl)}"`,
      ExitCode.IMPORT_ERROR,
    );
  }
  let panels: DashboardPanel[] = [];
  if (options.panels !== undefined && options.panels.length > 0) {
    const { loadPanels } = await import("./load-panels.js");
    panels = await loadPanels(options.panels, io.cwd, {
      brokerUrl: brokerUrl.split(",")[0]!,
      databaseUrl: options.databaseUrl,
      logger: getLogger(),
    });
  }
  let server: Awaited<ReturnType<typeof startDashboard>>;
  try {
    server = await startDashboard({
      port: options.port,
      host: options.host,
      brokerUrl,
      readOnly: options.readOnly,
      queues,
      managementUrl: options.managementUrl,
      basePath: options.basePath,
      panels,
      ...(cancelUrl === undefined ? {} : { cancel: { url: cancelUrl, table: options.cancelTable } }),
    });
  } catch (error) {
    await Promise.allSettled(panels.map((panel) => panel.close?.()));
    const message = redactUrl(error instanceof Error ? error.message : String(error));
    throw new CliError(
      message,
      error instanceof RangeError ? ExitCode.IMPORT_ERROR : ExitCode.CONNECT_ERROR,
      { cause: error },
    );
  }
  io.writeOut(
    `opsq dashboard on ${server.url} (broker ${redactUrl(brokerUrl)}${options.readOnly ? ", read-only" : ""})\n`,
  );
  await new Promise<void>((resolve) => {
    if (io.stop.aborted) {
      resolve();
      return;
    }
    const keepAlive = setInterval(() => {}, 2 ** 30);
    io.stop.addEventListener(
      "abort",
      () => {
        clearInterval(keepAlive);
        resolve();
      },
      { once: true },
    );
  });
  await server.close();
  return ExitCode.OK;
}
