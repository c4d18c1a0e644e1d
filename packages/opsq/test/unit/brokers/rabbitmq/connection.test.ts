/**
 * RabbitmqConnection with several nodes, on a stand-in for amqplib's `connect`: each attempt
 * tries every node once, in a shuffled order, the node just lost last; the first connection fails
 * only when no node answers, naming each with its password redacted; each node gets 3 s.
 */
import { EventEmitter } from "node:events";
import { beforeEach, describe, expect, it, vi } from "vitest";

interface Attempt {
  url: string;
  timeout: unknown;
}

const attempts: Attempt[] = [];
let live = new Set<string>();
const models: FakeModel[] = [];

class FakeModel extends EventEmitter {
  constructor(readonly url: string) {
    super();
  }
  async close(): Promise<void> {}
}

vi.mock("amqplib", () => ({
  default: {
    connect: async (url: string, options: { timeout?: unknown }) => {
      const node = url.replace(/\?.*$/, "");
      attempts.push({ url: node, timeout: options.timeout });
      if (!live.has(node)) {
        throw new Error(`connect ECONNREFUSED ${new URL(node).host}`);
      }
      const model = new FakeModel(node);
      models.push(model);
      return model;
    },
  },
}));

const { RabbitmqConnection } = await import("../../../../src/brokers/rabbitmq/connection.js");
const { createLogger } = await import("../../../../src/logger.js");

const A = "amqp://u:secret@a:5672";
const B = "amqp://u:secret@b:5672";
const C = "amqp://u:secret@c:5672";

function connection(urls: string[]) {
  return new RabbitmqConnection({
    urls,
    heartbeatSeconds: 30,
    socketOptions: {},
    connectionName: "test",
    reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
    logger: createLogger({ level: "silent" }),
  });
}

describe("RabbitmqConnection with several nodes", () => {
  beforeEach(() => {
    attempts.length = 0;
    models.length = 0;
    live = new Set();
  });

  it("fails only when no node answers, naming each node with its password redacted", async () => {
    const error = await connection([A, B])
      .ready()
      .then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
    expect(error?.message).toMatch(/^cannot connect to RabbitMQ at none of 2 nodes \(/);
    expect(error?.message).toContain("amqp://u:***@a:5672: connect ECONNREFUSED a:5672");
    expect(error?.message).toContain("amqp://u:***@b:5672: connect ECONNREFUSED b:5672");
    expect(error?.message).not.toContain("secret");
    expect(attempts.map((attempt) => attempt.timeout)).toEqual([3_000, 3_000]);
  });

  it("keeps one node's message and 10 s timeout when it has one URL", async () => {
    const error = await connection([A])
      .ready()
      .then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
    expect(error?.message).toBe(
      "cannot connect to RabbitMQ at amqp://u:***@a:5672: connect ECONNREFUSED a:5672",
    );
    expect(attempts[0]!.timeout).toBe(10_000);
  });

  it("reaches the live node whatever the order, and starts with each node about equally often", async () => {
    live = new Set([B]);
    for (let i = 0; i < 30; i++) {
      const made = connection([A, B, C]);
      expect(((await made.ready()) as unknown as FakeModel).url).toBe(B);
      expect(made.redactedUrl).toBe("amqp://u:***@b:5672");
    }
    live = new Set([A, B, C]);
    attempts.length = 0;
    for (let i = 0; i < 300; i++) {
      await connection([A, B, C]).ready();
    }
    for (const url of [A, B, C]) {
      expect(attempts.filter((attempt) => attempt.url === url).length).toBeGreaterThan(60);
    }
  });

  it("after losing a node, tries the others first and moves to a live one", async () => {
    live = new Set([A, B, C]);
    const made = connection([A, B, C]);
    const first = (await made.ready()) as unknown as FakeModel;
    for (let round = 0; round < 10; round++) {
      const lost = (made.current as unknown as FakeModel | undefined) ?? first;
      attempts.length = 0;
      lost.emit("close", new Error("CONNECTION_FORCED"));
      const next = (await made.ready()) as unknown as FakeModel;
      expect(next.url).not.toBe(lost.url);
      expect(attempts[0]!.url).not.toBe(lost.url);
    }
    // With only the lost node alive, it is tried last and reached.
    const lost = made.current as unknown as FakeModel;
    live = new Set([lost.url]);
    attempts.length = 0;
    lost.emit("close", new Error("CONNECTION_FORCED"));
    expect(((await made.ready()) as unknown as FakeModel).url).toBe(lost.url);
    expect(attempts.at(-1)!.url).toBe(lost.url);
    expect(attempts).toHaveLength(3);
    await made.close();
  });
});
