import { describe, expect, it } from "vitest";
import type { Delivery } from "../../../src/broker.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { QueueJoinTimeoutError } from "../../../src/errors.js";
import { Message } from "../../../src/message.js";
import * as testing from "../../../src/testing.js";
import { quietLogger } from "../helpers.js";

function stubBroker(): StubBroker {
  return new StubBroker({ middleware: [], logger: quietLogger() });
}

function message(n: number, queueName = "q"): Message {
  return new Message({ queueName, actorName: "a", args: [n] });
}

function argOf(delivery: Delivery): unknown {
  return Message.decode(delivery.body).args[0];
}

/** One macrotask: the stub dispatches in microtasks, so everything due has been handed out. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("StubBroker", () => {
  it("is what opsq/testing exports", () => {
    expect(testing.StubBroker).toBe(StubBroker);
  });

  it("delivers in publish order and respects the prefetch", async () => {
    // Given five messages and a consumer with a prefetch of 2
    const broker = stubBroker();
    for (let n = 1; n <= 5; n++) {
      await broker.enqueue(message(n));
    }
    const deliveries: Delivery[] = [];
    await broker.consume("q", { prefetch: 2 }, (d) => deliveries.push(d));
    await tick();

    // Then I expect only the first two
    expect(deliveries.map(argOf)).toEqual([1, 2]);

    // And when one is acked, the next one
    deliveries[0]!.ack();
    await tick();
    expect(deliveries.map(argOf)).toEqual([1, 2, 3]);
    expect(await broker.getQueueCounts("q")).toMatchObject({ ready: 2 });
  });

  it("shares deliveries round-robin between consumers", async () => {
    const broker = stubBroker();
    const seen: [string, unknown][] = [];
    await broker.consume("q", { prefetch: 10 }, (d) => seen.push(["x", argOf(d)]));
    await broker.consume("q", { prefetch: 10 }, (d) => seen.push(["y", argOf(d)]));
    for (let n = 1; n <= 4; n++) {
      await broker.enqueue(message(n));
    }
    await tick();
    expect(seen).toEqual([
      ["x", 1],
      ["y", 2],
      ["x", 3],
      ["y", 4],
    ]);
  });

  it("puts a requeued delivery first, flagged redelivered", async () => {
    // Given two messages and a consumer that takes one at a time
    const broker = stubBroker();
    await broker.enqueue(message(1));
    await broker.enqueue(message(2));
    const deliveries: Delivery[] = [];
    const consumer = await broker.consume("q", { prefetch: 1 }, (d) => deliveries.push(d));
    await tick();

    // When the first is handed back
    deliveries[0]!.requeue();
    await tick();

    // Then I expect it again, before the second, marked redelivered
    expect(deliveries.map(argOf)).toEqual([1, 1]);
    expect(deliveries.map((d) => d.redelivered)).toEqual([false, true]);
    await consumer.cancel();
  });

  it("dead-letters a nacked delivery with its reason, and refuses to settle twice", async () => {
    // Given a delivery
    const broker = stubBroker();
    await broker.enqueue(message(1));
    const deliveries: Delivery[] = [];
    await broker.consume("q", { prefetch: 1 }, (d) => deliveries.push(d));
    await tick();

    // When it is nacked
    const reason = new Error("bad");
    deliveries[0]!.nack(reason);

    // Then I expect it in the dead letters with the reason, and a second settle refused
    expect(broker.deadLetters("q")).toEqual([{ body: deliveries[0]!.body, reason }]);
    expect(broker.deadLetteredMessages("q").map((m) => m.args)).toEqual([[1]]);
    expect(await broker.getQueueCounts("q")).toEqual({ ready: 0, delayed: 0, deadLettered: 1 });
    expect(() => deliveries[0]!.ack()).toThrow(/already settled/);
  });

  it("dead-letters .DQ deliveries to the same .XQ", async () => {
    const broker = stubBroker();
    await broker.enqueue(message(1), { delayMs: 10_000 });
    const deliveries: Delivery[] = [];
    await broker.consume("q.DQ", { prefetch: 1 }, (d) => deliveries.push(d));
    await tick();
    deliveries[0]!.nack();
    expect(broker.deadLetters("q")).toHaveLength(1);
    expect(broker.deadLetters("q.DQ")).toBe(broker.deadLetters("q"));
  });

  it("skips undecodable bodies in deadLetteredMessages", async () => {
    const broker = stubBroker();
    broker.publishRaw("q", "garbage");
    const deliveries: Delivery[] = [];
    await broker.consume("q", { prefetch: 1 }, (d) => deliveries.push(d));
    await tick();
    deliveries[0]!.nack();
    expect(broker.deadLetters("q")).toHaveLength(1);
    expect(broker.deadLetteredMessages("q")).toEqual([]);
  });

  it("join waits for ready and unacked messages of q and q.DQ", async () => {
    // Given one message in q, held unacked, and one in q.DQ
    const broker = stubBroker();
    await broker.enqueue(message(1));
    await broker.enqueue(message(2), { delayMs: 10_000 });
    const deliveries: Delivery[] = [];
    await broker.consume("q", { prefetch: 1 }, (d) => deliveries.push(d));
    await broker.consume("q.DQ", { prefetch: 1 }, (d) => deliveries.push(d));
    await tick();
    let joined = false;
    const joining = broker.join("q").then(() => {
      joined = true;
    });

    // When only the first is acked, then I expect join still waiting
    deliveries[0]!.ack();
    await tick();
    expect(joined).toBe(false);

    // And when the second is acked, I expect it to resolve
    deliveries[1]!.ack();
    await joining;
    expect(joined).toBe(true);
  });

  it("join resolves at once on an empty queue, and ignores dead letters", async () => {
    const broker = stubBroker();
    await broker.join("never-used");
    broker.publishRaw("q", "x");
    const deliveries: Delivery[] = [];
    await broker.consume("q", { prefetch: 1 }, (d) => deliveries.push(d));
    await tick();
    deliveries[0]!.nack();
    await broker.join("q");
  });

  it("join rejects with QueueJoinTimeoutError after timeoutMs", async () => {
    const broker = stubBroker();
    await broker.enqueue(message(1));
    await expect(broker.join("q", { timeoutMs: 20 })).rejects.toThrow(QueueJoinTimeoutError);
  });

  it("join with failFast rejects with the reason of a new dead letter", async () => {
    // Given an old dead letter, then a consumer
    const broker = stubBroker();
    await broker.enqueue(message(1));
    await broker.enqueue(message(2));
    const deliveries: Delivery[] = [];
    await broker.consume("q", { prefetch: 1 }, (d) => deliveries.push(d));
    await tick();
    deliveries[0]!.nack(new Error("old"));
    await tick();

    // When join(failFast) runs and a message is dead-lettered after it began
    const joining = broker.join("q", { failFast: true });
    deliveries[1]!.nack(new Error("new"));

    // Then I expect it to reject with the new reason
    await expect(joining).rejects.toThrow("new");
  });

  it("flush empties q, q.DQ and q.XQ and wakes joiners", async () => {
    const broker = stubBroker();
    await broker.enqueue(message(1));
    await broker.enqueue(message(2), { delayMs: 10_000 });
    broker.publishRaw("q.XQ", "x");
    const joining = broker.join("q");
    await broker.flush("q");
    await joining;
    expect(await broker.getQueueCounts("q")).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
  });

  it("stops delivering to a cancelled consumer, and a second cancel leaves other consumers alone", async () => {
    // Given two consumers on a queue
    const broker = stubBroker();
    const seen: string[] = [];
    const first = await broker.consume("q", { prefetch: 10 }, () => seen.push("first"));
    await broker.consume("q", { prefetch: 10 }, () => seen.push("second"));

    // When the first is cancelled twice
    await first.cancel();
    await first.cancel();
    await broker.enqueue(message(1));
    await broker.enqueue(message(2));
    await tick();

    // Then I expect every delivery to go to the second
    expect(seen).toEqual(["second", "second"]);
  });

  it("close stops every consumer", async () => {
    const broker = stubBroker();
    const seen: unknown[] = [];
    await broker.consume("q", { prefetch: 10 }, (d) => seen.push(argOf(d)));
    await broker.close();
    await broker.enqueue(message(1));
    await tick();
    expect(seen).toEqual([]);
    expect(await broker.getQueueCounts("q")).toMatchObject({ ready: 1 });
  });
});
