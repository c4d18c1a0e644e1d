/**
 * `opsq worker --metrics-port` in a worker process: puts a {@link Prometheus}
 * middleware on the broker, then serves its registry over HTTP, or, under a
 * `--processes` supervisor, answers the supervisor's requests over IPC.
 *
 * @module
 */
import type { Broker } from "../broker.js";
import type { Logger } from "../logger.js";
import { answerMetricsRequests } from "./ipc.js";
import { Prometheus } from "./middleware.js";
import { startMetricsServer } from "./server.js";

/** Options of {@link enableWorkerMetrics}. */
export interface WorkerMetricsOptions {
  /** Port to serve on (0: any free port). */
  port: number;
  /** Address to bind. @default "0.0.0.0" */
  host?: string;
  /** A supervisor serves the metrics: answer its IPC requests instead of listening. */
  overIpc: boolean;
  /** Where "serving metrics" and failed scrapes are logged. */
  logger: Logger;
}

/** The metrics of a worker process. */
export interface WorkerMetrics {
  /** The middleware counting (the broker's own, if its module added one). */
  readonly prometheus: Prometheus;
  /** `http://host:port/metrics` when this process serves them. */
  readonly url?: string;
  /** Stops serving or answering. */
  close(): Promise<void>;
}

/**
 * Adds a {@link Prometheus} middleware to `broker` (or reuses the one its
 * module added, so nothing is counted twice) and serves its metrics.
 *
 * @throws OpsqError when the port cannot be bound
 */
export async function enableWorkerMetrics(
  broker: Broker,
  options: WorkerMetricsOptions,
): Promise<WorkerMetrics> {
  let prometheus = broker.middleware.find((m): m is Prometheus => m instanceof Prometheus);
  if (prometheus === undefined) {
    prometheus = new Prometheus();
    broker.addMiddleware(prometheus);
  }
  if (options.overIpc) {
    const stop = answerMetricsRequests(prometheus.registry);
    return { prometheus, close: async () => stop() };
  }
  const registry = prometheus.registry;
  const server = await startMetricsServer({
    port: options.port,
    host: options.host,
    collect: () => registry.metrics(),
    logger: options.logger,
  });
  options.logger.info({ url: server.url, port: server.port }, "serving metrics");
  return { prometheus, url: server.url, close: () => server.close() };
}
