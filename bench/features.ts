/**
 * Figures of the issue-6 features, each against its own baseline:
 *
 * 1. isolation: per-attempt cost of a trivial handler in-process, in a worker thread and in a child
 *    process (StubBroker, concurrency 1, warm runners), plus the cold start of a runner;
 * 2. middleware overhead on a StubBroker drain of no-op messages: none, Prometheus, Cancellation
 *    (memory backend);
 * 3. cancellation latency: `cancel()` in one PostgreSQL pool → the running attempt's signal aborts
 *    in a worker using another pool (LISTEN/NOTIFY);
 * 4. rate limiters on PostgreSQL: concurrent acquire+release and window acquisitions per second,
 *    from 1 and 8 callers.
 *
 * Usage: npm run build && npx tsx bench/features.ts [--messages 20000]
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import {
  type Actor,
  Cancellation,
  type CancellationBackend,
  ConcurrentRateLimiter,
  closeIsolationPools,
  createLogger,
  defaultMiddleware,
  defineActor,
  getContext,
  MemoryCancellationBackend,
  type Middleware,
  PostgresCancellationBackend,
  PostgresRateLimiterBackend,
  Prometheus,
  setBroker,
  WindowRateLimiter,
  Worker,
} from "opsq";
import { StubBroker } from "opsq/testing";
import { median, percentile } from "./lib/stats.js";

const { values } = parseArgs({ options: { messages: { type: "string", default: "20000" } } });
const MESSAGES = Number(values.messages);
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const quiet = createLogger({ level: "silent" });

/** What the fixture module exports: three actors `(x, y) => x + y`. */
interface IsolatedActors {
  inProcess: Actor<[number, number], number>;
  inThread: Actor<[number, number], number>;
  inProcessRunner: Actor<[number, number], number>;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function isolationFigures(): Promise<void> {
  const broker = new StubBroker({ logger: quiet });
  setBroker(broker);
  // A computed specifier: the fixture is plain JavaScript, which the runners import as it is.
  const fixture = new URL("./fixtures/isolated-actors.mjs", import.meta.url).href;
  const actors = (await import(fixture)) as IsolatedActors;
  const worker = new Worker(broker, { concurrency: 1 });
  await worker.start();
  const perAttempt = async (actor: { send(x: number, y: number): Promise<unknown> }, count: number) => {
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      await actor.send(i, 1);
      await broker.join("default");
    }
    return (performance.now() - started) / count;
  };
  console.log("1. isolation, one attempt at a time (StubBroker, send → settled), after a warm-up:");
  for (const [label, actor] of [
    ["in-process", actors.inProcess],
    ["thread", actors.inThread],
    ["process", actors.inProcessRunner],
  ] as const) {
    const coldStart = performance.now();
    await actor.send(0, 0);
    await broker.join("default");
    const cold = performance.now() - coldStart;
    await perAttempt(actor, 200);
    const rounds = [
      await perAttempt(actor, 1000),
      await perAttempt(actor, 1000),
      await perAttempt(actor, 1000),
    ];
    console.log(
      `   ${label.padEnd(10)} ${fmt(median(rounds) * 1000, 0).padStart(5)} µs/attempt (median of 3 × 1000); first attempt ${fmt(cold, 1)} ms`,
    );
  }
  await worker.stop();
  await closeIsolationPools();
}

async function drainRate(middleware: Middleware[]): Promise<number> {
  const broker = new StubBroker({ middleware: [...defaultMiddleware(), ...middleware], logger: quiet });
  const noop = defineActor("bench_noop", (_n: number) => {}, { broker });
  for (let i = 0; i < MESSAGES; i++) {
    await noop.send(i);
  }
  // Queued first, then drained: the figure is the worker's, not the producer's.
  const worker = new Worker(broker, { concurrency: 8 });
  const started = performance.now();
  await worker.start();
  await broker.join("default");
  const rate = MESSAGES / ((performance.now() - started) / 1000);
  await worker.stop();
  return rate;
}

