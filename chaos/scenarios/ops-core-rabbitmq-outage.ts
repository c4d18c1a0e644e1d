/**
 * Scenario (disruptive): RabbitMQ stopped (`rabbitmqctl stop_app`, a few seconds, `start_app`)
 * while agent tasks are being submitted to `opsq worker ops-core/actors`. The submissions caught
 * by the outage cannot publish: their tasks stay `pending` with their messages in the outbox,
 * and the submissions still succeed. Once RabbitMQ is back, the worker's outbox relay sends
 * them. What must hold: every task ends `completed`, exactly once, and none ran twice (one
 * claim and one LLM request per task); nothing is dead-lettered; the worker never exits.
 *
 * Before the outbox, such a task was marked `failed: enqueue failed` and `submit` exited 3.
 */
import { runOpsCoreLoad } from "../lib/ops-load.js";
import { ensureRabbitRunning, hasRabbitmqctl, rabbitmqctl, waitForRabbit } from "../lib/rabbit.js";
import { type Scenario, skipped, sleep } from "../lib/scenario.js";

export const scenario: Scenario = {
  name: "ops-core-rabbitmq-outage",
  description:
    "RabbitMQ stopped while ops-core tasks are submitted: they wait in the outbox, then all complete, none twice",
  disruptive: true,
  async run(options) {
    if (!(await hasRabbitmqctl())) {
      return skipped("rabbitmqctl is not available");
    }
    // Well under 30 s: other users of the broker only see a short outage.
    const outageMs = options.short ? 4_000 : 8_000;
    try {
      return await runOpsCoreLoad(options, {
        name: "mqoutage",
        tasks: options.short ? 80 : 200,
        batch: 4,
        pauseMs: 150,
        llmDelayMs: 20,
        concurrency: 8,
        env: { OPS_CORE_OUTBOX_INTERVAL_MS: "500", OPS_CORE_OUTBOX_GRACE_MS: "2000" },
        faults: 1,
        faultEveryMs: 0,
        workerMustSurvive: true,
        drainTimeoutMs: 90_000,
        // A submission must not fail at all: during the outage it leaves its message in the outbox.
        retrySubmissions: false,
        exactlyOnce: true,
        minDeferred: 1,
        // A submission waits at most this long for RabbitMQ before leaving the message to the relay.
        bed: { producerConfirmTimeoutMs: 1_000 },
        async fault(context) {
          await rabbitmqctl("stop_app");
          try {
            await sleep(outageMs);
          } finally {
            await rabbitmqctl("start_app");
          }
          context.tally.check(
            await waitForRabbit(60_000),
            "RabbitMQ took no AMQP connection after start_app",
          );
        },
      });
    } finally {
      await ensureRabbitRunning();
    }
  },
};
