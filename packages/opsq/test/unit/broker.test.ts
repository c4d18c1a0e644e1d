import { describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  getBroker,
  hasBroker,
  setBroker,
  setDefaultBrokerFactory,
} from "../../src/broker.js";
import { StubBroker } from "../../src/brokers/stub.js";
import { ActorNotFoundError, MessageTooLargeError, OpsqError } from "../../src/errors.js";
import { Message } from "../../src/message.js";
import { AgeLimit } from "../../src/middleware/age-limit.js";
import { Callbacks } from "../../src/middleware/callbacks.js";
import { defaultMiddleware } from "../../src/middleware/defaults.js";
import type { Middleware } from "../../src/middleware/middleware.js";
import { Pipelines } from "../../src/middleware/pipelines.js";
import { Retries } from "../../src/middleware/retries.js";
import { ShutdownNotifications } from "../../src/middleware/shutdown-notifications.js";
import { TimeLimit } from "../../src/middleware/time-limit.js";
import { Tracing } from "../../src/tracing/middleware.js";
import { quietLogger, takeAll } from "./helpers.js";

function stubBroker(middleware: Middleware[] = []): StubBroker {
  return new StubBroker({ middleware, logger: quietLogger() });
}

describe("Broker registry", () => {
  it("uses Tracing, then Dramatiq's default middleware in Dramatiq's order, when given none", () => {
    // Given a broker made without a middleware option
    const broker = new StubBroker({ logger: quietLogger() });

    // Then I expect Tracing, AgeLimit, TimeLimit, ShutdownNotifications, Callbacks, Pipelines, Retries
    expect(broker.middleware.map((m) => m.constructor)).toEqual([
      Tracing,
      AgeLimit,
      TimeLimit,
      ShutdownNotifications,
      Callbacks,
      Pipelines,
      Retries,
    ]);
    expect(defaultMiddleware()[0]).not.toBe(defaultMiddleware()[0]);
  });

  it("collects the actor options of every middleware", () => {
    const broker = stubBroker([new TimeLimit(), new AgeLimit()]);
    expect([...broker.actorOptions].sort()).toEqual(["maxAgeMs", "timeLimitMs"]);
  });

  it("throws ActorNotFoundError for an unknown actor", () => {
    const broker = stubBroker();
    expect(() => broker.getActor("nope")).toThrow(ActorNotFoundError);
  });

  it("declares each queue once, with its hooks, whatever member of the family is named", () => {
    // Given a middleware recording queue declarations
    const declared: string[] = [];
    const broker = stubBroker([
      {
        beforeDeclareQueue: (_b, name) => void declared.push(`before ${name}`),
        afterDeclareQueue: (_b, name) => void declared.push(`after ${name}`),
      },
    ]);

    // When the same queue is declared several ways
    broker.declareQueue("jobs");
    broker.declareQueue("jobs.DQ");
    broker.declareQueue("jobs.XQ");

    // Then I expect one canonical queue and one pair of hooks
    expect([...broker.queues]).toEqual(["jobs"]);
    expect(declared).toEqual(["before jobs", "after jobs"]);
  });

  it("runs the actor declaration hooks around registration", () => {
    // Given a middleware that looks at the registry from its hooks
    const seen: [string, boolean][] = [];
    const broker = stubBroker([
      {
        beforeDeclareActor: (b, actor) => void seen.push(["before", b.actors.has(actor.name)]),
        afterDeclareActor: (b, actor) => void seen.push(["after", b.actors.has(actor.name)]),
      },
    ]);

    // When I define an actor
    defineActor("a", () => 1, { broker });

    // Then I expect the before hook to run before it is registered, the after hook after
    expect(seen).toEqual([
      ["before", false],
      ["after", true],
    ]);
  });

  it("addMiddleware appends, or inserts before the first instance of a class", () => {
    // Given a broker with TimeLimit and Retries
    const broker = stubBroker([new TimeLimit(), new Retries()]);
    const order: string[] = [];
    const record = (name: string): Middleware => ({ name, beforeEnqueue: () => void order.push(name) });

    // When I add one at the end and one before Retries
    broker.addMiddleware(record("last"));
    broker.addMiddleware(record("beforeRetries"), { before: Retries });

    // Then I expect them in the stack, and the hooks to follow the new order
    expect(broker.middleware.map((m) => m.name)).toEqual(["TimeLimit", "beforeRetries", "Retries", "last"]);
    return broker.enqueue(new Message({ queueName: "q", actorName: "a", args: [] })).then(() => {
      expect(order).toEqual(["beforeRetries", "last"]);
    });
  });
});

