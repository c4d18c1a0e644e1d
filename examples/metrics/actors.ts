/**
 * Two actors to watch in Prometheus: one fast, one that fails now and then.
 *
 * Run a worker that serves their metrics:
 *   npx opsq worker ./actors.ts --metrics-port 9191
 *   curl -s localhost:9191/metrics | grep dramatiq_messages_total
 */
import { defineActor } from "opsq";

/** Resizes an image (here: waits 20 ms). */
export const resize = defineActor(
  "metrics_resize",
  async (width: number) => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return width / 2;
  },
  { queue: "example-metrics" },
);

/** Fails when `fail` is true; the failure is counted as an error, then a retry or a reject. */
export const flaky = defineActor(
  "metrics_flaky",
  (fail: boolean) => {
    if (fail) throw new Error("upstream said no");
  },
  { queue: "example-metrics", maxRetries: 1, minBackoffMs: 10, maxBackoffMs: 10 },
);
