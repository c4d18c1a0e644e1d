/**
 * QueueProbe on the live RabbitMQ: looks through one channel, a missing queue (404, which
 * closes the channel) answered as undefined without failing the looks queued behind it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RabbitmqConnection } from "../../src/brokers/rabbitmq/connection.js";
import { inspectQueue } from "../../src/brokers/rabbitmq/inspect.js";
import { QueueProbe } from "../../src/brokers/rabbitmq/queue-probe.js";
import { captureLogger, RABBITMQ_URL, RabbitTestBed, requireRabbitmq } from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();

describe.runIf(available)("QueueProbe", () => {
  const rabbit = RabbitTestBed.use({ beforeAll, afterEach, afterAll });

  it("answers counts, undefined for a missing queue, and keeps answering after the 404", async () => {
    const connection = new RabbitmqConnection({
      urls: [RABBITMQ_URL],
      heartbeatSeconds: 30,
      socketOptions: {},
      connectionName: "opsq-probe-test",
      reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
      logger: captureLogger().logger,
    });
    const probe = new QueueProbe(connection);
    try {
      const queue = rabbit.admin.queue("probe");
      await rabbit.admin.declare(queue, {});
      await rabbit.admin.publishRaw(queue, "x");
      await rabbit.admin.publishRaw(queue, "y");

      const looks = await Promise.all([
        probe.check(queue),
        probe.check(`${queue}-missing`),
        probe.check(queue),
        probe.check(`${queue}-missing`),
        probe.check(queue),
      ]);

      expect(looks.map((look) => look?.messageCount)).toEqual([2, undefined, 2, undefined, 2]);
      const inspection = await inspectQueue(connection, queue, probe);
      expect(inspection).toMatchObject({ queue, exists: true, ready: 2, delayed: 0, deadLettered: 0 });
    } finally {
      await probe.close();
      await connection.close();
    }
  });
});
