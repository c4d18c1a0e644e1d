import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import { StubBroker } from "../../src/brokers/stub.js";
import { getContext } from "../../src/context.js";
import { ActorNotFoundError, DecodeError, QueueNotFoundError, SkipMessage } from "../../src/errors.js";
import type { ActorContext } from "../../src/message-proxy.js";
import type { Middleware } from "../../src/middleware/middleware.js";
import { Pipelines } from "../../src/middleware/pipelines.js";
import { Retries } from "../../src/middleware/retries.js";
import { Worker } from "../../src/worker.js";
import { captureLogger, deferred, quietLogger, sleep, takeAll, workerPool } from "./helpers.js";

const pool = workerPool();
afterEach(() => pool.stopAll());

function stubBroker(middleware: Middleware[] = []): StubBroker {
  return new StubBroker({ middleware, logger: quietLogger() });
}

describe("Worker: running messages", () => {
  it("never runs more handlers at once than its concurrency", async () => {
    // Given an actor that counts how many of its calls overlap
    const broker = stubBroker();
    let running = 0;
    let maxRunning = 0;
    let done = 0;
    const work = defineActor(
      "work",
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setImmediate(resolve));
        await Promise.resolve();
        running--;
        done++;
      },
      { broker },
    );
    const worker = await pool.start(broker, { concurrency: 3 });

    // When many messages are sent at once
    await Promise.all(Array.from({ length: 40 }, () => work.send()));
    await broker.join("default");
    await worker.join();

    // Then I expect all of them run, never more than 3 at a time, and the limit reached
    expect(done).toBe(40);
    expect(maxRunning).toBe(3);
    expect(worker.stats).toMatchObject({ acked: 40, nacked: 0, running: 0, buffered: 0 });
  });

  it("acks only after the handler has settled", async () => {
    // Given a handler that waits for the test, and a middleware recording acks
    const events: string[] = [];
    const broker = stubBroker([{ afterAck: () => void events.push("acked") }]);
    const started = deferred();
    const release = deferred();
    const slow = defineActor(
      "slow",
      async () => {
        started.resolve();
        await release.promise;
        events.push("handler done");
      },
      { broker },
    );
    const worker = await pool.start(broker);
    await slow.send();
    let joined = false;
    const joining = broker.join("default").then(() => {
      joined = true;
    });

    // When the handler is still running
    await started.promise;
    await sleep(10);

    // Then I expect the message still unacked
    expect(joined).toBe(false);
    expect(events).toEqual([]);

    // And when it finishes, I expect the ack after it
    release.resolve();
    await joining;
    await worker.join();
    expect(events).toEqual(["handler done", "acked"]);
  });

  it("runs sync and async handlers and hands over their results", async () => {
    // Given a sync and an async actor, and a middleware recording outcomes
    const results: unknown[] = [];
    const broker = stubBroker([
      { afterProcessMessage: (_b, proxy, outcome) => void results.push([proxy.message.actorName, outcome]) },
    ]);
    const sync = defineActor("sync", (x: number) => x * 2, { broker });
    const slow = defineActor(
      "async",
      async (x: number) => {
        await Promise.resolve();
        return x * 3;
      },
      { broker },
    );
    const worker = await pool.start(broker, { concurrency: 1 });

    // When each gets a message
    await sync.send(2);
    await slow.send(2);
    await broker.join("default");
    await worker.join();

    // Then I expect both results
    expect(results).toEqual([
      ["sync", { result: 4 }],
      ["async", { result: 6 }],
    ]);
  });

  it("awaits a handler that returns a thenable that is not a Promise", async () => {
    // Given a handler returning a PromiseLike, which its type allows
    const results: unknown[] = [];
    const broker = stubBroker([
      { afterProcessMessage: (_b, _p, outcome) => void results.push(outcome.result) },
    ]);
    const thenable = defineActor(
      "thenable",
      (): PromiseLike<number> => ({
        // biome-ignore lint/suspicious/noThenProperty: the point of this test is a bare thenable
        then: (onFulfilled, onRejected) => Promise.resolve(42).then(onFulfilled, onRejected),
      }),
      { broker },
    );
    const worker = await pool.start(broker);

    // When it runs
    await thenable.send();
    await broker.join("default");
    await worker.join();

    // Then I expect its settled value, not the thenable itself
    expect(results).toEqual([42]);
  });

  it("gives handlers their context: message, logger, signal, redelivered, retries", async () => {
    // Given an actor that reads its context, also from a nested async call
    const broker = stubBroker();
    const seen: ActorContext[] = [];
    const nested = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return getContext();
    };
    const probe = defineActor(
      "probe",
      async (_x: number) => {
        seen.push(getContext(), await nested());
      },
      { broker },
    );
    const worker = await pool.start(broker);

    // When it runs a message
    const sent = await probe.sendWithOptions({ args: [7], kwargs: { k: 1 } });
    await broker.join("default");
    await worker.join();

    // Then I expect the message, an open signal, a first delivery and no retries
    const [context, fromNested] = seen;
    expect(fromNested).toBe(context);
    expect(context!.message.messageId).toBe(sent.messageId);
    expect(context!.messageId).toBe(sent.messageId);
    expect(context!.message.args).toEqual([7]);
    expect(context!.kwargs).toEqual({ k: 1 });
    expect(context!.signal).toBeInstanceOf(AbortSignal);
    expect(context!.signal.aborted).toBe(false);
    expect(context!.redelivered).toBe(false);
    expect(context!.retries).toBe(0);
    expect(typeof context!.logger.info).toBe("function");
    expect(context!.logger.bindings()).toMatchObject({ message_id: sent.messageId, actor: "probe" });
  });
});