describe("Broker.enqueue", () => {
  it("publishes to the canonical queue, declaring it", async () => {
    // Given a broker with no queue yet
    const broker = stubBroker();

    // When I enqueue a message
    const message = new Message({ queueName: "jobs", actorName: "a", args: [1] });
    const published = await broker.enqueue(message);

    // Then I expect it declared and the message in it unchanged
    expect(broker.queues.has("jobs")).toBe(true);
    expect(published).toBe(message);
    expect((await takeAll(broker, "jobs")).map((m) => m.asDict())).toEqual([message.asDict()]);
  });

  it("publishes a delayed copy to q.DQ with queue_name q.DQ and an eta", async () => {
    // Given a message
    const broker = stubBroker();
    const message = new Message({ queueName: "jobs", actorName: "a", args: [], options: { retries: 1 } });
    const before = Date.now();

    // When I enqueue it with a delay
    const published = await broker.enqueue(message, { delayMs: 1000 });

    // Then I expect a copy in the delay queue, same id, options kept, eta added
    const [parked] = await takeAll(broker, "jobs.DQ");
    expect(parked!.queueName).toBe("jobs.DQ");
    expect(parked!.messageId).toBe(message.messageId);
    expect(parked!.options.retries).toBe(1);
    expect(parked!.options.eta).toBeGreaterThanOrEqual(before + 1000);
    expect(published.queueName).toBe("jobs.DQ");
    expect(message.options).toEqual({ retries: 1 });
    expect(await takeAll(broker, "jobs")).toEqual([]);
  });

  it("moves a delayed message back to its queue without its eta when sent with no delay", async () => {
    // Given a message taken from a delay queue
    const broker = stubBroker();
    const parked = new Message({
      queueName: "jobs.DQ",
      actorName: "a",
      args: [],
      options: { eta: 1, retries: 2 },
    });

    // When I enqueue it with no delay
    await broker.enqueue(parked);

    // Then I expect it in the canonical queue, with queue_name q and no eta
    const [moved] = await takeAll(broker, "jobs");
    expect(moved!.queueName).toBe("jobs");
    expect(moved!.options).toEqual({ retries: 2 });
    expect(await takeAll(broker, "jobs.DQ")).toEqual([]);
  });

  it("runs the enqueue hooks with the message as published and the delay", async () => {
    // Given a middleware recording enqueues
    const seen: string[] = [];
    const broker = stubBroker([
      {
        beforeEnqueue: (_b, m, delayMs) => void seen.push(`before ${m.queueName} ${delayMs}`),
        afterEnqueue: (_b, m, delayMs) => void seen.push(`after ${m.queueName} ${delayMs}`),
      },
    ]);

    // When I enqueue one message now and one later
    await broker.enqueue(new Message({ queueName: "q", actorName: "a", args: [] }));
    await broker.enqueue(new Message({ queueName: "q", actorName: "a", args: [] }), { delayMs: 5 });

    // Then I expect each pair of hooks to see the queue it went to
    expect(seen).toEqual(["before q 0", "after q 0", "before q.DQ 5", "after q.DQ 5"]);
  });

  it("does not publish when a before hook throws a MiddlewareError", async () => {
    // Given a middleware that refuses every enqueue
    const { MiddlewareError } = await import("../../src/errors.js");
    const broker = stubBroker([
      {
        beforeEnqueue: () => {
          throw new MiddlewareError("refused");
        },
      },
    ]);

    // When I enqueue, then I expect the error and an empty queue
    await expect(broker.enqueue(new Message({ queueName: "q", actorName: "a", args: [] }))).rejects.toThrow(
      "refused",
    );
    expect(await broker.getQueueCounts("q")).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
  });

  it("flushAll empties every declared queue family", async () => {
    // Given messages in two queues, one delayed
    const broker = stubBroker();
    await broker.enqueue(new Message({ queueName: "a", actorName: "x", args: [] }));
    await broker.enqueue(new Message({ queueName: "b", actorName: "x", args: [] }), { delayMs: 60_000 });

    // When I flush everything
    await broker.flushAll();

    // Then I expect both empty
    expect(await broker.getQueueCounts("a")).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
    expect(await broker.getQueueCounts("b")).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
  });
});

