/**
 * The publisher retires a channel that nacks (at most every 250 ms), on stand-in channels: after a
 * quorum queue's leader died, RabbitMQ 3.10 can nack every later publish on a channel opened
 * before the new leader was known, while a fresh channel works.
 */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { RabbitmqConnection } from "../../../../src/brokers/rabbitmq/connection.js";
import { Publisher } from "../../../../src/brokers/rabbitmq/publisher.js";
import { MessageRefusedError, PublishError } from "../../../../src/errors.js";
import { createLogger } from "../../../../src/logger.js";

class FakeChannel extends EventEmitter {
  readonly confirms: ((error: Error | null) => void)[] = [];
  closed = false;
  sendMessage(): boolean {
    return true;
  }
  pushConfirmCallback(callback: (error: Error | null) => void): void {
    this.confirms.push(callback);
  }
  async close(): Promise<void> {
    this.closed = true;
    for (const callback of this.confirms.splice(0)) {
      callback(new Error("channel closed"));
    }
    this.emit("close");
  }
  /** Settles the oldest unconfirmed publish: ack, or nack. */
  settle(outcome: "ack" | "nack"): void {
    this.confirms.shift()!(outcome === "ack" ? null : new Error("message nacked"));
  }
}

function setUp() {
  const channels: FakeChannel[] = [];
  const model = {
    createConfirmChannel: async () => {
      const channel = new FakeChannel();
      channels.push(channel);
      return channel;
    },
  };
  const connection = {
    isOpen: true,
    redactedUrl: "amqp://u:***@a:5672",
    ready: async () => model,
  } as unknown as RabbitmqConnection;
  const publisher = new Publisher(connection, 5_000, createLogger({ level: "silent" }), () => {});
  return { channels, publisher };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const outcome = (sent: Promise<void>) =>
  sent.then(
    () => "confirmed",
    (error: unknown) => error,
  );

describe("Publisher after a nack", () => {
  it("publishes on a fresh channel, fails what the old one held, and retires at most every 250 ms", async () => {
    const { channels, publisher } = setUp();
    const first = outcome(publisher.publish("q", Buffer.from("1")));
    const second = outcome(publisher.publish("q", Buffer.from("2")));
    await tick();
    expect(channels).toHaveLength(1);

    // When RabbitMQ nacks the first message
    channels[0]!.settle("nack");

    // Then it is refused, the channel is retired, and what it still held fails as lost
    expect(await first).toBeInstanceOf(MessageRefusedError);
    expect(channels[0]!.closed).toBe(true);
    expect(await second).toBeInstanceOf(PublishError);

    // And the next message goes on a new channel and is confirmed there
    const third = outcome(publisher.publish("q", Buffer.from("3")));
    await tick();
    expect(channels).toHaveLength(2);
    channels[1]!.settle("ack");
    expect(await third).toBe("confirmed");

    // A second nack within 250 ms keeps the channel
    const fourth = outcome(publisher.publish("q", Buffer.from("4")));
    await tick();
    channels[1]!.settle("nack");
    expect(await fourth).toBeInstanceOf(MessageRefusedError);
    expect(channels[1]!.closed).toBe(false);

    // After 250 ms, a nack retires it again
    await new Promise((resolve) => setTimeout(resolve, 260));
    const fifth = outcome(publisher.publish("q", Buffer.from("5")));
    await tick();
    channels[1]!.settle("nack");
    expect(await fifth).toBeInstanceOf(MessageRefusedError);
    expect(channels[1]!.closed).toBe(true);
    publisher.close();
  });
});
