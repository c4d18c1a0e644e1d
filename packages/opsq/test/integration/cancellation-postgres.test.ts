/**
 * Cancellation on the live PostgreSQL and RabbitMQ: the backend's table and NOTIFY, and
 * cancels made through one pool (a "producer process") reaching a worker on another.
 */
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import { RabbitmqBroker } from "../../src/brokers/rabbitmq.js";
import type { CancelledEntry } from "../../src/cancellation/backend.js";
import { Cancellation } from "../../src/cancellation/middleware.js";
import { PostgresCancellationBackend } from "../../src/cancellation/postgres.js";
import { getContext } from "../../src/context.js";
import { MessageCancelled } from "../../src/errors.js";
import { Worker, type WorkerOptions } from "../../src/worker.js";
import { requirePostgres, TEST_DATABASE_URL, uniqueTableName } from "../helpers/postgres.js";
import {
  captureLogger,
  RABBITMQ_URL,
  RabbitAdmin,
  requireRabbitmq,
  testMiddleware,
  waitFor,
} from "../helpers/rabbitmq.js";
import { deferred } from "../unit/helpers.js";

const available = (await requirePostgres()) && (await requireRabbitmq());

describe.runIf(available)("PostgresCancellationBackend (live PostgreSQL)", () => {
  const backends: PostgresCancellationBackend[] = [];
  let admin: postgres.Sql;

  beforeAll(() => {
    admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  });

  afterEach(async () => {
    for (const backend of backends.splice(0)) {
      await backend.dropTable().catch(() => {});
      await backend.close();
    }
  });

  afterAll(() => admin?.end({ timeout: 1 }));

  /** Two backends on one table, each with its own pool: a producer and a worker process. */
  function pair(options: { ttlMs?: number } = {}) {
    const table = uniqueTableName("opsq_cancel_test");
    const producer = new PostgresCancellationBackend({ url: TEST_DATABASE_URL, table, ...options });
    const worker = new PostgresCancellationBackend({ url: TEST_DATABASE_URL, table, ...options });
    backends.push(worker, producer);
    return { table, producer, worker };
  }

  it("creates its table on first use; stores, reads and expires cancels; an unknown id is harmless", async () => {
    // Long enough that a loaded machine reads m1 before it expires, short enough to wait out.
    const { table, producer, worker } = pair({ ttlMs: 3_000 });

    await producer.cancel(["m1", "m2", "m1"]);

    const columns = await admin`
      select column_name, data_type from information_schema.columns where table_name = ${table} order by column_name`;
    expect(columns.map((c) => [c.column_name, c.data_type])).toEqual([
      ["cancelled_at", "timestamp with time zone"],
      ["expires_at", "timestamp with time zone"],
      ["message_id", "text"],
    ]);
    expect(await worker.isCancelled("m1")).toBe(true);
    expect(await worker.isCancelled("never-sent")).toBe(false);
    const all = await worker.changes(undefined);
    expect(all.entries.map((entry) => entry.messageId).sort()).toEqual(["m1", "m2"]);
    await waitFor(async () => !(await worker.isCancelled("m1")), { message: "the cancel to expire" });
    expect((await worker.changes(undefined)).entries).toEqual([]);
    expect(await producer.purgeExpired()).toBe(2);
  });

  it("reads the changes since a cursor (overlapping, never missing)", async () => {
    const { producer, worker } = pair();
    await producer.cancel(["early"]);
    const first = await worker.changes(undefined);
    await producer.cancel(["late"]);
    const second = await worker.changes(first.cursor);
    expect(second.entries.map((entry) => entry.messageId)).toContain("late");
    expect(second.cursor).toBeGreaterThanOrEqual(first.cursor);
  });

  it("announces cancels through NOTIFY to another pool, with their expiry; a bulk cancel says 'read'", async () => {
    const { producer, worker } = pair({ ttlMs: 60_000 });
    const heard: (readonly CancelledEntry[] | undefined)[] = [];
    const subscribed = deferred();
    const subscription = await worker.subscribe({
      onCancel: (entries) => heard.push(entries),
      onSubscribe: () => subscribed.resolve(),
    });
    await subscribed.promise;

    const before = Date.now();
    await producer.cancel(["n1", "n2"]);
    await waitFor(() => heard.length === 1, { message: "the announcement" });
    expect(heard[0]!.map((entry) => entry.messageId)).toEqual(["n1", "n2"]);
    // The expiry is the database's clock + ttlMs; the machines share a clock here.
    expect(heard[0]![0]!.expiresAt).toBeGreaterThan(before + 50_000);

    const many = Array.from({ length: 400 }, (_, i) => `bulk-${i}-${"x".repeat(20)}`);
    await producer.cancel(many);
    await waitFor(() => heard.length === 2, { message: "the bulk announcement" });
    expect(heard[1]).toBeUndefined();
    expect((await worker.changes(undefined)).entries).toHaveLength(402);

    await subscription.close();
    await producer.cancel(["after-close"]);
    await producer.isCancelled("after-close");
    expect(heard).toHaveLength(2);
  });

  it("rejects a bad table name and a missing connection in one line", () => {
    expect(() => new PostgresCancellationBackend({ url: TEST_DATABASE_URL, table: "bad-name" })).toThrow(
      'PostgresCancellationBackend: invalid table name "bad-name": use letters, digits and "_" (optionally "schema.table")',
    );
    expect(() => new PostgresCancellationBackend({})).toThrow(
      "PostgresCancellationBackend needs exactly one of `url` or `sql`",
    );
  });

  describe("with a worker on RabbitMQ", () => {
    let rabbitAdmin: RabbitAdmin;
    const workers: Worker[] = [];
    const brokers: RabbitmqBroker[] = [];

    beforeAll(async () => {
      rabbitAdmin = await RabbitAdmin.open();
    });

    afterEach(async () => {
      await Promise.all(workers.splice(0).map((worker) => worker.stop()));
      await Promise.all(brokers.splice(0).map((broker) => broker.close()));
    });

    afterAll(() => rabbitAdmin?.cleanup());

    /** A broker whose Cancellation polls only every minute: anything faster came through NOTIFY. */
    function setup() {
      const { producer, worker: workerBackend } = pair();
      const cancellation = new Cancellation({ backend: workerBackend, pollIntervalMs: 60_000 });
      const broker = new RabbitmqBroker({
        url: RABBITMQ_URL,
        middleware: [...testMiddleware(), cancellation],
        logger: captureLogger().logger,
      });
      brokers.push(broker);
      return { producer, cancellation, broker, queue: rabbitAdmin.queue("cancel") };
    }

    async function startWorker(broker: RabbitmqBroker, options: WorkerOptions = {}): Promise<Worker> {
      const worker = new Worker(broker, { shutdownTimeoutMs: 2_000, ...options });
      workers.push(worker);
      await worker.start();
      return worker;
    }

    it("never runs a queued message cancelled from another pool; acks it", async () => {
      // Given a worker with one slot held by a blocker, and a victim queued behind it
      const { producer, cancellation, broker, queue } = setup();
      const release = deferred();
      const started = deferred();
      const ran: string[] = [];
      const job = defineActor(
        "cancel_job",
        async (name: string) => {
          ran.push(name);
          if (name === "blocker") {
            started.resolve();
            await release.promise;
          }
        },
        { queue, broker },
      );
      const worker = await startWorker(broker, { concurrency: 1, prefetch: 1 });
      await job.send("blocker");
      await started.promise;
      const victim = await job.send("victim");

      // When the victim is cancelled through the producer's pool, and the worker heard of it
      await producer.cancel([victim.messageId]);
      await waitFor(() => cancellation.hasCancelled(victim.messageId), { message: "the NOTIFY" });
      await job.send("after");
      release.resolve();

      // Then I expect it acked without running, and nothing dead-lettered
      await waitFor(() => ran.includes("after"), { message: "the last message" });
      await broker.join(queue, { timeoutMs: 5_000 });
      expect(ran).toEqual(["blocker", "after"]);
      expect(await broker.getQueueCounts(queue)).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
      expect(worker.stats).toMatchObject({ acked: 3, nacked: 0 });
    });

    it("never runs a delayed message cancelled before its eta", async () => {
      const { producer, broker, queue } = setup();
      const ran: string[] = [];
      const job = defineActor("cancel_delayed", (name: string) => void ran.push(name), { queue, broker });
      await startWorker(broker);

      const delayed = await job.sendWithOptions({ args: ["delayed"], delayMs: 500 });
      await producer.cancel([delayed.messageId]);
      await job.sendWithOptions({ args: ["kept"], delayMs: 500 });

      await waitFor(() => ran.length === 1, { message: "the kept message" });
      await broker.join(queue, { timeoutMs: 5_000 });
      expect(ran).toEqual(["kept"]);
      expect(await broker.getQueueCounts(queue)).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
    });

    it("aborts a running message's signal with MessageCancelled through NOTIFY; acked, not retried", async () => {
      // Given a running message that waits on its signal, with retries allowed
      const { producer, broker, queue } = setup();
      const started = deferred<AbortSignal>();
      const attempts: number[] = [];
      const slow = defineActor(
        "cancel_slow",
        async () => {
          attempts.push(getContext().retries);
          started.resolve(getContext().signal);
          await new Promise((resolve) => getContext().signal.addEventListener("abort", resolve));
        },
        { queue, broker, maxRetries: 3 },
      );
      const worker = await startWorker(broker);
      const sent = await slow.send();
      const signal = await started.promise;

      // When it is cancelled from the producer's pool
      await producer.cancel([sent.messageId]);

      // Then I expect the signal aborted (the poll is a minute away: NOTIFY did it), once, and the message acked
      await waitFor(() => signal.aborted, { timeoutMs: 5_000, message: "the abort" });
      expect(signal.reason).toBeInstanceOf(MessageCancelled);
      await broker.join(queue, { timeoutMs: 5_000 });
      expect(attempts).toEqual([0]);
      expect(await broker.getQueueCounts(queue)).toEqual({ ready: 0, delayed: 0, deadLettered: 0 });
      expect(worker.stats).toMatchObject({ acked: 1, nacked: 0 });
    });

    it("catches up after its LISTEN connection was killed (postgres.js listens again)", async () => {
      // Given a worker whose LISTEN connection the server terminates
      const { producer, broker, queue, cancellation } = setup();
      const started = deferred<AbortSignal>();
      const slow = defineActor(
        "cancel_relisten",
        async () => {
          started.resolve(getContext().signal);
          await new Promise((resolve) => getContext().signal.addEventListener("abort", resolve));
        },
        { queue, broker },
      );
      await startWorker(broker);
      const channel = (cancellation.backend as PostgresCancellationBackend).channel;
      const killed = await admin`
        select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and query = ${`listen "${channel}"`}`;
      expect(killed).toHaveLength(1);

      // When a running message is cancelled
      const sent = await slow.send();
      const signal = await started.promise;
      await producer.cancel([sent.messageId]);

      // Then I expect it aborted all the same
      await waitFor(() => signal.aborted, { timeoutMs: 10_000, message: "the abort" });
      expect(signal.reason).toBeInstanceOf(MessageCancelled);
    });
  });
});