describe("Worker: actor priority", () => {
  it("runs the buffered messages of lower-priority actors first, as Dramatiq's worker", async () => {
    // Given actors of priorities 10, 0 (the default) and -5 on one queue, three messages each,
    // sent in that order before the worker starts (so that it holds them all at once)
    const broker = stubBroker();
    const order: string[] = [];
    const late = defineActor("late", (i: number) => void order.push(`late${i}`), { broker, priority: 10 });
    const plain = defineActor("plain", (i: number) => void order.push(`plain${i}`), { broker });
    const urgent = defineActor("urgent", (i: number) => void order.push(`urgent${i}`), {
      broker,
      priority: -5,
    });
    for (const actor of [late, plain, urgent]) {
      for (let i = 0; i < 3; i++) {
        await actor.send(i);
      }
    }

    // When a worker running one at a time takes them
    const worker = await pool.start(broker, { concurrency: 1, prefetch: 20 });
    await broker.join("default");
    await worker.join();

    // Then I expect the lowest priority first, and sending order among equals
    expect(order).toEqual([
      "urgent0",
      "urgent1",
      "urgent2",
      "plain0",
      "plain1",
      "plain2",
      "late0",
      "late1",
      "late2",
    ]);
  });

  it("rejects a priority that is not a whole number, naming it", () => {
    const broker = stubBroker();
    expect(() => defineActor("odd", () => 1, { broker, priority: 1.5 })).toThrow(
      'actor "odd": priority must be a whole number, got 1.5',
    );
  });
});

