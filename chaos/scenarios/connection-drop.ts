/**
 * Scenario 2 (targeted, not disruptive): RabbitMQ force-closes the connections of this
 * scenario's worker and producer (`rabbitmqctl close_connection`, by connection name) several
 * times while they work. Every `send()` ends in a confirmation or an error, the worker resumes
 * by itself and never exits, nothing confirmed is lost.
 */
import { disturbAndAwaitRecovery, RECOVERED } from "../lib/faults.js";
import { runLoadWithFaults } from "../lib/load.js";
import { closeConnectionsNamed } from "../lib/rabbit.js";
import { type Scenario, skipped } from "../lib/scenario.js";

export const scenario: Scenario = {
  name: "connection-drop",
  description: "the worker's and producer's connections force-closed by name, several times, under load",
  disruptive: false,
  run: (options) => {
    if (!options.rabbitmqctl) {
      return Promise.resolve(skipped("rabbitmqctl is not available"));
    }
    return runLoadWithFaults(options, {
      name: "conndrop",
      count: options.short ? 2_000 : 10_000,
      batch: 50,
      workMs: 5,
      processes: 1,
      concurrency: 16,
      faults: options.short ? 1 : 5,
      durationMs: options.short ? 6_000 : 20_000,
      workerMustSurvive: true,
      drainTimeoutMs: 60_000,
      fault: (context) =>
        disturbAndAwaitRecovery(
          context,
          async () => {
            const closed = await closeConnectionsNamed(context.connectionName);
            context.tally.check(
              closed >= 2,
              `fault ${context.round}: closed ${closed} connection(s), expected the worker's and the producer's`,
            );
          },
          { what: "the worker to log its recovery", timeoutMs: 20_000 },
        ),
      afterDrain(context) {
        const lost = context.worker.count("RabbitMQ connection lost; reconnecting");
        const recovered = context.worker.count(RECOVERED);
        context.tally.check(
          lost === context.round && recovered === context.round,
          `the worker logged ${lost} loss(es) and ${recovered} recovery(ies) for ${context.round} fault(s): expected one of each per fault`,
        );
      },
    });
  },
};
