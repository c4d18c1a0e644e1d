/**
 * The PostgreSQL dedup backend on the live server, and `opsq worker --dedup-url` as two
 * subprocesses on the live RabbitMQ: a message whose worker is SIGKILLed mid-run still succeeds
 * once, its duplicates never run, and a new message with the key runs once the first succeeded
 * and its TTL passed.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RabbitmqBroker } from "../../src/brokers/rabbitmq.js";
import { Dedup } from "../../src/dedup/middleware.js";
import { PostgresDedupBackend } from "../../src/dedup/postgres.js";
import { DuplicateMessage } from "../../src/errors.js";
import { Message } from "../../src/message.js";
import { CliProcess, FIXTURES } from "../fixtures/cli/cli-process.js";
import { CliTestBed } from "../helpers/cli-bed.js";
import { requirePostgres, TEST_DATABASE_URL, uniqueTableName } from "../helpers/postgres.js";
import { captureLogger, RABBITMQ_URL, requireRabbitmq, waitFor } from "../helpers/rabbitmq.js";

const available = (await requirePostgres()) && (await requireRabbitmq());
const RABBIT_ACTORS = join(FIXTURES, "rabbit-actors.js");

describe.runIf(available)("PostgresDedupBackend", () => {
  let backend: PostgresDedupBackend;

  beforeEach(() => {
    backend = new PostgresDedupBackend({ url: TEST_DATABASE_URL, table: uniqueTableName("opsq_dedup_test") });
  });

  afterEach(async () => {
    await backend.dropTable();
    await backend.close();
  });

  it("gives a key to one of many concurrent claimers, again to its holder, and to others once released or expired", async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `m${i}`);
    const holders = await Promise.all(ids.map((id) => backend.claim("k", id, 60_000)));
    const winner = holders[0]!.messageId;
    expect(holders.every((h) => h.messageId === winner)).toBe(true);
    expect(await backend.claim("k", winner, 60_000)).toEqual({ messageId: winner, done: false });
    await backend.complete("k", winner, 60_000);
    expect(await backend.claim("k", "late", 60_000)).toEqual({ messageId: winner, done: true });
    expect(await backend.claim("k", winner, 1)).toEqual({ messageId: winner, done: true });
    await backend.release("k", "not-the-holder");
    expect(await backend.holder("k")).toEqual({ messageId: winner, done: true });
    await backend.release("k", winner);
    expect(await backend.claim("k", "next", 50)).toEqual({ messageId: "next", done: false });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await backend.holder("k")).toBeUndefined();
    expect(await backend.claim("k", "after-expiry", 60_000)).toEqual({
      messageId: "after-expiry",
      done: false,
    });
  });
});

describe.runIf(available)("opsq worker --dedup-url", () => {
  const bed = CliTestBed.use({ beforeAll, beforeEach, afterEach, afterAll }, "dedup-cli");
  let table: string;
  let backend: PostgresDedupBackend;
  let producer: RabbitmqBroker;

  beforeEach(() => {
    table = uniqueTableName("opsq_dedup_cli");
    backend = new PostgresDedupBackend({ url: TEST_DATABASE_URL, table });
    producer = new RabbitmqBroker({
      url: RABBITMQ_URL,
      middleware: [new Dedup({ backend })],
      logger: captureLogger().logger,
    });
  });

  afterEach(async () => {
    await producer.close();
    await backend.dropTable();
    await backend.close();
  });

  const marker = (id: string, stage: string) => join(bed.markers, `${id}.${stage}`);
  const slow = (ms: number, key: string, ttlMs: number) =>
    new Message({
      queueName: bed.queue,
      actorName: "cli_slow",
      args: [ms],
      options: { dedup_key: key, dedup_ttl: ttlMs },
    });

  it("runs a message once across two workers and a SIGKILL, never its duplicates, and a new one after the TTL", async () => {
    // Given two worker processes with --dedup-url on one queue
    const workers = [0, 1].map(() =>
      CliProcess.start(
        ["worker", RABBIT_ACTORS, "-c", "1", "--dedup-url", TEST_DATABASE_URL, "--dedup-table", table],
        {
          env: {
            RABBITMQ_URL,
            OPSQ_TEST_QUEUE: bed.queue,
            OPSQ_TEST_MARKERS: bed.markers,
            OPSQ_DEDUP_URL: undefined,
          },
        },
      ),
    );
    await Promise.all(workers.map((w) => w.waitReady()));
    expect(workers[0]!.lines).toContainEqual(
      expect.objectContaining({ msg: "deduplication enabled", table }),
    );

    // When a slow message with a key is sent, and a second one with the key while it runs
    const first = await producer.enqueue(slow(3_000, "k", 1_500));
    await waitFor(() => existsSync(marker(first.messageId, "started")), { message: "the first start" });
    const second = producer.enqueue(slow(10, "k", 1_500));
    await expect(second).rejects.toBeInstanceOf(DuplicateMessage);
    await expect(second).rejects.toMatchObject({ firstMessageId: first.messageId });
    // …and one with the key sent without the middleware (it reaches the queue: the other worker acks it unrun)
    const sneaked = await bed.producer.enqueue(slow(10, "k", 1_500));

    // …and the worker running the first is killed mid-run
    const { pid } = JSON.parse(readFileSync(marker(first.messageId, "started"), "utf8")) as { pid: number };
    const victim = workers.find((w) => w.child.pid === pid)!;
    const survivor = workers.find((w) => w !== victim)!;
    victim.signal("SIGKILL");

    // Then the survivor runs the first to its end (RabbitMQ redelivers it), once
    await waitFor(() => existsSync(marker(first.messageId, "done")), {
      message: "the first done",
      timeoutMs: 15_000,
    });
    const doneBy = JSON.parse(readFileSync(marker(first.messageId, "done"), "utf8")) as { pid: number };
    expect(doneBy.pid).toBe(survivor.child.pid);
    // …the sneaked duplicate is acked unrun
    await waitFor(
      () =>
        survivor.lines.some(
          (l) => l.msg === "duplicate message; acking it unrun" && l.message_id === sneaked.messageId,
        ),
      { message: "the sneaked duplicate acked unrun" },
    );
    expect(existsSync(marker(sneaked.messageId, "started"))).toBe(false);

    // …and a new message with the key is refused until the TTL passed, then runs
    const doneAt = Date.now();
    let next: Message | undefined;
    await waitFor(
      async () => {
        next = await producer.enqueue(slow(10, "k", 1_500)).catch((error: unknown) => {
          if (error instanceof DuplicateMessage) {
            return undefined;
          }
          throw error;
        });
        return next !== undefined;
      },
      { message: "the key freed", timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(Date.now() - doneAt).toBeGreaterThanOrEqual(1_000);
    await waitFor(() => existsSync(marker(next!.messageId, "done")), { message: "the next done" });
  });
});
