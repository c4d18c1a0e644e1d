/**
 * The broker-wide queue settings: options over OPSQ_QUEUE_TYPE / OPSQ_DELIVERY_LIMIT over the
 * classic default, and the one-line refusals of what quorum queues cannot have.
 */
import { describe, expect, it } from "vitest";
import { resolveQueueSettings } from "../../../src/brokers/rabbitmq/queue-settings.js";
import { RabbitmqBroker } from "../../../src/brokers/rabbitmq.js";

describe("resolveQueueSettings", () => {
  it("defaults to Dramatiq's classic queues", () => {
    expect(resolveQueueSettings({}, {})).toEqual({
      queueType: "classic",
      deliveryLimit: undefined,
      maxPriority: undefined,
    });
    expect(resolveQueueSettings({ maxPriority: 10 }, { OPSQ_QUEUE_TYPE: "" }).maxPriority).toBe(10);
  });

  it("takes the environment when no option is given, and options over it", () => {
    const env = { OPSQ_QUEUE_TYPE: "quorum", OPSQ_DELIVERY_LIMIT: " 5 " };
    expect(resolveQueueSettings({}, env)).toMatchObject({ queueType: "quorum", deliveryLimit: 5 });
    expect(resolveQueueSettings({ deliveryLimit: 2 }, env)).toMatchObject({ deliveryLimit: 2 });
    expect(resolveQueueSettings({ queueType: "classic" }, { OPSQ_QUEUE_TYPE: "quorum" }).queueType).toBe(
      "classic",
    );
  });

  it("names the variable a bad value came from", () => {
    expect(() => resolveQueueSettings({}, { OPSQ_QUEUE_TYPE: "stream" })).toThrow(
      'OPSQ_QUEUE_TYPE must be "classic" or "quorum", got "stream"',
    );
    expect(() => resolveQueueSettings({}, { OPSQ_QUEUE_TYPE: "quorum", OPSQ_DELIVERY_LIMIT: "x" })).toThrow(
      "OPSQ_DELIVERY_LIMIT must be a whole number ≥ 0, got NaN",
    );
    expect(() => resolveQueueSettings({}, { OPSQ_DELIVERY_LIMIT: "3" })).toThrow(
      'OPSQ_DELIVERY_LIMIT needs queueType "quorum"',
    );
    expect(() => resolveQueueSettings({ maxPriority: 10 }, { OPSQ_QUEUE_TYPE: "quorum" })).toThrow(
      /^maxPriority cannot be used with queueType "quorum" \(from OPSQ_QUEUE_TYPE\)/,
    );
  });

  it("refuses a bad maxPriority", () => {
    expect(() => resolveQueueSettings({ maxPriority: 0 })).toThrow(/from 1 to 255, got 0/);
  });
});

describe("RabbitmqBroker queue type from the environment", () => {
  it("declares quorum queues when OPSQ_QUEUE_TYPE says so", () => {
    process.env.OPSQ_QUEUE_TYPE = "quorum";
    process.env.OPSQ_DELIVERY_LIMIT = "4";
    try {
      const broker = new RabbitmqBroker();
      expect(broker.queueType).toBe("quorum");
      expect(broker.deliveryLimit).toBe(4);
    } finally {
      delete process.env.OPSQ_QUEUE_TYPE;
      delete process.env.OPSQ_DELIVERY_LIMIT;
    }
  });
});
