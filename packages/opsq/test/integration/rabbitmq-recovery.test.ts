/**
 * Connection recovery on the RabbitMQ broker: the server force-closes the
 * connections of a producer and a worker in the middle of their work, and a
 * network black hole is detected by heartbeats. Nothing confirmed is lost,
 * failed sends say so, the worker resumes by itself, and each outage logs one
 * warn line and one info line, without the password.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Actor, defineActor } from "../../src/actor.js";
import type { RabbitmqBroker } from "../../src/brokers/rabbitmq.js";
import { PublishError } from "../../src/errors.js";
import {
  captureLogger,
  closeConnectionsNamed,
  hasRabbitmqctl,
  LEVEL,
  type LogLine,
  RabbitTestBed,
  requireRabbitmq,
  startFlakyProxy,
  uniqueQueue,
  waitFor,
} from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();
const withRabbitmqctl = available && (await hasRabbitmqctl());

/** The lines a broker logged itself (not its workers), at `level` or above. */
function brokerLines(lines: LogLine[], level: number): LogLine[] {
  return lines.filter((line) => line.component === "rabbitmq" && line.level >= level);
}

/** A producer sending numbered messages in small batches until stopped, keeping every outcome. */
function produce(actor: Actor<[number], void>) {
  const confirmed = new Set<number>();
  const failed = new Map<number, unknown>();
  let next = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const batch = Array.from({ length: 50 }, () => next++);
      await Promise.all(
        batch.map((n) =>
          actor.send(n).then(
            () => void confirmed.add(n),
            (error: unknown) => void failed.set(n, error),
          ),
        ),
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  return {
    confirmed,
    failed,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

describe.runIf(available)("RabbitmqBroker: connection recovery", () => {
  const rabbit = RabbitTestBed.use(
    { beforeAll, afterEach, afterAll },
    { broker: { reconnect: { initialDelayMs: 50, maxDelayMs: 500 } } },
  );

  /**
   * "probe" sent from `producer` and run by a worker on `consumer`, which records each label in
   * `seen`; resolves once a first message ("before") has run.
   */
  async function probeBetween(
    producer: RabbitmqBroker,
    consumer: RabbitmqBroker,
    queue: string,
  ): Promise<{ probe: Actor<[label: string], void>; seen: string[] }> {
    const seen: string[] = [];
    const probe = defineActor("probe", (_label: string) => {}, { queue, broker: producer });
    defineActor("probe", (label: string) => void seen.push(label), { queue, broker: consumer });
    await rabbit.startWorker(consumer);
    await probe.send("before");
    await waitFor(() => seen.includes("before"), { message: "the first message ran" });
    return { probe, seen };
  }

  it.runIf(withRabbitmqctl)(
    "survives the server closing its connections while producing and consuming",
    async () => {
      // Given a producer and a worker on their own brokers, under a connection name only this test uses
      const connectionName = uniqueQueue("opsq-recovery");
      const queue = rabbit.admin.queue();
      const producerLog = captureLogger();
      const workerLog = captureLogger();
      const producer = rabbit.broker({ connectionName, logger: producerLog.logger });
      const consumer = rabbit.broker({ connectionName, logger: workerLog.logger });
      const runs = new Map<number, number>();
      const sink = defineActor("sink", (_n: number) => {}, { queue, broker: producer });
      defineActor("sink", (n: number) => void runs.set(n, (runs.get(n) ?? 0) + 1), {
        queue,
        broker: consumer,
      });
      await rabbit.startWorker(consumer, { concurrency: 8 });
      const production = produce(sink);
      await waitFor(() => runs.size >= 100, { message: "100 messages processed before the outage" });

      // When RabbitMQ force-closes both connections
      expect(await closeConnectionsNamed(connectionName)).toBe(2);
      const confirmedAtOutage = production.confirmed.size;

      // Then production and consumption resume by themselves
      await waitFor(() => production.confirmed.size >= confirmedAtOutage + 200, {
        timeoutMs: 15_000,
        message: "200 more sends confirmed after the outage",
      });
      await production.stop();
      await waitFor(() => [...production.confirmed].every((n) => runs.has(n)), {
        timeoutMs: 15_000,
        message: "every confirmed send processed",
      });

      // And every send that failed says why, as a PublishError
      for (const error of production.failed.values()) {
        expect(error, String(error)).toBeInstanceOf(PublishError);
      }

      // And each broker logged the outage once and the recovery once, without the password
      for (const log of [producerLog, workerLog]) {
        const warnings = brokerLines(log.lines, LEVEL.warn);
        expect(warnings.map((line) => line.msg)).toEqual(["RabbitMQ connection lost; reconnecting"]);
        expect(warnings[0]!.reason).toContain("CONNECTION_FORCED");
        const recoveries = brokerLines(log.lines, LEVEL.info).filter((line) => line.level === LEVEL.info);
        expect(recoveries.map((line) => line.msg)).toEqual(["RabbitMQ connection recovered"]);
        expect(log.text()).not.toContain("guest:guest");
        expect(log.text()).toContain("guest:***@");
      }
    },
  );

  it("subscribes again when its queue is deleted under a running worker", async () => {
    // Given a worker consuming a queue
    const queue = rabbit.admin.queue();
    const log = captureLogger();
    const broker = rabbit.broker({ logger: log.logger });
    const seen: string[] = [];
    const probe = defineActor("probe", (label: string) => void seen.push(label), { queue, broker });
    await rabbit.startWorker(broker);

    // When someone deletes the queue family
    await rabbit.admin.deleteFamily(queue);

    // Then RabbitMQ cancels both consumers, they declare the queues again and subscribe again
    await waitFor(
      () =>
        log.lines.filter((line) => line.msg === "RabbitMQ cancelled a consumer; subscribing again").length ===
        2,
      { message: "both consumers cancelled by RabbitMQ" },
    );
    await waitFor(
      async () => {
        // Until they are declared again, checkQueue fails with 404.
        const consumers = await rabbit.admin
          .withChannel(async (channel) => [
            (await channel.checkQueue(queue)).consumerCount,
            (await channel.checkQueue(`${queue}.DQ`)).consumerCount,
          ])
          .catch(() => [0, 0]);
        return consumers.every((count) => count === 1);
      },
      { message: "a consumer on q and on q.DQ again" },
    );

    // And the worker processes what is sent next
    await probe.send("after");
    await waitFor(() => seen.includes("after"), { message: "the message sent after the deletion ran" });
  });

  it("settles a send made during an outage within confirmTimeoutMs, declaring the queue included", async () => {
    // Given a producer through a proxy, with a 1 s confirm budget, that declared its queue once
    const proxy = await startFlakyProxy();
    rabbit.defer(() => proxy.close());
    const log = captureLogger();
    const queue = rabbit.admin.queue();
    const producer = rabbit.broker({ url: proxy.url, logger: log.logger, confirmTimeoutMs: 1_000 });
    const probe = defineActor("probe", (_label: string) => {}, { queue, broker: producer });
    await probe.send("before");

    // When the server goes away for longer than the budget, and a message is sent meanwhile
    proxy.outage(20_000);
    await waitFor(() => log.lines.some((line) => line.msg === "RabbitMQ connection lost; reconnecting"), {
      message: "the producer noticed",
    });
    const sentAt = Date.now();
    const outcome = await Promise.race([
      probe.send("during").then(
        () => "sent",
        (error: unknown) => error,
      ),
      new Promise((resolve) => setTimeout(() => resolve("still pending after 6 s"), 6_000)),
    ]);
    const tookMs = Date.now() - sentAt;

    // Then the send rejected within the budget (and a margin for a loaded machine), naming the
    // queue and the URL without its password
    expect(outcome).toBeInstanceOf(PublishError);
    expect(tookMs).toBeLessThan(1_000 + 1_500);
    const text = (outcome as Error).message;
    expect(text).toContain(`queue "${queue}"`);
    expect(text).toContain("guest:***@");
    expect(text).not.toContain("guest:guest");
  });

  it("frees the worker slot of a failing attempt whose retry is sent during an outage, within confirmTimeoutMs", async () => {
    // Given a one-slot worker through a proxy, with a 1 s confirm budget, whose handler fails once
    // the connection is gone (so Retries sends its retry during the outage)
    const proxy = await startFlakyProxy();
    rabbit.defer(() => proxy.close());
    const log = captureLogger();
    const queue = rabbit.admin.queue();
    const broker = rabbit.broker({ url: proxy.url, logger: log.logger, confirmTimeoutMs: 1_000 });
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const lost = () => log.lines.some((line) => line.msg === "RabbitMQ connection lost; reconnecting");
    const fail = defineActor(
      "fail_in_outage",
      async () => {
        started();
        await waitFor(lost, { message: "the outage noticed" });
        throw new Error("failed during the outage");
      },
      { queue, broker },
    );
    const worker = await rabbit.startWorker(broker, { concurrency: 1 });
    await fail.send();
    await running;

    // When the server goes away for longer than the budget
    proxy.outage(20_000);
    await waitFor(lost, { message: "the worker noticed" });
    const lostAt = Date.now();

    // Then the retry send gives up within the budget (and a margin), and the slot is free again
    await waitFor(() => worker.stats.running === 0, { timeoutMs: 6_000, message: "the slot freed" });
    expect(Date.now() - lostAt).toBeLessThan(1_000 + 2_000);
    // (a lost connection is transient: the message is handed back, not dead-lettered)
    expect(
      log.lines.some((line) => line.msg === "could not enqueue the retry; handing the message back"),
    ).toBe(true);
  });

  it("reconnects with backoff while the server is unreachable; sends made meanwhile wait and succeed", async () => {
    // Given a producer and a worker connected through a proxy
    const proxy = await startFlakyProxy();
    rabbit.defer(() => proxy.close());
    const producerLog = captureLogger();
    const { probe, seen } = await probeBetween(
      rabbit.broker({ url: proxy.url, logger: producerLog.logger }),
      rabbit.broker({ url: proxy.url }),
      rabbit.admin.queue(),
    );

    // When the server goes away for a second, and a message is sent meanwhile
    proxy.outage(1_000);
    await waitFor(
      () => producerLog.lines.some((line) => line.msg === "RabbitMQ connection lost; reconnecting"),
      {
        message: "the producer noticed",
      },
    );
    const sentAt = Date.now();
    await probe.send("during");

    // Then the send resolved only once the server was back, and the worker ran it
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(500);
    await waitFor(() => seen.includes("during"), { message: "the message sent during the outage ran" });
    const failedAttempts = producerLog.lines.filter(
      (line) => line.msg === "RabbitMQ reconnection attempt failed",
    );
    expect(failedAttempts.length).toBeGreaterThan(0);
    expect(failedAttempts.every((line) => line.level === LEVEL.debug)).toBe(true);
    expect(brokerLines(producerLog.lines, LEVEL.warn)).toHaveLength(1);
    const [recovered, ...more] = brokerLines(producerLog.lines, LEVEL.info).filter(
      (line) => line.level === LEVEL.info,
    );
    expect(more).toHaveLength(0);
    expect(recovered).toMatchObject({
      msg: "RabbitMQ connection recovered",
      attempts: failedAttempts.length + 1,
    });
  });

  it("detects a silent network black hole by heartbeats and resumes consuming", async () => {
    // Given a worker whose connection goes through a proxy, with 1 s heartbeats
    const proxy = await startFlakyProxy();
    rabbit.defer(() => proxy.close());
    const log = captureLogger();
    const { probe, seen } = await probeBetween(
      rabbit.broker(),
      rabbit.broker({ url: proxy.url, heartbeatSeconds: 1, logger: log.logger }),
      rabbit.admin.queue(),
    );

    // When the network silently stops carrying its packets
    proxy.freeze();
    await probe.send("during");

    // Then heartbeats notice, the broker reconnects, and the worker gets the message
    await waitFor(() => seen.includes("during"), {
      timeoutMs: 10_000,
      message: "the message sent during the outage ran",
    });
    const warnings = brokerLines(log.lines, LEVEL.warn);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.reason).toContain("Heartbeat timeout");
    expect(brokerLines(log.lines, LEVEL.info).filter((line) => line.level === LEVEL.info)).toHaveLength(1);
  });
});
