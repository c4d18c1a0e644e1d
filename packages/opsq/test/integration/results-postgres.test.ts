import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import { StubBroker } from "../../src/brokers/stub.js";
import { ResultFailure, ResultMissing, ResultTimeout } from "../../src/errors.js";
import { group } from "../../src/group.js";
import { Retries } from "../../src/middleware/retries.js";
import { getResult, Results } from "../../src/results/middleware.js";
import { PostgresResultBackend } from "../../src/results/postgres.js";
import { Worker } from "../../src/worker.js";
import { requirePostgres, TEST_DATABASE_URL, uniqueTableName } from "../helpers/postgres.js";
import { quietLogger } from "../unit/helpers.js";

const available = await requirePostgres();
const table = uniqueTableName();

describe.skipIf(!available)("PostgresResultBackend (live PostgreSQL)", () => {
  let backend: PostgresResultBackend;
  let admin: postgres.Sql;
  const workers: Worker[] = [];

  beforeAll(() => {
    backend = new PostgresResultBackend({ url: TEST_DATABASE_URL, table });
    admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  });

  afterAll(async () => {
    await backend?.dropTables();
    await backend?.close();
    await admin?.end({ timeout: 1 });
  });

  async function start(broker: StubBroker): Promise<Worker> {
    const worker = new Worker(broker, { shutdownTimeoutMs: 200, concurrency: 4 });
    workers.push(worker);
    await worker.start();
    return worker;
  }

  function resultsBroker(): StubBroker {
    return new StubBroker({
      middleware: [new Retries({ minBackoffMs: 1, maxBackoffMs: 2 }), new Results({ backend })],
      logger: quietLogger(),
    });
  }

  it("creates its table on first use and round-trips JSON values", async () => {
    await backend.store("k1", { a: [1, "x", null], b: true }, 60_000);
    await backend.store("k2", null, 60_000);
    expect(await backend.get("k1")).toEqual({ found: true, value: { a: [1, "x", null], b: true } });
    expect(await backend.get("k2")).toEqual({ found: true, value: null });
    expect(await backend.get("missing")).toEqual({ found: false });
    const columns = await admin`
      select column_name, data_type from information_schema.columns where table_name = ${table} order by column_name`;
    expect(columns.map((c) => [c.column_name, c.data_type])).toEqual([
      ["expires_at", "timestamp with time zone"],
      ["key", "text"],
      ["value", "jsonb"],
    ]);
  });

  it("honours expiry on read and purges expired rows", async () => {
    await backend.store("short", 1, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await backend.get("short")).toEqual({ found: false });
    expect(await backend.purgeExpired()).toBeGreaterThanOrEqual(1);
    expect(await admin`select 1 from ${admin(table)} where key = 'short'`).toHaveLength(0);
  });

  it("stores results and final failures of a worker's messages", async () => {
    const broker = resultsBroker();
    const add = defineActor("add", (x: number, y: number) => x + y, { broker, storeResults: true });
    const bad = defineActor(
      "bad",
      () => {
        throw new TypeError("bad input");
      },
      { broker, storeResults: true, maxRetries: 1 },
    );
    const worker = await start(broker);

    const sum = await add.send(20, 22);
    const failed = await bad.send();
    expect(await getResult(sum, { backend, block: true, timeoutMs: 5_000 })).toBe(42);
    await broker.join("default");
    await worker.join();
    const error = await getResult(failed, { backend }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResultFailure);
    expect(error).toMatchObject({ errorType: "TypeError", errorMessage: "bad input" });
    await expect(getResult(add.message(0, 0), { backend })).rejects.toBeInstanceOf(ResultMissing);
    await expect(
      getResult(add.message(0, 0), { backend, block: true, timeoutMs: 100 }),
    ).rejects.toBeInstanceOf(ResultTimeout);
  });

  it("releases a group barrier exactly once under concurrent arrivals, redeliveries included", async () => {
    // Given a barrier of 20 members
    await backend.createBarrier("g-race", 20, 60_000);

    // When 20 members arrive at once, 5 of them twice (redeliveries)
    const members = Array.from({ length: 20 }, (_, i) => `m${i}`);
    const arrivals = [...members, ...members.slice(0, 5)];
    const released = await Promise.all(arrivals.map((m) => backend.arriveAtBarrier("g-race", m)));

    // Then I expect exactly one release, and only its member sees it again when redelivered
    const releasers = arrivals.filter((_, i) => released[i]);
    expect(new Set(releasers).size).toBe(1);
    expect(await backend.arriveAtBarrier("g-race", releasers[0]!)).toBe(true);
    const other = members.find((m) => m !== releasers[0])!;
    expect(await backend.arriveAtBarrier("g-race", other)).toBe(false);
    expect(await backend.arriveAtBarrier("unknown-group", "m0")).toBe(false);
  });

  it("does not count a redelivered member twice", async () => {
    await backend.createBarrier("g-redelivered", 2, 60_000);
    expect(await backend.arriveAtBarrier("g-redelivered", "a")).toBe(false);
    expect(await backend.arriveAtBarrier("g-redelivered", "a")).toBe(false);
    expect(await backend.arriveAtBarrier("g-redelivered", "b")).toBe(true);
  });

  it("runs a group and fires its completion callback once", async () => {
    const broker = resultsBroker();
    const calls: number[] = [];
    const square = defineActor("square", (n: number) => n * n, { broker, storeResults: true });
    const done = defineActor("done", (n: number) => void calls.push(n), { broker, queue: "done" });
    const worker = await start(broker);

    const g = await group(
      [1, 2, 3, 4, 5].map((n) => square.message(n)),
      { broker },
    )
      .addCompletionCallback(done.message(5))
      .run();
    expect(await g.getResults({ timeoutMs: 10_000 })).toEqual([1, 4, 9, 16, 25]);
    await broker.join("default");
    await broker.join("done");
    await worker.join();
    expect(calls).toEqual([5]);
    const [row] =
      await admin`select remaining from ${admin(`${table}_barriers`)} where group_id = ${g.groupId!}`;
    expect(row?.remaining).toBe(0);
  });
});