async function middlewareFigures(): Promise<void> {
  console.log(
    `2. StubBroker drain of ${fmt(MESSAGES)} no-op messages, concurrency 8 (median of 5 after a warm-up, msg/s):`,
  );
  const setups: [string, () => Middleware[]][] = [
    ["default middleware", () => []],
    ["+ Prometheus", () => [new Prometheus()]],
    ["+ Cancellation", () => [new Cancellation({ backend: new MemoryCancellationBackend() })]],
  ];
  const rates = new Map<string, number[]>(setups.map(([label]) => [label, []]));
  // Round 0 warms the JIT up for every set-up and is not counted.
  for (let round = 0; round <= 5; round++) {
    for (const [label, make] of setups) {
      const rate = await drainRate(make());
      if (round > 0) {
        rates.get(label)!.push(rate);
      }
    }
  }
  const base = median(rates.get("default middleware")!);
  for (const [label] of setups) {
    const rate = median(rates.get(label)!);
    console.log(`   ${label.padEnd(20)} ${fmt(rate).padStart(8)} msg/s (×${fmt(rate / base, 2)})`);
  }
}

async function cancellationFigures(): Promise<void> {
  const table = `bench_cancel_${randomUUID().slice(0, 8)}`;
  const canceller: CancellationBackend = new PostgresCancellationBackend({ url: DATABASE_URL, table });
  const listening = new PostgresCancellationBackend({ url: DATABASE_URL, table });
  const broker = new StubBroker({
    middleware: [...defaultMiddleware(), new Cancellation({ backend: listening })],
    logger: quiet,
  });
  const aborted = new Map<string, number>();
  let started: (() => void) | undefined;
  const waiter = defineActor(
    "bench_wait",
    () =>
      new Promise<void>((resolve) => {
        const { signal, messageId } = getContext();
        signal.addEventListener("abort", () => {
          aborted.set(messageId, performance.now());
          resolve();
        });
        started?.();
      }),
    { broker },
  );
  const worker = new Worker(broker, { concurrency: 1 });
  await worker.start();
  const latencies: number[] = [];
  for (let i = 0; i < 50; i++) {
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const sent = await waiter.send();
    await running;
    const before = performance.now();
    await canceller.cancel([sent.messageId]);
    await broker.join("default");
    latencies.push(aborted.get(sent.messageId)! - before);
  }
  await worker.stop();
  await listening.dropTable();
  await Promise.all([canceller.close(), listening.close()]);
  console.log(
    `3. cancel() → running attempt's signal aborted, across two PostgreSQL pools (50 cancels): p50 ${fmt(percentile(latencies, 50), 2)} ms, p99 ${fmt(percentile(latencies, 99), 2)} ms`,
  );
}

async function rateLimitFigures(): Promise<void> {
  const backend = new PostgresRateLimiterBackend({
    url: DATABASE_URL,
    tablePrefix: `bench_rl_${randomUUID().slice(0, 8)}`,
  });
  const measure = async (callers: number, acquire: () => Promise<unknown>, total = 2000) => {
    let left = total;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (left-- > 0) await acquire();
      }),
    );
    return total / ((performance.now() - started) / 1000);
  };
  const mutex = new ConcurrentRateLimiter({ backend, key: "bench-mutex", limit: 1_000_000 });
  const window = new WindowRateLimiter({ backend, key: "bench-window", limit: 1_000_000, windowMs: 1_000 });
  console.log("4. rate limiters on PostgreSQL (one key, limit never reached, 2000 calls):");
  for (const callers of [1, 8]) {
    const concurrent = await measure(callers, () => mutex.acquire(() => undefined));
    const windowed = await measure(callers, () => window.acquire(() => undefined));
    console.log(
      `   ${callers} caller(s): concurrent acquire+release ${fmt(concurrent).padStart(6)}/s, window acquire ${fmt(windowed).padStart(6)}/s`,
    );
  }
  await backend.dropTables();
  await backend.close();
}

await isolationFigures();
await middlewareFigures();
await cancellationFigures();
await rateLimitFigures();