describe("Broker.maxMessageBytes", () => {
  it("defaults to 16 MiB", () => {
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(16 * 1024 * 1024);
    expect(stubBroker().maxMessageBytes).toBe(DEFAULT_MAX_MESSAGE_BYTES);
  });

  it("refuses a message whose encoded body is over the limit, naming actor, size and limit", async () => {
    // Given a broker with a 1 KiB limit and a middleware recording enqueues
    const seen: string[] = [];
    const broker = new StubBroker({
      middleware: [{ afterEnqueue: (_b, m) => void seen.push(m.messageId) }],
      logger: quietLogger(),
      maxMessageBytes: 1024,
    });
    const message = new Message({ queueName: "jobs", actorName: "upload", args: ["x".repeat(2000)] });
    const size = message.encode().length;

    // When I enqueue it
    const error = await broker.enqueue(message).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    // Then I expect a MessageTooLargeError with a one-line message, and nothing published
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect(error).toBeInstanceOf(OpsqError);
    expect(error).toMatchObject({ actorName: "upload", size, limit: 1024, name: "MessageTooLargeError" });
    const text = (error as Error).message;
    expect(text).toBe(
      `message for actor "upload" is ${size} bytes, over the broker's limit of 1024 bytes (maxMessageBytes); send a reference to the data (an id, a URL) instead of the data`,
    );
    expect(text).not.toContain("\n");
    expect(seen).toEqual([]);
    expect(await broker.getQueueCounts("jobs")).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
  });

  it("accepts a body of exactly the limit, measured in UTF-8 bytes, delayed ones included", async () => {
    // Given a message whose encoded body is N bytes, with multi-byte characters
    const message = new Message({ queueName: "jobs", actorName: "a", args: ["é€😀"] });
    const exact = message.encode().length;
    expect(exact).toBeGreaterThan(JSON.stringify(message.asDict()).length);

    // Then a limit of N accepts it and a limit of N - 1 refuses it
    await broker(exact).enqueue(message);
    await expect(broker(exact - 1).enqueue(message)).rejects.toThrow(MessageTooLargeError);
    // And a delayed copy, which gains an eta, is measured as published
    await expect(broker(exact).enqueue(message, { delayMs: 1000 })).rejects.toThrow(MessageTooLargeError);

    function broker(maxMessageBytes: number): StubBroker {
      return new StubBroker({ middleware: [], logger: quietLogger(), maxMessageBytes });
    }
  });

  it("can be turned off with Infinity, and rejects nonsense limits", () => {
    expect(new StubBroker({ logger: quietLogger(), maxMessageBytes: Infinity }).maxMessageBytes).toBe(
      Infinity,
    );
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => new StubBroker({ logger: quietLogger(), maxMessageBytes: bad })).toThrow(RangeError);
    }
  });
});

describe("global broker", () => {
  it("is built by the default factory on first use, and setBroker replaces it", () => {
    // Given no global broker, then I expect a clear error
    expect(hasBroker()).toBe(false);
    expect(() => getBroker()).toThrow(OpsqError);
    expect(() => defineActor("orphan", () => 1)).toThrow(/no global broker/);

    // When a default factory is registered, then I expect it to build the broker once
    let built = 0;
    setDefaultBrokerFactory(() => {
      built++;
      return stubBroker();
    });
    const first = getBroker();
    expect(getBroker()).toBe(first);
    expect(built).toBe(1);
    expect(hasBroker()).toBe(true);

    // And when I set one, then I expect defineActor to use it
    const mine = stubBroker();
    setBroker(mine);
    const actor = defineActor("global_actor", () => 1);
    expect(actor.broker).toBe(mine);
    expect(mine.actors.get("global_actor")).toBe(actor);
  });
});