describe("Worker: failures", () => {
  it("dead-letters a failing message with its reason (no Retries middleware)", async () => {
    // Given an actor that always throws
    const broker = stubBroker();
    const fail = defineActor(
      "fail",
      async (_n: number) => {
        throw new RangeError("boom");
      },
      { broker },
    );
    const worker = await pool.start(broker);

    // When it runs a message
    const sent = await fail.send(1);
    await broker.join("default");
    await worker.join();

    // Then I expect the message in the dead letters, as published, with the error
    const [dead, ...rest] = broker.deadLetters("default");
    expect(rest).toEqual([]);
    expect(dead!.reason).toBeInstanceOf(RangeError);
    expect(dead!.reason!.message).toBe("boom");
    expect(broker.deadLetteredMessages("default").map((m) => m.asDict())).toEqual([sent.asDict()]);
    expect(worker.stats).toMatchObject({ acked: 0, nacked: 1 });
  });

  it.each([
    ["a string", "plain text", "plain text"],
    ["an object", { code: 42 }, '{"code":42}'],
    ["undefined", undefined, "undefined"],
  ])("dead-letters a handler that throws %s, with an Error as reason", async (_what, thrown, text) => {
    // Given sync and async actors that throw a non-Error value
    const broker = stubBroker();
    const syncThrow = defineActor(
      "sync_throw",
      () => {
        throw thrown;
      },
      { broker },
    );
    const asyncThrow = defineActor(
      "async_throw",
      async () => {
        await Promise.resolve();
        throw thrown;
      },
      { broker },
    );
    const worker = await pool.start(broker, { concurrency: 1 });

    // When they run
    await syncThrow.send();
    await asyncThrow.send();
    await broker.join("default");
    await worker.join();

    // Then I expect both dead-lettered with an Error carrying the value's text
    const reasons = broker.deadLetters("default").map((dead) => dead.reason);
    expect(reasons).toHaveLength(2);
    for (const reason of reasons) {
      expect(reason).toBeInstanceOf(Error);
      expect(reason!.message).toBe(text);
    }
  });

  it("dead-letters undecodable bodies and unknown actors, and keeps processing good messages", async () => {
    // Given a worker on a queue
    const broker = stubBroker();
    const ran: number[] = [];
    const good = defineActor("good", (n: number) => void ran.push(n), { broker });
    const worker = await pool.start(broker, { concurrency: 2 });

    // When broken bodies and a message for an unknown actor arrive between good messages
    await good.send(1);
    broker.publishRaw("default", "not json");
    broker.publishRaw(
      "default",
      '{"queue_name":"default","actor_name":"good","args":[NaN],"kwargs":{},"options":{}}',
    );
    broker.publishRaw("default", Buffer.from([0x7b, 0xff, 0x7d]));
    broker.publishRaw(
      "default",
      JSON.stringify({ queue_name: "default", actor_name: "ghost", args: [], kwargs: {}, options: {} }),
    );
    await good.send(2);
    await broker.join("default");
    await worker.join();

    // Then I expect the good messages run and the others dead-lettered with their reasons
    expect(ran.sort()).toEqual([1, 2]);
    const reasons = broker.deadLetters("default").map((dead) => dead.reason);
    expect(reasons).toHaveLength(4);
    expect(reasons.filter((reason) => reason instanceof DecodeError)).toHaveLength(3);
    const notFound = reasons.find((reason) => reason instanceof ActorNotFoundError);
    expect(notFound).toMatchObject({ actorName: "ghost" });
    expect(new TextDecoder().decode(broker.deadLetters("default")[0]!.body)).toBe("not json");
    expect(worker.stats).toMatchObject({ acked: 2, nacked: 4 });
  });

  it("acks a message a before hook skipped, without running it", async () => {
    // Given a middleware that skips every message
    const events: string[] = [];
    const broker = stubBroker([
      {
        beforeProcessMessage: () => {
          throw new SkipMessage("not today");
        },
        afterSkipMessage: () => void events.push("skipped"),
        afterProcessMessage: () => void events.push("processed"),
        afterAck: () => void events.push("acked"),
      },
    ]);
    const actor = defineActor("a", () => void events.push("ran"), { broker });
    const worker = await pool.start(broker);

    // When a message arrives
    await actor.send();
    await broker.join("default");
    await worker.join();

    // Then I expect it skipped and acked, never run
    expect(events).toEqual(["skipped", "acked"]);
    expect(broker.deadLetters("default")).toEqual([]);
  });
});

