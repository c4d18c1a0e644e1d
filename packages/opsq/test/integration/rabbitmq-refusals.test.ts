/**
 * Refusals on the live RabbitMQ: messages a broker refuses for good are dead-lettered once with
 * their reason, never handed back in a loop; refused publishes reject with MessageRefusedError.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import { MessageRefusedError } from "../../src/errors.js";
import { Message } from "../../src/message.js";
import { RabbitTestBed, requireRabbitmq, uniqueQueue, waitFor } from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();

describe.runIf(available)("Refusals on RabbitmqBroker", () => {
  const rabbit = RabbitTestBed.use(
    { beforeAll, afterEach, afterAll },
    { worker: { shutdownTimeoutMs: 2_000 } },
  );

  it.each([
    ["broker_priority 300", { options: { eta: 1, broker_priority: 300 } }],
    ['queue_name ""', { queue_name: "", options: { eta: 1 } }],
    [
      "a numeric eta with broker_priority 300 on the main queue",
      { options: { eta: 1, broker_priority: 300 } },
      true,
    ],
  ])("%s: dead-lettered once, no loop", async (_what, fields, mainQueue = false) => {
    // Given a worker on a fresh queue
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue("refusal");
    const ran: unknown[] = [];
    defineActor("job", () => void ran.push(1), { queue, broker });
    const worker = await rabbit.startWorker(broker);

    // When a message breaking a rule is published raw, as a broken producer would
    const target = mainQueue ? queue : `${queue}.DQ`;
    const body = { queue_name: target, actor_name: "job", args: [], kwargs: {}, ...fields };
    await rabbit.admin.publishRaw(target, JSON.stringify(body));

    // Then I expect it dead-lettered once, and nothing else happening (no loop)
    await waitFor(async () => (await rabbit.admin.count(`${queue}.XQ`)) === 1, { message: "dead-lettered" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await rabbit.admin.count(`${queue}.XQ`)).toBe(1);
    expect(await broker.getQueueCounts(queue)).toEqual({ ready: 0, delayed: 0, deadLettered: 1 });
    expect(worker.stats).toMatchObject({ nacked: 1, acked: 0, delayed: 0 });
    expect(ran).toEqual([]);
  });

  it("refuses for good a publish with broker_priority 300, an invalid queue name or a queue RabbitMQ will not declare", async () => {
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue("refusal");
    const message = (queueName: string, options = {}) =>
      new Message({ queueName, actorName: "job", args: [], options });
    const refusal = (sending: Promise<unknown>) =>
      sending.then(
        () => undefined,
        (error: unknown) => error,
      );

    // A priority over RabbitMQ's 255
    expect(await refusal(broker.enqueue(message(queue, { broker_priority: 300 })))).toBeInstanceOf(
      MessageRefusedError,
    );
    // An empty queue name (it would declare a server-named queue)
    expect(await refusal(broker.enqueue(message("")))).toBeInstanceOf(MessageRefusedError);
    // A queue RabbitMQ refuses to declare (the reserved amq. prefix: 403 ACCESS_REFUSED)
    const reserved = await refusal(broker.enqueue(message(`amq.${uniqueQueue("opsq")}`)));
    expect(reserved).toBeInstanceOf(MessageRefusedError);
    expect(String(reserved)).toMatch(/ACCESS_REFUSED/);

    // And the broker still publishes good messages afterwards
    await broker.enqueue(message(queue));
    await waitFor(async () => (await rabbit.admin.count(queue)) === 1, { message: "published" });
  });
});
