/**
 * A service that runs a worker in its own process (instead of `opsq worker`) and serves its
 * metrics on `GET /metrics`, as `opsq worker --metrics-port` does.
 *
 * Run it:  npx tsx embedded.ts   (RabbitMQ at RABBITMQ_URL; metrics on http://127.0.0.1:9191/metrics)
 */
import { pathToFileURL } from "node:url";
import { type Broker, getBroker, type MetricsServer, Prometheus, startMetricsServer, Worker } from "opsq";
import "./actors.js";

/** A running worker and its metrics endpoint. */
export interface MonitoredWorker {
  worker: Worker;
  metrics: MetricsServer;
  prometheus: Prometheus;
  /** Stops the worker (in-flight messages finish), then the endpoint. */
  stop(): Promise<void>;
}

/** Adds the Prometheus middleware to `broker`, starts a worker and serves the metrics on `port` (0: any). */
export async function startMonitoredWorker(
  broker: Broker,
  port: number,
  host = "127.0.0.1",
): Promise<MonitoredWorker> {
  const prometheus = new Prometheus();
  broker.addMiddleware(prometheus);
  const worker = new Worker(broker, { concurrency: 8 });
  await worker.start();
  const metrics = await startMetricsServer({ port, host, collect: () => prometheus.registry.metrics() });
  return {
    worker,
    metrics,
    prometheus,
    async stop() {
      await worker.stop();
      await metrics.close();
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const monitored = await startMonitoredWorker(getBroker(), 9191);
  console.log(`worker running; metrics on ${monitored.metrics.url} (Ctrl-C to stop)`);
  process.once("SIGINT", () => void monitored.stop().then(() => getBroker().close()));
}