describe("Worker: settling never depends on formatting", () => {
  /** An Error whose `getter` (message, stack or name) throws when read. */
  function unreadable(getter: "message" | "stack" | "name"): Error {
    const error = new Error("hidden");
    Object.defineProperty(error, getter, {
      get() {
        throw new Error(`the ${getter} getter threw`);
      },
    });
    return error;
  }

  it.each(["message", "stack", "name"] as const)(
    "dead-letters a failure whose %s getter throws, and the next message still runs (concurrency 1)",
    async (getter) => {
      // Given a worker with one slot, Retries with no retries, and a logger without opsq's serializer
      const log = captureLogger();
      const broker = new StubBroker({ middleware: [new Retries({ maxRetries: 0 })], logger: log.logger });
      const ran: string[] = [];
      const work = defineActor(
        "work",
        (label: string) => {
          ran.push(label);
          if (label === "poison") {
            throw unreadable(getter);
          }
        },
        { broker },
      );
      const worker = await pool.start(broker, { concurrency: 1 });

      // When the poison message runs, then a good one
      await work.send("poison");
      await work.send("good");
      await broker.join("default", { timeoutMs: 5_000 });
      await worker.join();

      // Then I expect the poison message dead-lettered with a readable reason, the good one run
      expect(ran).toEqual(["poison", "good"]);
      const [dead, ...rest] = broker.deadLetters("default");
      expect(rest).toEqual([]);
      expect(typeof dead!.reason!.message).toBe("string");
      expect(worker.stats).toMatchObject({ acked: 1, nacked: 1, running: 0 });
      // And the dead-lettered line logged
      expect(log.lines.some((line) => line.msg === "message failed; dead-lettered")).toBe(true);
    },
  );

  it("redacts URL passwords through an error's cause chain in its log lines", async () => {
    // Given an actor failing with an error caused by one that names a URL with its password
    const log = captureLogger();
    const broker = new StubBroker({ middleware: [], logger: log.logger });
    const fail = defineActor(
      "fail",
      () => {
        throw new Error("request failed", {
          cause: new AggregateError(
            [new Error("at https://user:s3cret/x@llm.example/v1")],
            "tried postgres://app:pw d@db/ops",
          ),
        });
      },
      { broker },
    );
    const worker = await pool.start(broker);

    // When it runs
    await fail.send();
    await broker.join("default");
    await worker.join();

    // Then I expect no password in any log line, and the causes still described
    const text = JSON.stringify(log.lines);
    expect(text).not.toContain("s3cret");
    expect(text).not.toContain("pw d");
    expect(text).toContain("https://user:***@llm.example/v1");
    expect(text).toContain("postgres://app:***@db/ops");
  });
});

describe("Worker: stale deliveries", () => {
  it("does not run a buffered delivery whose channel closed while it waited", async () => {
    // Given a broker whose deliveries turn stale (as RabbitMQ's do when their channel closes)
    class StaleningBroker extends StubBroker {
      readonly handedOut: { stale: boolean }[] = [];
      override consume(...[queue, options, onDelivery]: Parameters<StubBroker["consume"]>) {
        return super.consume(queue, options, (delivery) => {
          const wrapped = { ...delivery, stale: false };
          Object.defineProperties(wrapped, { ack: { value: () => delivery.ack() } });
          this.handedOut.push(wrapped);
          onDelivery(wrapped);
        });
      }
    }
    const broker = new StaleningBroker({ middleware: [], logger: quietLogger() });
    const release = deferred();
    const runs: number[] = [];
    const work = defineActor(
      "work",
      async (n: number) => {
        runs.push(n);
        await release.promise;
      },
      { broker },
    );
    const worker = await pool.start(broker, { concurrency: 1 });

    // When two messages arrive, the first runs, and the second's channel closes while it is buffered
    await work.send(1);
    await work.send(2);
    while (broker.handedOut.length < 2) {
      await sleep(1);
    }
    broker.handedOut[1]!.stale = true;
    release.resolve();
    await worker.join();

    // Then I expect only the first to have run: the stale one is the broker's to redeliver
    expect(runs).toEqual([1]);
  });
});

