/**
 * Coalesced acks on RabbitMQ: an ack waits at most a few milliseconds for others, even when
 * far fewer than half the prefetch are acked, and a broken connection loses only unsent acks
 * (RabbitMQ redelivers those deliveries; nothing is dropped).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Delivery } from "../../src/broker.js";
import { RabbitTestBed, requireRabbitmq, startFlakyProxy, waitFor } from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();

describe.runIf(available)("RabbitMQ consumer acks", () => {
  const rabbit = RabbitTestBed.use({ beforeAll, afterEach, afterAll });

  // A consumer (prefetch 100) of a fresh queue through a proxy that can break the connection.
  async function consumeThroughProxy(onDelivery: (delivery: Delivery) => void) {
    const proxy = await startFlakyProxy();
    rabbit.defer(() => proxy.close());
    const queue = rabbit.admin.queue();
    const broker = rabbit.broker({ url: proxy.url });
    broker.declareQueue(queue);
    await broker.consume(queue, { prefetch: 100 }, onDelivery);
    return { proxy, queue };
  }

  it("sends a few acks without waiting for half the prefetch: none is redelivered after the connection breaks", async () => {
    // Given a consumer (prefetch 100) through a proxy, acking 3 deliveries at once
    const received: Delivery[] = [];
    const { proxy, queue } = await consumeThroughProxy((delivery) => {
      received.push(delivery);
      delivery.ack();
    });
    for (const body of ["a", "b", "c"]) {
      await rabbit.admin.publishRaw(queue, body);
    }
    await waitFor(() => received.length === 3, { message: "3 deliveries" });

    // When the connection breaks 200 ms later (the acks' delay is 5 ms)
    await new Promise((resolve) => setTimeout(resolve, 200));
    proxy.outage(1_000);

    // Then I expect nothing back in the queue: the 3 acks had reached RabbitMQ
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await rabbit.admin.count(queue)).toBe(0);
  });

  it("redelivers a delivery whose ack had not been sent when the connection broke", async () => {
    // Given a consumer through a proxy that has received one delivery and not acked it yet
    const received: Delivery[] = [];
    const { proxy, queue } = await consumeThroughProxy((delivery) => void received.push(delivery));
    await rabbit.admin.publishRaw(queue, "held");
    await waitFor(() => received.length === 1, { message: "1 delivery" });

    // When the connection breaks and the ack comes after it
    proxy.outage(60_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    received[0]!.ack();

    // Then I expect RabbitMQ to hold it again, ready for another consumer
    await waitFor(async () => (await rabbit.admin.count(queue)) === 1, {
      message: "the delivery back in the queue",
    });
  });
});
