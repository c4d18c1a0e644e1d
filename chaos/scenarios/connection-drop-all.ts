/**
 * Scenario 2 (disruptive): `rabbitmqctl close_all_connections` several times while producers
 * send and workers consume. Every `send()` ends in a confirmation or an error, the worker
 * resumes by itself and never exits, nothing confirmed is lost.
 */
import { runLoadWithFaults } from "../lib/load.js";
import { ensureRabbitRunning, rabbitmqctl } from "../lib/rabbit.js";
import { type Scenario, skipped } from "../lib/scenario.js";

export const scenario: Scenario = {
  name: "connection-drop-all",
  description: "every RabbitMQ connection force-closed (close_all_connections), several times, under load",
  disruptive: true,
  async run(options) {
    if (!options.rabbitmqctl) {
      return skipped("rabbitmqctl is not available");
    }
    try {
      return await runLoadWithFaults(options, {
        name: "dropall",
        count: options.short ? 2_000 : 10_000,
        batch: 50,
        workMs: 5,
        processes: 2,
        concurrency: 8,
        faults: options.short ? 2 : 4,
        durationMs: options.short ? 4_000 : 20_000,
        workerMustSurvive: true,
        drainTimeoutMs: 60_000,
        async fault(context) {
          const recoveredBefore = context.worker.count("RabbitMQ connection recovered");
          await rabbitmqctl("close_all_connections", "opsq chaos: every connection force-closed");
          // Both worker processes of the supervisor recover.
          await context.worker.waitFor(
            () => context.worker.count("RabbitMQ connection recovered") >= recoveredBefore + 2,
            "both worker processes to log their recovery",
            30_000,
          );
        },
        afterDrain(context) {
          const restarts = context.worker.count("worker process died; restarting it");
          context.tally.check(restarts === 0, `${restarts} worker process(es) died and were restarted`);
        },
      });
    } finally {
      await ensureRabbitRunning();
    }
  },
};