describe("Worker: delayed messages", () => {
  it("runs a delayed message after its eta, not before", async () => {
    // Given an actor that records when it runs
    const broker = stubBroker();
    const ranAt: number[] = [];
    const later = defineActor("later", () => void ranAt.push(Date.now()), { broker });
    const worker = await pool.start(broker);

    // When I send it with a delay
    const sent = await later.sendWithOptions({ delayMs: 80 });
    const eta = sent.options.eta as number;

    // Then I expect it held, not run, before its eta
    await sleep(20);
    expect(ranAt).toEqual([]);
    expect(worker.stats.delayed).toBe(1);
    expect(await broker.getQueueCounts("default")).toMatchObject({ ready: 0, delayed: 1 });

    // And run once after it
    await broker.join("default");
    await worker.join();
    expect(ranAt).toHaveLength(1);
    expect(ranAt[0]).toBeGreaterThanOrEqual(eta);
    expect(worker.stats.delayed).toBe(0);
  });

  it("runs a delayed message whose eta has passed at once, through its queue", async () => {
    // Given a message parked in the delay queue with an eta in the past (as Python would leave it)
    const broker = stubBroker();
    const queues: string[] = [];
    defineActor("late", () => void queues.push(getContext().message.queueName), { broker });
    const worker = await pool.start(broker);

    // When it arrives
    broker.publishRaw(
      "default.DQ",
      JSON.stringify({
        queue_name: "default.DQ",
        actor_name: "late",
        args: [],
        kwargs: {},
        options: { eta: Date.now() - 1000 },
      }),
    );
    await broker.join("default");
    await worker.join();

    // Then I expect it run from the canonical queue
    expect(queues).toEqual(["default"]);
  });

  it("re-parks a message due after maxHoldMs instead of holding it", async () => {
    // Given a worker that holds delayed messages for at most 20 ms
    const broker = stubBroker();
    const ranAt: number[] = [];
    const later = defineActor("later", () => void ranAt.push(Date.now()), { broker });
    const worker = await pool.start(broker, { maxHoldMs: 20 });
    const parks: number[] = [];
    broker.addMiddleware({ afterEnqueue: (_b, message) => void parks.push(message.options.eta as number) });

    // When a message is due in 70 ms
    const sent = await later.sendWithOptions({ delayMs: 70 });
    await broker.join("default");
    await worker.join();

    // Then I expect it re-parked with the same eta a few times, then run after its eta
    const eta = sent.options.eta as number;
    expect(parks.length).toBeGreaterThanOrEqual(3);
    expect(parks.slice(0, -1).every((parked) => Math.abs(parked - eta) <= 5)).toBe(true);
    expect(ranAt[0]).toBeGreaterThanOrEqual(eta);
  });
});

describe("Worker: delayed messages that cannot be re-published", () => {
  it("dead-letters a due delayed message too deeply nested to encode, instead of handing it back forever", async () => {
    // Given a worker, and a parked message with an option that decodes (JSON.parse is iterative)
    // but cannot be encoded again (JSON.stringify recurses; args and kwargs would be re-used as received)
    const broker = stubBroker();
    const ran: unknown[] = [];
    defineActor("deep", (...args: unknown[]) => void ran.push(args), { broker });
    const worker = await pool.start(broker);
    const depth = 200_000;
    const body = `{"queue_name":"default.DQ","actor_name":"deep","args":[],"kwargs":{},"options":{"eta":1,"deep":${"[".repeat(depth)}${"]".repeat(depth)}}}`;

    // When it arrives in the delay queue
    broker.publishRaw("default.DQ", body);
    await broker.join("default");
    await worker.join();

    // Then I expect it dead-lettered once, not run, not redelivered
    expect(ran).toEqual([]);
    expect(await broker.getQueueCounts("default")).toEqual({ ready: 0, delayed: 0, deadLettered: 1 });
    expect(worker.stats.nacked).toBe(1);
  });

  it("re-publishes a due delayed message larger than maxMessageBytes: the limit is for new sends", async () => {
    // Given a broker with a 512-byte limit and a worker
    const broker = new StubBroker({ middleware: [], logger: quietLogger(), maxMessageBytes: 512 });
    const ran: number[] = [];
    defineActor("big", (text: string) => void ran.push(text.length), { broker });
    const worker = await pool.start(broker);

    // When a parked message over the limit (the broker took it) becomes due
    broker.publishRaw(
      "default.DQ",
      JSON.stringify({
        queue_name: "default.DQ",
        actor_name: "big",
        args: ["x".repeat(1000)],
        kwargs: {},
        options: { eta: 1 },
      }),
    );
    await broker.join("default");
    await worker.join();

    // Then I expect it moved to its queue and run, not dead-lettered
    expect(ran).toEqual([1000]);
    expect(await broker.getQueueCounts("default")).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
  });
});

