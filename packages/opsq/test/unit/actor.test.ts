import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import { StubBroker } from "../../src/brokers/stub.js";
import { ActorDefinitionError } from "../../src/errors.js";
import { Message } from "../../src/message.js";
import { defaultMiddleware } from "../../src/middleware/defaults.js";
import { Retries } from "../../src/middleware/retries.js";
import { TimeLimit } from "../../src/middleware/time-limit.js";
import { loadMessageFixtures, quietLogger, takeAll, workerPool } from "./helpers.js";

const pool = workerPool();
afterEach(() => pool.stopAll());

function stubBroker(middleware = defaultMiddleware()): StubBroker {
  return new StubBroker({ middleware, logger: quietLogger() });
}

describe("defineActor: names and queues", () => {
  it("registers the actor on its broker, on the default queue unless told", () => {
    // Given a broker
    const broker = stubBroker();

    // When I define two actors, one with a queue
    const add = defineActor("add", (x: number, y: number) => x + y, { broker });
    const mul = defineActor("math.mul", (x: number, y: number) => x * y, { broker, queue: "math" });

    // Then I expect both registered, and their queues declared
    expect(add.name).toBe("add");
    expect(add.queueName).toBe("default");
    expect(mul.queueName).toBe("math");
    expect(broker.getActor("add")).toBe(add);
    expect(broker.actors.get("math.mul")).toBe(mul);
    expect([...broker.queues].sort()).toEqual(["default", "math"]);
  });

  it.each(["", "9add", "-add", ".add", "add me", "add/1", "ädd"])("rejects the actor name %j", (name) => {
    // Given a broker, when I define an actor with an invalid name, then I expect an ActorDefinitionError
    const broker = stubBroker();
    expect(() => defineActor(name, () => 1, { broker })).toThrow(ActorDefinitionError);
    expect(() => defineActor(name, () => 1, { broker })).toThrow(/invalid actor name/);
    expect(broker.actors.size).toBe(0);
  });

  it.each(["", "9q", "a b", "q/1", "jobs.DQ", "jobs.XQ"])("rejects the queue name %j", (queue) => {
    // Given a broker, when I define an actor on an invalid queue, then I expect an ActorDefinitionError
    const broker = stubBroker();
    expect(() => defineActor("a", () => 1, { broker, queue })).toThrow(/invalid queue name/);
    expect(broker.actors.size).toBe(0);
    expect(broker.queues.size).toBe(0);
  });

  it("accepts every name Dramatiq accepts", () => {
    const broker = stubBroker();
    for (const [i, name] of ["_a", "A", "a.b", "a-b", "a_b9"].entries()) {
      expect(defineActor(name, () => 1, { broker, queue: `${name}${i}` }).name).toBe(name);
    }
  });

  it("rejects a duplicate name on the same broker, but not on another", () => {
    // Given an actor named add
    const broker = stubBroker();
    const first = defineActor("add", () => 1, { broker });

    // When I define another add on the same broker, then I expect an error and the first kept
    expect(() => defineActor("add", () => 2, { broker })).toThrow(/already declared.*unique/);
    expect(broker.getActor("add")).toBe(first);

    // And on another broker the name is free
    expect(defineActor("add", () => 2, { broker: stubBroker() }).name).toBe("add");
  });
});

describe("defineActor: options", () => {
  it("rejects an option no middleware understands, naming it and the accepted ones", () => {
    // Given a broker with only Retries
    const broker = stubBroker([new Retries()]);

    // When I define an actor with a TimeLimit option
    const define = () => defineActor("slow", () => 1, { broker, timeLimitMs: 10 });

    // Then I expect the error to name the option, list what is accepted and hint at the fix
    expect(define).toThrow(ActorDefinitionError);
    expect(define).toThrow('unknown option "timeLimitMs"');
    expect(define).toThrow(
      "maxBackoffMs, maxRetries, minBackoffMs, onRetryExhausted, retryWhen, throws. Did you forget to add a middleware",
    );
    expect(broker.actors.has("slow")).toBe(false);
  });

  it("rejects an unknown option even when its value is undefined", () => {
    const broker = stubBroker([]);
    expect(() => defineActor("a", () => 1, { broker, maxRetries: undefined })).toThrow(/"maxRetries"/);
  });

  it("accepts the options of the middleware it has", () => {
    // Given a broker with TimeLimit only
    const broker = stubBroker([new TimeLimit()]);

    // When I define an actor with a time limit, then I expect it kept on the actor
    const actor = defineActor("a", () => 1, { broker, queue: "q", timeLimitMs: 10 });
    expect(actor.options).toEqual({ timeLimitMs: 10 });
  });
});

