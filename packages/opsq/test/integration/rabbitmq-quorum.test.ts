/**
 * Quorum queues on the live RabbitMQ (a single node is enough): the topology's
 * arguments, a message sent and processed, `deliveryLimit` dead-lettering a
 * message that keeps being handed back, and the options refused up front.
 */
import amqp from "amqplib";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import { RabbitmqBroker, type RabbitmqBrokerOptions } from "../../src/brokers/rabbitmq.js";
import { BrokerError, InequivalentQueueError } from "../../src/errors.js";
import type { MessageDict } from "../../src/message.js";
import {
  hasRabbitmqctl,
  RABBITMQ_URL,
  RabbitTestBed,
  rabbitmqctl,
  requireRabbitmq,
  waitFor,
} from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();
const withRabbitmqctl = available && (await hasRabbitmqctl());

describe("RabbitmqBroker quorum options", () => {
  it("refuses maxPriority with quorum queues in one line", () => {
    expect(() => new RabbitmqBroker({ queueType: "quorum", maxPriority: 10 })).toThrow(
      /^maxPriority cannot be used with queueType "quorum": quorum queues have no priorities/,
    );
  });

  it("refuses deliveryLimit on classic queues, and a bad deliveryLimit or queueType", () => {
    expect(() => new RabbitmqBroker({ deliveryLimit: 3 })).toThrow(/deliveryLimit needs queueType "quorum"/);
    expect(() => new RabbitmqBroker({ queueType: "quorum", deliveryLimit: -1 })).toThrow(RangeError);
    expect(() => new RabbitmqBroker({ queueType: "stream" as RabbitmqBrokerOptions["queueType"] })).toThrow(
      /queueType must be "classic" or "quorum"/,
    );
  });
});

describe.runIf(available)("RabbitmqBroker with quorum queues", () => {
  const rabbit = RabbitTestBed.use(
    { beforeAll, afterEach, afterAll },
    { broker: { queueType: "quorum" }, worker: { shutdownTimeoutMs: 2_000 } },
  );

  it.runIf(withRabbitmqctl)(
    "declares q, q.DQ and q.XQ as quorum queues; x-delivery-limit on q only; classic stays Dramatiq's",
    async () => {
      // Given a quorum family with a delivery limit, and a classic one
      const quorum = rabbit.admin.queue("quorum");
      const classic = rabbit.admin.queue("classic");
      await rabbit.broker({ deliveryLimit: 3 }).declareQueueOnServer(quorum);
      await rabbit.broker({ queueType: "classic" }).declareQueueOnServer(classic);

      // When listing them
      // (the JSON formatter lists arguments as [name, AMQP type, value] triples)
      const listing = (
        JSON.parse(
          await rabbitmqctl("list_queues", "name", "type", "durable", "arguments", "--formatter", "json"),
        ) as { name: string; type: string; durable: boolean; arguments: [string, string, unknown][] }[]
      ).map((queue) => ({
        ...queue,
        arguments: Object.fromEntries(queue.arguments.map(([k, , v]) => [k, v])),
      }));
      const byName = new Map(listing.map((queue) => [queue.name, queue]));

      // Then the quorum family has its type and arguments
      const dl = { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": `${quorum}.XQ` };
      expect(byName.get(quorum)).toMatchObject({
        type: "quorum",
        durable: true,
        arguments: { ...dl, "x-queue-type": "quorum", "x-delivery-limit": 3 },
      });
      expect(byName.get(`${quorum}.DQ`)).toMatchObject({
        type: "quorum",
        arguments: { ...dl, "x-queue-type": "quorum" },
      });
      expect(byName.get(`${quorum}.DQ`)!.arguments).not.toHaveProperty("x-delivery-limit");
      expect(byName.get(`${quorum}.XQ`)).toMatchObject({
        type: "quorum",
        arguments: { "x-message-ttl": 604_800_000, "x-queue-type": "quorum" },
      });

      // And the classic family is exactly Dramatiq's (no x-queue-type argument)
      expect(byName.get(classic)).toMatchObject({
        type: "classic",
        arguments: { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": `${classic}.XQ` },
      });
      expect(Object.keys(byName.get(classic)!.arguments)).toHaveLength(2);
      expect(byName.get(`${classic}.XQ`)!.arguments).toEqual({ "x-message-ttl": 604_800_000 });
    },
  );

  it("sends and processes a message, and a delayed one, on quorum queues", async () => {
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue("quorum");
    const results: number[] = [];
    const add = defineActor("q_add", (x: number, y: number) => void results.push(x + y), { queue, broker });
    await rabbit.startWorker(broker);

    await add.send(1, 2);
    await add.sendWithOptions({ args: [20, 22], delayMs: 300 });

    await waitFor(() => results.length === 2, { message: "both messages ran" });
    expect(results.sort()).toEqual([3, 42]);
    await broker.join(queue, { timeoutMs: 5_000 });
    expect(await broker.getQueueCounts(queue)).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
  });

  it("deliveryLimit: RabbitMQ dead-letters a message handed back more than N times", async () => {
    // Given a quorum queue with a delivery limit of 2, and a message on it
    const broker = rabbit.broker({ deliveryLimit: 2 });
    const queue = rabbit.admin.queue("poison");
    const poison = defineActor("q_poison", () => {}, { queue, broker });
    const sent = await poison.send();

    // When a consumer keeps handing it back (as a worker crashing on it would)
    const connection = await amqp.connect(RABBITMQ_URL);
    let deliveries = 0;
    try {
      const channel = await connection.createChannel();
      await channel.consume(queue, (message) => {
        if (message !== null) {
          deliveries++;
          channel.nack(message, false, true);
        }
      });
      await waitFor(async () => (await rabbit.admin.count(`${queue}.XQ`)) === 1, {
        message: "the message dead-lettered",
      });
    } finally {
      await connection.close();
    }

    // Then it was delivered limit + 1 times, then dead-lettered with reason delivery_limit
    expect(deliveries).toBe(3);
    const [dead] = await broker.readDeadLetters(queue);
    expect(dead).toMatchObject({ messageId: sent.messageId, actor: "q_poison" });
    expect(dead!.deaths[0]).toMatchObject({ reason: "delivery_limit", queue });
    const [raw] = await rabbit.admin.takeAll(`${queue}.XQ`);
    expect((JSON.parse(raw!.content.toString()) as MessageDict).message_id).toBe(sent.messageId);
  });

  it("a classic queue in the way is an InequivalentQueueError naming x-queue-type", async () => {
    const queue = rabbit.admin.queue("quorum");
    await rabbit.admin.declare(queue, {
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": `${queue}.XQ`,
    });
    const error = await rabbit
      .broker()
      .declareQueueOnServer(queue)
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(error).toBeInstanceOf(InequivalentQueueError);
    expect((error as Error).message).toContain("x-queue-type");
    expect((error as Error).message).not.toContain("\n");
  });

  it("a quorum queue RabbitMQ refuses to create is a one-line BrokerError saying so", async () => {
    // Given a name RabbitMQ refuses (the reserved amq. prefix), standing in for a server without quorum queues
    const broker = rabbit.broker();
    const error = await broker.declareQueueOnServer("amq.opsq-quorum-refused").then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as Error).message).toMatch(
      /^RabbitMQ refused to declare quorum queue "amq\.opsq-quorum-refused"/,
    );
    expect((error as Error).message).toContain("ACCESS_REFUSED");
    expect((error as Error).message).not.toContain("\n");

    // And the broker keeps working
    const other = rabbit.admin.queue("quorum");
    await broker.declareQueueOnServer(other);
    expect(await broker.getQueueCounts(other)).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
  });
});