describe("Worker: shutdown", () => {
  it("lets in-flight work finish and hands buffered messages back, none lost, none run twice", async () => {
    // Given one slot, and a first message whose handler waits for the test
    const broker = stubBroker();
    const runs: number[] = [];
    const started = deferred();
    const release = deferred();
    const job = defineActor(
      "job",
      async (n: number) => {
        runs.push(n);
        if (n === 0) {
          started.resolve();
          await release.promise;
        }
      },
      { broker },
    );
    const worker = await pool.start(broker, { concurrency: 1, prefetch: 10 });
    for (let n = 0; n < 5; n++) {
      await job.send(n);
    }
    await started.promise;
    expect(worker.stats).toMatchObject({ running: 1, buffered: 4 });

    // When the worker stops while the first message runs, and the message then finishes
    const stopping = worker.stop({ timeoutMs: 1000 });
    await sleep(5);
    release.resolve();
    await stopping;

    // Then I expect the first acked, the others back in the queue and not run
    expect(runs).toEqual([0]);
    expect(worker.stats).toMatchObject({ acked: 1, running: 0, buffered: 0 });
    expect(await broker.getQueueCounts("default")).toEqual({ ready: 4, delayed: 0, deadLettered: 0 });

    // And when another worker starts, I expect each of the rest run exactly once
    const next = await pool.start(broker);
    await broker.join("default");
    await next.join();
    expect(runs.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("does not start buffered messages while shutdown hooks run", async () => {
    // Given a slow beforeWorkerShutdown hook during which the in-flight handler finishes
    const release = deferred();
    const broker = stubBroker([
      {
        async beforeWorkerShutdown() {
          release.resolve();
          await sleep(20);
        },
      },
    ]);
    const runs: number[] = [];
    const started = deferred();
    const job = defineActor(
      "job",
      async (n: number) => {
        runs.push(n);
        started.resolve();
        await release.promise;
      },
      { broker },
    );
    const worker = await pool.start(broker, { concurrency: 1 });
    await job.send(0);
    await job.send(1);
    await started.promise;

    // When the worker stops
    await worker.stop();

    // Then I expect the buffered message handed back, not started
    expect(runs).toEqual([0]);
    expect(await broker.getQueueCounts("default")).toEqual({ ready: 1, delayed: 0, deadLettered: 0 });
  });

  it("hands back a message whose handler is still running at the shutdown timeout", async () => {
    // Given a handler that ignores everything and never finishes on the first delivery
    const broker = stubBroker();
    const seen: boolean[] = [];
    const started = deferred();
    const stuck = defineActor(
      "stuck",
      async () => {
        const { redelivered } = getContext();
        seen.push(redelivered);
        if (!redelivered) {
          started.resolve();
          await new Promise(() => {});
        }
      },
      { broker },
    );
    const worker = await pool.start(broker);
    await stuck.send();
    await started.promise;

    // When the worker stops with a short timeout
    const before = Date.now();
    await worker.stop({ timeoutMs: 50 });

    // Then I expect the stop bounded by the timeout and the message back in the queue, not acked
    expect(Date.now() - before).toBeLessThan(500);
    expect(worker.stats.acked).toBe(0);
    expect(await broker.getQueueCounts("default")).toEqual({ ready: 1, delayed: 0, deadLettered: 0 });

    // And when another worker takes it, I expect it to see a redelivery
    const next = await pool.start(broker);
    await broker.join("default");
    await next.join();
    expect(seen).toEqual([false, true]);
  });

  it("aborts the signal of an abandoned attempt and runs no after hooks for it", async () => {
    // Given Retries and Pipelines, and a handler that fails once the worker gave up on it
    const broker = stubBroker([new Pipelines(), new Retries({ minBackoffMs: 1 })]);
    const started = deferred();
    const gaveUp = deferred<unknown>();
    const next = defineActor("next", () => undefined, { broker, queue: "other" });
    const stuck = defineActor(
      "stuck",
      async () => {
        const { signal } = getContext();
        started.resolve();
        await new Promise((resolve) => signal.addEventListener("abort", resolve));
        gaveUp.resolve(signal.reason);
        throw new Error("failed after the worker gave up");
      },
      { broker },
    );
    const worker = await pool.start(broker);
    await stuck.sendWithOptions({ wireOptions: { pipe_target: next.message().asDict() } });
    await started.promise;

    // When the worker stops with a short timeout
    await worker.stop({ timeoutMs: 20 });
    const reason = await gaveUp.promise;
    await sleep(10);

    // Then I expect the handler told to stop, and no retry nor pipeline step for the handed-back message
    expect(reason).toMatchObject({ name: "Shutdown" });
    expect(await broker.getQueueCounts("default")).toEqual({ ready: 1, delayed: 0, deadLettered: 0 });
    expect(await broker.getQueueCounts("other")).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
  });

  it("hands delayed messages back on stop", async () => {
    // Given a worker holding a delayed message
    const broker = stubBroker();
    const later = defineActor("later", () => undefined, { broker });
    const worker = await pool.start(broker);
    await later.sendWithOptions({ delayMs: 60_000 });
    await sleep(5);
    expect(worker.stats.delayed).toBe(1);

    // When it stops
    await worker.stop();

    // Then I expect the message back in the delay queue, unchanged
    expect(worker.stats.delayed).toBe(0);
    const [parked] = await takeAll(broker, "default.DQ");
    expect(parked!.actorName).toBe("later");
  });

  it("runs the boot and shutdown hooks in order", async () => {
    // Given a middleware recording worker hooks
    const events: string[] = [];
    const broker = stubBroker([
      {
        beforeWorkerBoot: () => void events.push("beforeBoot"),
        afterWorkerBoot: () => void events.push("afterBoot"),
        beforeWorkerShutdown: () => void events.push("beforeShutdown"),
        afterWorkerShutdown: () => void events.push("afterShutdown"),
      },
    ]);
    defineActor("a", () => undefined, { broker });

    // When a worker starts and stops
    const worker = await pool.start(broker);
    await worker.stop();

    // Then I expect the four hooks once each
    expect(events).toEqual(["beforeBoot", "afterBoot", "beforeShutdown", "afterShutdown"]);
  });
});

describe("Worker: set-up", () => {
  it("consumes every queue of the broker by default", async () => {
    const broker = stubBroker();
    defineActor("a", () => undefined, { broker, queue: "one" });
    defineActor("b", () => undefined, { broker, queue: "two" });
    expect(new Worker(broker).queues).toEqual(["one", "two"]);
    expect(new Worker(broker, { queues: ["two"] }).queues).toEqual(["two"]);
  });

  it("refuses a queue the broker does not know, a bad concurrency and a second start", async () => {
    const broker = stubBroker();
    defineActor("a", () => undefined, { broker });
    await expect(new Worker(broker, { queues: ["nope"] }).start()).rejects.toThrow(QueueNotFoundError);
    expect(() => new Worker(broker, { concurrency: 0 })).toThrow(RangeError);
    expect(() => new Worker(broker, { concurrency: 1.5 })).toThrow(RangeError);
    const worker = await pool.start(broker);
    await expect(worker.start()).rejects.toThrow(/only be started once/);
  });

  it("stops at once when it was never started", async () => {
    const worker = new Worker(stubBroker());
    await worker.stop();
    await expect(worker.start()).rejects.toThrow();
  });

  it("join resolves at once when idle", async () => {
    const broker = stubBroker();
    defineActor("a", () => undefined, { broker });
    const worker = await pool.start(broker);
    await worker.join();
    expect(worker.stats).toEqual({ acked: 0, nacked: 0, running: 0, buffered: 0, delayed: 0, heldBytes: 0 });
  });
});