describe("Actor.send and sendWithOptions", () => {
  it("send publishes a seven-key message with the arguments to the actor's queue", async () => {
    // Given an actor
    const broker = stubBroker();
    const add = defineActor("add", (x: number, y: number) => x + y, { broker, queue: "math" });

    // When I send it a message
    const sent = await add.send(1, 2);

    // Then I expect it in the queue as published, with no options
    const [published, ...rest] = await takeAll(broker, "math");
    expect(rest).toEqual([]);
    expect(published!.asDict()).toEqual(sent.asDict());
    expect(sent.queueName).toBe("math");
    expect(sent.actorName).toBe("add");
    expect(sent.args).toEqual([1, 2]);
    expect(sent.kwargs).toEqual({});
    expect(sent.options).toEqual({});
  });

  it("sendWithOptions writes snake_case options in ms, actor names and kwargs", async () => {
    // Given an actor and a callback actor
    const broker = stubBroker();
    const report = defineActor("report", (_message: unknown, _result: unknown) => undefined, { broker });
    const add = defineActor("add", (x: number, y: number) => x + y, { broker, queue: "math" });

    // When I send with per-message options
    const sent = await add.sendWithOptions({
      args: [1, 2],
      kwargs: { z: 3 },
      maxRetries: 0,
      minBackoffMs: 10,
      maxBackoffMs: 20,
      timeLimitMs: 5000,
      maxAgeMs: 60_000,
      notifyShutdown: true,
      onSuccess: report,
      onFailure: "report",
      onRetryExhausted: report,
      brokerPriority: 5,
      wireOptions: { group_completion_uuid: "g", max_retries: 1 },
    });

    // Then I expect Dramatiq's wire options on the message in the queue, the raw ones last
    const [published] = await takeAll(broker, "math");
    expect(published!.options).toEqual({
      max_retries: 1,
      min_backoff: 10,
      max_backoff: 20,
      time_limit: 5000,
      max_age: 60_000,
      notify_shutdown: true,
      on_success: "report",
      on_failure: "report",
      on_retry_exhausted: "report",
      broker_priority: 5,
      group_completion_uuid: "g",
    });
    expect(published!.kwargs).toEqual({ z: 3 });
    expect(published!.args).toEqual([1, 2]);
    expect(sent.asDict()).toEqual(published!.asDict());
  });

  it("sendWithOptions with delayMs publishes to q.DQ with an eta", async () => {
    // Given an actor
    const broker = stubBroker();
    const add = defineActor("add", (x: number, y: number) => x + y, { broker, queue: "math" });
    const before = Date.now();

    // When I send it with a delay
    const sent = await add.sendWithOptions({ args: [1, 2], delayMs: 30_000, maxRetries: 2 });

    // Then I expect it in the delay queue only, due 30 s from now
    expect(await broker.getQueueCounts("math")).toEqual({ ready: 0, delayed: 1, deadLettered: 0 });
    const [published] = await takeAll(broker, "math.DQ");
    expect(published!.queueName).toBe("math.DQ");
    expect(published!.options.max_retries).toBe(2);
    expect(published!.options.eta).toBeGreaterThanOrEqual(before + 30_000);
    expect(published!.options.eta).toBeLessThanOrEqual(Date.now() + 30_000);
    expect(sent.queueName).toBe("math.DQ");
    expect(sent.options.eta).toBe(published!.options.eta);
  });

  it("message() builds without sending, and call() runs the handler in process", async () => {
    // Given an async actor
    const broker = stubBroker();
    const add = defineActor("add", async (x: number, y: number) => x + y, { broker });

    // When I build a message and call the handler
    const message = add.message(2, 3);

    // Then I expect nothing sent, and the handler's result
    expect(message).toBeInstanceOf(Message);
    expect(message.args).toEqual([2, 3]);
    expect(await broker.getQueueCounts("default")).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
    expect(await add.call(2, 3)).toBe(5);
  });
});

describe("kwargs", () => {
  it("reach the handler as one extra trailing object argument", async () => {
    // Given the actor Python's fixture message was sent to
    const broker = stubBroker();
    const calls: unknown[][] = [];
    defineActor("wire_probe", (...args: unknown[]) => void calls.push(args), {
      broker,
      queue: "harness-wire",
    });
    const worker = await pool.start(broker);

    // When Python's actor.send(1, "two", k={"x": 1}) arrives
    broker.publishRaw("harness-wire", loadMessageFixtures().plain!.body_raw);
    await broker.join("harness-wire");
    await worker.join();

    // Then I expect the handler to get the args, then the kwargs object
    expect(calls).toEqual([[1, "two", { k: { x: 1 } }]]);
  });

  it("are not appended when empty, so handlers see exactly the args", async () => {
    // Given an actor and a message with args only
    const broker = stubBroker();
    const calls: unknown[][] = [];
    const probe = defineActor("probe", (...args: unknown[]) => void calls.push(args), { broker });
    const worker = await pool.start(broker);

    // When it is sent with and without kwargs
    await probe.send(1);
    await probe.sendWithOptions({ args: [2], kwargs: { y: 3 } });
    await broker.join("default");
    await worker.join();

    // Then I expect the kwargs object only where there were kwargs
    expect(calls).toEqual([[1], [2, { y: 3 }]]);
  });
});
