/**
 * Workers on the RabbitMQ broker: processing, delays, retries and dead letters,
 * time limits, malformed bodies, priorities and graceful shutdown.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Actor, defineActor } from "../../src/actor.js";
import type { MessageDict } from "../../src/message.js";
import { RabbitTestBed, requireRabbitmq, waitFor } from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();

describe.runIf(available)("Worker on RabbitmqBroker", () => {
  const rabbit = RabbitTestBed.use(
    { beforeAll, afterEach, afterAll },
    { worker: { shutdownTimeoutMs: 2_000 } },
  );

  it("processes a sent message and acks it", async () => {
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const results: number[] = [];
    const add = defineActor("add", (x: number, y: number) => void results.push(x + y), { queue, broker });
    await rabbit.startWorker(broker);

    await add.send(1, 2);

    await waitFor(() => results.length === 1, { message: "add ran" });
    expect(results).toEqual([3]);
    await broker.join(queue, { timeoutMs: 5_000 });
    expect(await broker.getQueueCounts(queue)).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
  });

  it("runs a delayed message after its eta, not before", async () => {
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const ranAt: number[] = [];
    const probe = defineActor("probe", () => void ranAt.push(Date.now()), { queue, broker });
    await rabbit.startWorker(broker);

    const sent = await probe.sendWithOptions({ delayMs: 600 });

    await waitFor(() => ranAt.length === 1, { message: "the delayed message ran" });
    expect(ranAt[0]).toBeGreaterThanOrEqual(sent.options.eta as number);
    await broker.join(queue, { timeoutMs: 5_000 });
    expect(ranAt).toHaveLength(1);
  });

  it("retries with backoff, then dead-letters with options.retries = maxRetries and x-death headers", async () => {
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const attempts: number[] = [];
    const fail = defineActor(
      "wire_fail",
      () => {
        attempts.push(Date.now());
        throw new Error("wire_fail always fails");
      },
      { queue, broker, maxRetries: 2 },
    );
    await rabbit.startWorker(broker);

    const sent = await fail.send();

    await waitFor(async () => (await rabbit.admin.count(`${queue}.XQ`)) === 1, { message: "a dead letter" });
    expect(attempts).toHaveLength(3);
    for (let i = 1; i < attempts.length; i++) {
      expect(attempts[i]! - attempts[i - 1]!).toBeGreaterThanOrEqual(50); // minBackoffMs
    }
    const [dead] = await rabbit.admin.takeAll(`${queue}.XQ`);
    const body = JSON.parse(dead!.content.toString()) as MessageDict;
    expect(body.message_id).toBe(sent.messageId);
    expect(body.queue_name).toBe(queue);
    expect(body.options.retries).toBe(2);
    expect(body.options.traceback).toContain("wire_fail always fails");
    expect(typeof body.options.requeue_timestamp).toBe("number");
    const death = dead!.properties.headers?.["x-death"]?.[0];
    expect(death).toMatchObject({ reason: "rejected", queue, count: 1 });
    expect(dead!.properties.headers?.["x-first-death-queue"]).toBe(queue);
  });

  it("frees the slot of an attempt past its time limit, even when the handler ignores its signal", async () => {
    // Given a slow actor that ignores its signal, a fast one, and one slot
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const slowStarted: number[] = [];
    const fastDone: number[] = [];
    const slow = defineActor(
      "slow",
      async () => {
        slowStarted.push(Date.now());
        await new Promise((resolve) => setTimeout(resolve, 3_000));
      },
      { queue, broker, timeLimitMs: 200, maxRetries: 1 },
    );
    const fast = defineActor("fast", () => void fastDone.push(Date.now()), { queue, broker });
    await rabbit.startWorker(broker, { concurrency: 1, prefetch: 1 });

    // When the slow one is running and the fast one waits
    await slow.send();
    await waitFor(() => slowStarted.length === 1, { message: "the slow actor started" });
    await fast.send();

    // Then the fast one completes long before the slow handler would have
    await waitFor(() => fastDone.length === 1, { message: "the fast actor ran" });
    expect(fastDone[0]! - slowStarted[0]!).toBeLessThan(2_000);

    // And the slow one is retried once, then dead-lettered with TimeLimitExceeded as its last failure
    await waitFor(async () => (await rabbit.admin.count(`${queue}.XQ`)) === 1, {
      message: "the slow message dead-lettered",
    });
    expect(slowStarted).toHaveLength(2);
    const [dead] = await rabbit.admin.takeAll(`${queue}.XQ`);
    const body = JSON.parse(dead!.content.toString()) as MessageDict;
    expect(body.actor_name).toBe("slow");
    expect(body.options.retries).toBe(1);
    expect(body.options.traceback).toContain("TimeLimitExceeded");
  });

  it("dead-letters malformed bodies and keeps consuming", async () => {
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const seen: string[] = [];
    const probe = defineActor("probe", (text: string) => void seen.push(text), { queue, broker });
    await rabbit.startWorker(broker);
    const valid = probe.message("fine").asDict();

    // When bad bodies arrive: invalid JSON, an extra key, NaN, invalid UTF-8
    const bodies: (string | Buffer)[] = [
      "{not json",
      JSON.stringify({ ...valid, extra: 1 }),
      JSON.stringify(valid).replace('"args":["fine"]', '"args":[NaN]'),
      Buffer.concat([Buffer.from('{"queue_name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
    ];
    for (const body of bodies) {
      await rabbit.admin.publishRaw(queue, body);
    }
    await probe.send("after");

    // Then each is dead-lettered as it was, and the worker still processes good messages
    await waitFor(() => seen.includes("after"), { message: "the good message ran" });
    await waitFor(async () => (await rabbit.admin.count(`${queue}.XQ`)) === bodies.length, {
      message: "4 dead letters",
    });
    const dead = await rabbit.admin.takeAll(`${queue}.XQ`);
    expect(dead.map((message) => message.content)).toEqual(
      bodies.map((body) => (typeof body === "string" ? Buffer.from(body) : body)),
    );
    expect(seen).toEqual(["after"]);
  });

  it("runs higher-priority messages first on a queue with maxPriority", async () => {
    // Given low then high priority messages published while no worker runs
    const broker = rabbit.broker({ maxPriority: 10 });
    const queue = rabbit.admin.queue();
    const order: string[] = [];
    const probe = defineActor("probe", (label: string) => void order.push(label), { queue, broker });
    for (const label of ["low-1", "low-2", "low-3"]) {
      await probe.sendWithOptions({ args: [label], brokerPriority: 1 });
    }
    await probe.sendWithOptions({ args: ["high"], brokerPriority: 9 });

    // When a worker starts with one slot and prefetch 1
    await rabbit.startWorker(broker, { concurrency: 1, prefetch: 1 });

    // Then the high-priority one runs first
    await waitFor(() => order.length === 4, { message: "4 messages ran" });
    expect(order).toEqual(["high", "low-1", "low-2", "low-3"]);
  });

  it("shuts down gracefully: in-flight work finishes, the rest goes back, nothing is lost or run twice", async () => {
    // Given six 300 ms jobs and a worker with two slots
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const started: number[] = [];
    const finished: number[] = [];
    const job: Actor<[number], void> = defineActor(
      "job",
      async (n: number) => {
        started.push(n);
        await new Promise((resolve) => setTimeout(resolve, 300));
        finished.push(n);
      },
      { queue, broker },
    );
    await Promise.all([0, 1, 2, 3, 4, 5].map((n) => job.send(n)));
    const first = await rabbit.startWorker(broker, { concurrency: 2, prefetch: 4 });
    await waitFor(() => started.length === 2, { message: "two jobs running" });

    // When it stops with work in flight
    await first.stop({ timeoutMs: 5_000 });

    // Then the in-flight jobs completed and the others are back in the queue
    expect(finished.sort()).toEqual(started.slice().sort());
    expect(finished).toHaveLength(2);
    await waitFor(async () => (await rabbit.admin.count(queue)) === 4, {
      message: "4 messages back in the queue",
    });

    // And a new worker runs exactly the rest
    await rabbit.startWorker(broker, { concurrency: 2 });
    await waitFor(() => finished.length === 6, { message: "all six jobs done" });
    await broker.join(queue, { timeoutMs: 5_000 });
    expect(finished.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(started).toHaveLength(6);
  });

  it("re-parks a message due later than maxHoldMs and still runs it once, on time", async () => {
    const broker = rabbit.broker();
    const queue = rabbit.admin.queue();
    const ranAt: number[] = [];
    const probe = defineActor("probe", () => void ranAt.push(Date.now()), { queue, broker });
    let holds = 0;
    broker.addMiddleware({ beforeDelayMessage: () => void holds++ });
    await rabbit.startWorker(broker, { maxHoldMs: 300 });

    const sent = await probe.sendWithOptions({ delayMs: 1_000 });

    await waitFor(() => ranAt.length === 1, { message: "the delayed message ran" });
    expect(holds, "held, re-parked in the .DQ and held again").toBeGreaterThanOrEqual(3);
    const eta = sent.options.eta as number;
    expect(ranAt[0]).toBeGreaterThanOrEqual(eta);
    expect(ranAt[0]! - eta).toBeLessThan(500);
    await broker.join(queue, { timeoutMs: 5_000 });
    expect(ranAt).toHaveLength(1);
  });
});
