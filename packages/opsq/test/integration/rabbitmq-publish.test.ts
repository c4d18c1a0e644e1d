/**
 * RabbitMQ broker: what opsq puts on the wire (read back raw with amqplib),
 * publisher confirms, returns, close, and the queue operations (counts, flush, join).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import { ConnectionClosedError, PublishError, QueueJoinTimeoutError } from "../../src/errors.js";
import { Worker } from "../../src/worker.js";
import { RabbitTestBed, requireRabbitmq, waitFor } from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe.runIf(available)("RabbitmqBroker: publishing", () => {
  const rabbit = RabbitTestBed.use({ beforeAll, afterEach, afterAll });

  it("publishes Dramatiq's seven keys with Python-compatible types, persistent, without a priority", async () => {
    // Given an actor on a fresh queue
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const probe = defineActor("wire_probe", (_a: number, _b: string) => {}, { queue, broker });

    // When sending, with kwargs too
    const sent = await probe.sendWithOptions({ args: [1, "two"], kwargs: { k: { x: 1 } } });

    // Then the raw message is what Python Dramatiq would publish
    const [raw, ...others] = await rabbit.admin.takeAll(queue);
    expect(others).toHaveLength(0);
    expect(raw!.fields.routingKey).toBe(queue);
    expect(raw!.fields.exchange).toBe("");
    expect(raw!.properties.deliveryMode).toBe(2);
    expect(raw!.properties.priority).toBeUndefined();
    // As Dramatiq's: no headers table at all (amqplib writes an empty one unless told otherwise)
    expect(raw!.properties.headers).toBeUndefined();
    const body = JSON.parse(raw!.content.toString("utf8")) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual([
      "actor_name",
      "args",
      "kwargs",
      "message_id",
      "message_timestamp",
      "options",
      "queue_name",
    ]);
    expect(body).toEqual({
      queue_name: queue,
      actor_name: "wire_probe",
      args: [1, "two"],
      kwargs: { k: { x: 1 } },
      options: {},
      message_id: sent.messageId,
      message_timestamp: sent.messageTimestamp,
    });
    expect(body.message_id).toMatch(UUID_V4);
    expect(Number.isInteger(body.message_timestamp)).toBe(true);
  });

  it("publishes a delayed message to q.DQ with queue_name q.DQ and an integer eta", async () => {
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const probe = defineActor("wire_probe", (_n: number) => {}, { queue, broker });
    const before = Date.now();

    await probe.sendWithOptions({ args: [2], delayMs: 60_000 });

    expect(await rabbit.admin.count(queue)).toBe(0);
    const [raw] = await rabbit.admin.takeAll(`${queue}.DQ`);
    expect(raw!.properties.deliveryMode).toBe(2);
    const body = JSON.parse(raw!.content.toString("utf8")) as {
      queue_name: string;
      options: { eta: number };
    };
    expect(body.queue_name).toBe(`${queue}.DQ`);
    expect(Number.isInteger(body.options.eta)).toBe(true);
    expect(body.options.eta).toBeGreaterThanOrEqual(before + 60_000);
  });

  it("sets the AMQP priority only when broker_priority is given, and keeps it in the body", async () => {
    const broker = rabbit.broker({ maxPriority: 10 });
    const queue = rabbit.admin.queue();
    const probe = defineActor("wire_probe_prio", (_n: number) => {}, { queue, broker });

    await probe.sendWithOptions({ args: [3], brokerPriority: 5 });
    await probe.send(4);

    const [withPriority, without] = await rabbit.admin.takeAll(queue);
    expect(withPriority!.properties.priority).toBe(5);
    expect(JSON.parse(withPriority!.content.toString()).options).toEqual({ broker_priority: 5 });
    expect(without!.properties.priority).toBeUndefined();
    expect(JSON.parse(without!.content.toString()).options).toEqual({});
  });

  it("rejects with PublishError when RabbitMQ returns the message because its queue is gone", async () => {
    // Given a queue declared by the broker, then deleted behind its back
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const probe = defineActor("wire_probe", () => {}, { queue, broker });
    await probe.send();
    await rabbit.admin.deleteFamily(queue);

    // When sending again (the broker believes the queue exists), then the send fails loudly
    const error = await probe.send().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(PublishError);
    expect((error as Error).message).toContain("NO_ROUTE");
    expect((error as Error).message).toContain(`"${queue}"`);

    // And the next send declares the queue again and goes through
    await probe.send();
    expect(await rabbit.admin.count(queue)).toBe(1);
  });

  it("pipelines many sends; every resolved send is in the queue", async () => {
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const probe = defineActor("wire_probe", (_n: number) => {}, { queue, broker });

    const sent = await Promise.all(Array.from({ length: 2_000 }, (_, i) => probe.send(i)));

    expect(new Set(sent.map((message) => message.messageId)).size).toBe(2_000);
    await waitFor(async () => (await rabbit.admin.count(queue)) === 2_000, {
      message: "2000 messages in the queue",
    });
  });

  it("close() settles every pending send: those that resolved are in the queue, the others failed", async () => {
    // Given many sends in flight
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const probe = defineActor("wire_probe", (_n: number) => {}, { queue, broker });
    await broker.declareQueueOnServer(queue);
    const sends = Array.from({ length: 20_000 }, (_, i) => probe.send(i));
    const settled = Promise.allSettled(sends);

    // When the broker closes as soon as the first is confirmed
    await sends[0];
    await broker.close();
    const results = await settled;

    // Then nothing was reported sent that is not in the queue, and failures are publish/connection errors
    const confirmed = results.filter((result) => result.status === "fulfilled").length;
    expect(confirmed).toBeGreaterThan(0);
    // (Usually some are still unconfirmed at close; a fast RabbitMQ may confirm them all first, which
    // is no fault, so that is not asserted.)
    for (const result of results) {
      if (result.status === "rejected") {
        expect(
          result.reason instanceof PublishError || result.reason instanceof ConnectionClosedError,
          String(result.reason),
        ).toBe(true);
      }
    }
    expect(await rabbit.admin.count(queue)).toBeGreaterThanOrEqual(confirmed);
    await expect(probe.send(-1)).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it("counts, flushes and joins a queue family", async () => {
    // Given two ready messages, one delayed, one dead letter
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const seen: number[] = [];
    const probe = defineActor("wire_probe", (n: number) => void seen.push(n), { queue, broker });
    await probe.send(1);
    await probe.send(2);
    await probe.sendWithOptions({ args: [3], delayMs: 60_000 });
    await rabbit.admin.publishRaw(`${queue}.XQ`, "dead");
    expect(await broker.getQueueCounts(queue)).toEqual({ ready: 2, delayed: 1, deadLettered: 1 });

    // When joining with no worker, then it times out
    await expect(broker.join(queue, { timeoutMs: 200 })).rejects.toBeInstanceOf(QueueJoinTimeoutError);

    // When flushing, then every queue of the family is empty
    await broker.flush(queue);
    expect(await broker.getQueueCounts(queue)).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });

    // And join waits for a worker to process what is sent
    await Promise.all([probe.send(4), probe.send(5)]);
    const worker = new Worker(broker, { concurrency: 2 });
    await worker.start();
    try {
      await broker.join(queue, { timeoutMs: 10_000 });
      expect(seen.sort()).toEqual([4, 5]);
    } finally {
      await worker.stop();
    }
  });
});
