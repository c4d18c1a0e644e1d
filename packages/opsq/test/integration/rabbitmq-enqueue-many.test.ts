/**
 * Batch enqueue on the live RabbitMQ: 1000 messages confirmed in one burst and consumed, the raw
 * bodies ordinary Dramatiq messages, and a batch where part is refused (returned by RabbitMQ, or
 * too large) giving per-message failures while the rest is confirmed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import { MessageRefusedError, MessageTooLargeError } from "../../src/errors.js";
import { RabbitTestBed, requireRabbitmq, waitFor } from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();

describe.runIf(available)("RabbitmqBroker: enqueueMany", () => {
  const rabbit = RabbitTestBed.use({ beforeAll, afterEach, afterAll });

  it("confirms 1000 messages sent at once, and a worker runs each of them once", async () => {
    // Given an actor counting what it runs
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const seen = new Set<number>();
    let runs = 0;
    const count = defineActor(
      "count",
      (n: number) => {
        runs++;
        seen.add(n);
      },
      { queue, broker },
    );

    // When sending 1000 argument lists in one batch
    const argsList = Array.from({ length: 1_000 }, (_, i): [number] => [i]);
    const results = await count.sendMany(argsList);

    // Then all 1000 are confirmed, in input order, and in the queue
    expect(results.filter((r) => r.ok)).toHaveLength(1_000);
    expect(results.map((r) => r.message.args[0])).toEqual(argsList.map(([n]) => n));
    expect(await rabbit.admin.count(queue)).toBe(1_000);

    // And a worker runs each exactly once
    await rabbit.startWorker(broker, { concurrency: 8 });
    await waitFor(() => seen.size === 1_000, { timeoutMs: 30_000, message: "1000 messages run" });
    await broker.join(queue, { timeoutMs: 10_000 });
    expect(runs).toBe(1_000);
  });

  it("puts ordinary Dramatiq messages on the wire, persistent", async () => {
    // Given an actor
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const probe = defineActor("wire_probe", (_a: number, _b: string) => {}, { queue, broker });

    // When sending two at once
    const results = await probe.sendMany([
      [1, "a"],
      [2, "b"],
    ]);

    // Then the raw bodies are the seven Dramatiq keys of each message, persistent
    const raws = await rabbit.admin.takeAll(queue);
    expect(raws).toHaveLength(2);
    for (const [i, raw] of raws.entries()) {
      expect(raw.properties.deliveryMode).toBe(2);
      const sent = results[i]!.message;
      expect(JSON.parse(raw.content.toString("utf8"))).toEqual({
        queue_name: queue,
        actor_name: "wire_probe",
        args: sent.args,
        kwargs: {},
        options: {},
        message_id: sent.messageId,
        message_timestamp: sent.messageTimestamp,
      });
    }
  });

  it("reports the messages RabbitMQ refuses or that are too large, and confirms the rest", async () => {
    // Given two actors on two queues, one of them deleted behind the broker's back, and a 2 KiB limit
    const broker = rabbit.broker({ maxMessageBytes: 2_048 });
    const kept = rabbit.admin.queue();
    const gone = rabbit.admin.queue();
    const good = defineActor("good", (_s: string) => {}, { queue: kept, broker });
    const lost = defineActor("lost", (_s: string) => {}, { queue: gone, broker });
    await broker.declareQueueOnServer(kept);
    await broker.declareQueueOnServer(gone);
    await rabbit.admin.deleteFamily(gone);

    // When enqueueing a mix: 5 good, 3 to the deleted queue (returned: mandatory), 1 too large
    const messages = [
      good.message("g0"),
      lost.message("l0"),
      good.message("g1"),
      good.message("x".repeat(4_096)),
      lost.message("l1"),
      good.message("g2"),
      good.message("g3"),
      lost.message("l2"),
      good.message("g4"),
    ];
    const results = await broker.enqueueMany(messages);

    // Then every message has its own result, in input order
    expect(results.map((r) => r.ok)).toEqual([true, false, true, false, false, true, true, false, true]);
    for (const i of [1, 4, 7]) {
      const result = results[i]!;
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error).toBeInstanceOf(MessageRefusedError);
      expect(!result.ok && result.error.message).toContain(`"${gone}"`);
    }
    expect(!results[3]!.ok && results[3]!.error).toBeInstanceOf(MessageTooLargeError);
    // And the confirmed ones are in their queue
    const raws = await rabbit.admin.takeAll(kept);
    expect(raws.map((raw) => JSON.parse(raw.content.toString("utf8")).args[0])).toEqual([
      "g0",
      "g1",
      "g2",
      "g3",
      "g4",
    ]);
  });

  it("delays a batch to q.DQ", async () => {
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const probe = defineActor("wire_probe", (_n: number) => {}, { queue, broker });

    const results = await probe.sendMany([[1], [2], [3]], { delayMs: 60_000 });

    expect(results.every((r) => r.ok)).toBe(true);
    expect(await broker.getQueueCounts(queue)).toMatchObject({ ready: 0, delayed: 3 });
  });
});
