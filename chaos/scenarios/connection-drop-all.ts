/**
 * Scenario 2 (disruptive): `rabbitmqctl close_all_connections` several times while producers
 * send and workers consume. Every `send()` ends in a confirmation or an error, the worker
 * resumes by itself and never exits, nothing confirmed is lost.
 */
import { disturbAndAwaitRecovery, runLoadWithRabbitFaults } from "../lib/faults.js";
import { rabbitmqctl } from "../lib/rabbit.js";
import type { Scenario } from "../lib/scenario.js";

export const scenario: Scenario = {
  name: "connection-drop-all",
  description: "every RabbitMQ connection force-closed (close_all_connections), several times, under load",
  disruptive: true,
  run: (options) =>
    runLoadWithRabbitFaults(options, {
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
      fault: (context) =>
        // Both worker processes of the supervisor recover.
        disturbAndAwaitRecovery(
          context,
          () => rabbitmqctl("close_all_connections", "opsq chaos: every connection force-closed"),
          { what: "both worker processes to log their recovery", recoveries: 2 },
        ),
      afterDrain(context) {
        const restarts = context.worker.count("worker process died; restarting it");
        context.tally.check(restarts === 0, `${restarts} worker process(es) died and were restarted`);
      },
    }),
};
