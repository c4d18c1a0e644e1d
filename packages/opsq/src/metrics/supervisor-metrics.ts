/**
 * `opsq worker --metrics-port --processes N` in the supervisor: one endpoint
 * whose every scrape sums the metrics of the live worker processes (asked
 * over IPC) and the totals of exited ones.
 *
 * @module
 */
import type { Logger } from "../logger.js";
import { MetricsAggregator } from "./aggregator.js";
import type { IpcEndpoint } from "./ipc.js";
import { startMetricsServer } from "./server.js";

/** Options of {@link serveAggregatedMetrics}. */
export interface AggregatedMetricsOptions {
  /** Port to serve on (0: any free port). */
  port: number;
  /** Address to bind. @default "0.0.0.0" */
  host?: string;
  /** The worker processes to ask at each scrape (those ready). */
  processes: () => Iterable<IpcEndpoint>;
  /** Where "serving metrics" and failed scrapes are logged. */
  logger: Logger;
  /** How long a scrape waits for each process. @default 1000 */
  timeoutMs?: number;
}

/** The supervisor's metrics endpoint. */
export interface AggregatedMetrics {
  /** `http://host:port/metrics`. */
  readonly url: string;
  /** A worker process exited: keep its counters in the totals. */
  retire(process: IpcEndpoint): void;
  /** Stops serving. */
  close(): Promise<void>;
}

/**
 * Serves the sum of the worker processes' metrics.
 *
 * @throws OpsqError when the port cannot be bound
 */
export async function serveAggregatedMetrics(options: AggregatedMetricsOptions): Promise<AggregatedMetrics> {
  const aggregator = new MetricsAggregator({ timeoutMs: options.timeoutMs });
  const server = await startMetricsServer({
    port: options.port,
    host: options.host,
    collect: () => aggregator.collect(options.processes()),
    logger: options.logger,
  });
  options.logger.info({ url: server.url, port: server.port }, "serving metrics");
  return {
    url: server.url,
    retire: (process) => aggregator.retire(process),
    close: () => server.close(),
  };
}
