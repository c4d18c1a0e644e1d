/**
 * Scenario 2 (disruptive): RabbitMQ restarted (`rabbitmqctl stop_app`, a pause, `start_app`)
 * while producers send and workers consume. Every `send()` ends in a confirmation or an error,
 * the worker resumes by itself and never exits, nothing confirmed is lost.
 */
import { disturbAndAwaitRecovery, runLoadWithRabbitFaults } from "../lib/faults.js";
import { rabbitmqctl, waitForRabbit } from "../lib/rabbit.js";
import { type Scenario, sleep } from "../lib/scenario.js";

export const scenario: Scenario = {
  name: "rabbitmq-restart",
  description: "RabbitMQ restarted (stop_app / start_app) under load",
  disruptive: true,
  run: (options) =>
    runLoadWithRabbitFaults(options, {
      name: "restart",
      count: options.short ? 2_000 : 8_000,
      batch: 50,
      workMs: 5,
      processes: 1,
      concurrency: 16,
      faults: options.short ? 1 : 2,
      durationMs: options.short ? 4_000 : 20_000,
      workerMustSurvive: true,
      drainTimeoutMs: 90_000,
      fault: (context) =>
        disturbAndAwaitRecovery(
          context,
          async () => {
            await rabbitmqctl("stop_app");
            await sleep(options.short ? 1_000 : 3_000);
            await rabbitmqctl("start_app");
            context.tally.check(
              await waitForRabbit(60_000),
              "RabbitMQ took no AMQP connection after start_app",
            );
          },
          { what: "the worker to log its recovery" },
        ),
    }),
};
