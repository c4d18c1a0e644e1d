/**
 * examples/python-producer: the opsq actor runs the exact bytes Python Dramatiq publishes.
 * The bodies are golden recordings of Dramatiq 2.2.0 (the repository's wire fixtures,
 * `send(1, "two", k={"x": 1})` and a delayed `send_with_options(args=(2,), delay=60000)`) with
 * only their queue name, actor name, arguments and eta set to this example's; the layout (key
 * order, separators) is Dramatiq's byte for byte. Python itself is not run here.
 */
import { setBroker, Worker } from "opsq";
import { StubBroker } from "opsq/testing";
import { describe, expect, it } from "vitest";
import { silentLogger } from "./silent-logger.js";

// What `process_order.send("order-17", 3, priority="high")` publishes to example-orders.
const PLAIN =
  '{"queue_name":"example-orders","actor_name":"process_order","args":["order-17",3],"kwargs":{"priority":"high"},"options":{},"message_id":"022eb8fb-81bc-4099-b6e1-b67299344568","message_timestamp":1795425561544}';
// What `process_order.send("order-18", 1)` publishes: no kwargs.
const NO_KWARGS =
  '{"queue_name":"example-orders","actor_name":"process_order","args":["order-18",1],"kwargs":{},"options":{},"message_id":"4a16f1e4-616f-4dab-9f15-29c02a0d5be1","message_timestamp":1795425561557}';
// What `send_with_options(args=("order-19", 2), delay=…)` publishes to example-orders.DQ (eta due now).
const delayed = (etaMs: number) =>
  `{"queue_name":"example-orders.DQ","actor_name":"process_order","args":["order-19",2],"kwargs":{},"options":{"eta":${etaMs}},"message_id":"334b72fd-cdd8-4084-8173-886a1cb9313d","message_timestamp":1795425561556}`;

describe("examples/python-producer", () => {
  it("runs the bodies a Python Dramatiq producer publishes, kwargs as the trailing object", async () => {
    // Given the example's actor on a StubBroker, and a worker
    const broker = new StubBroker({ logger: silentLogger });
    setBroker(broker);
    const { handled } = await import("../actors.js");
    const worker = new Worker(broker, { concurrency: 2 });
    await worker.start();

    try {
      // When Dramatiq's bytes arrive on the queue and its delay queue
      broker.publishRaw("example-orders", PLAIN);
      broker.publishRaw("example-orders", NO_KWARGS);
      broker.publishRaw("example-orders.DQ", delayed(Date.now() + 200));
      await broker.join("example-orders", { timeoutMs: 10_000 });

      // Then each ran once with its arguments, and none was dead-lettered
      expect([...handled].sort((a, b) => a.orderId.localeCompare(b.orderId))).toEqual([
        { orderId: "order-17", quantity: 3, priority: "high" },
        { orderId: "order-18", quantity: 1, priority: "normal" },
        { orderId: "order-19", quantity: 2, priority: "normal" },
      ]);
      expect(broker.deadLetters("example-orders")).toEqual([]);
    } finally {
      await worker.stop();
      await broker.close();
    }
  });
});
