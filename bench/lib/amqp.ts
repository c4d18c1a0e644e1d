/** Raw amqplib helpers: the run's context, queue families as opsq declares them, pre-filling, polling, clean-up. */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import amqp from "amqplib";
import { Message } from "opsq";
import { sleep } from "./stats.js";

/** The RabbitMQ of the benchmarks: `RABBITMQ_URL`, else the local test server. */
export const RABBITMQ_URL = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";

/** What every section shares: the broker URL, a raw connection, the queues to delete at the end. */
export interface BenchContext {
  readonly url: string;
  /** Short random id in every queue name of this run. */
  readonly run: string;
  /** Replaced by {@link reconnect} when the broker drops it. */
  connection: amqp.ChannelModel;
  /** Canonical queue names created (their .DQ and .XQ are deleted with them). */
  readonly queues: Set<string>;
  /** Where worker processes write their records. */
  readonly tmpdir: string;
  /** Messages per throughput round. */
  readonly messages: number;
  /** Rounds per throughput figure. */
  readonly rounds: number;
}

/** Connects to {@link RABBITMQ_URL} (see {@link connect}) and makes the context of a run. */
export async function openContext(options: {
  tmpdir: string;
  messages: number;
  rounds: number;
}): Promise<BenchContext> {
  return {
    url: RABBITMQ_URL,
    run: randomUUID().slice(0, 8),
    connection: await connect(RABBITMQ_URL),
    queues: new Set(),
    ...options,
  };
}

let counter = 0;

/** A fresh queue name, remembered for deletion. */
export function uniqueQueue(context: BenchContext, label: string): string {
  const name = `bench-${context.run}-${label}-${++counter}`;
  context.queues.add(name);
  return name;
}

/** The body of a message for the "bench_stats" actor (see fixtures/stats-actors.mjs). */
export function statsBody(queue: string, sentAt = 0): Buffer {
  return new Message({ queueName: queue, actorName: "bench_stats", args: [sentAt] }).encode();
}

/** Declares `q`, `q.DQ`, `q.XQ` with the arguments opsq uses (so an opsq worker accepts them). */
export async function declareFamily(context: BenchContext, queue: string): Promise<void> {
  const channel = await context.connection.createChannel();
  const args = { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": `${queue}.XQ` };
  await channel.assertQueue(queue, { durable: true, arguments: args });
  await channel.assertQueue(`${queue}.DQ`, { durable: true, arguments: args });
  await channel.assertQueue(`${queue}.XQ`, { durable: true, arguments: { "x-message-ttl": 604_800_000 } });
  await channel.close();
}

/** A queue for the stats actors, and the prefix its consumers write their records to. */
export interface StatsQueue {
  readonly queue: string;
  readonly stats: string;
}

/** Declares a fresh queue family for the stats actors (remembered for deletion). */
export async function statsQueue(context: BenchContext, label: string): Promise<StatsQueue> {
  const queue = uniqueQueue(context, label);
  await declareFamily(context, queue);
  return { queue, stats: join(context.tmpdir, queue) };
}

/**
 * {@link statsQueue} pre-filled with `count` messages for "bench_stats" (argument 0: no latency
 * recorded); `prefillSeconds` is how long publishing them took.
 */
export async function prefilledStatsQueue(
  context: BenchContext,
  label: string,
  count: number,
): Promise<StatsQueue & { prefillSeconds: number }> {
  const target = await statsQueue(context, label);
  const started = performance.now();
  await rawPublish(context, target.queue, count, () => statsBody(target.queue));
  return { ...target, prefillSeconds: (performance.now() - started) / 1000 };
}

/**
 * Publishes `count` persistent messages on a confirm channel, waiting for the confirms at the end
 * (amqplib's fastest confirmed way). Returns messages per second.
 */
export async function rawPublish(
  context: BenchContext,
  queue: string,
  count: number,
  body: (i: number) => Buffer,
): Promise<number> {
  const channel = await context.connection.createConfirmChannel();
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    if (!channel.publish("", queue, body(i), { persistent: true })) {
      await new Promise((resolve) => channel.once("drain", resolve));
    }
  }
  await channel.waitForConfirms();
  const rate = count / ((performance.now() - started) / 1000);
  await channel.close();
  return rate;
}

/** Ready messages in a queue. */
export async function readyCount(context: BenchContext, queue: string): Promise<number> {
  const channel = await context.connection.createChannel();
  try {
    return (await channel.checkQueue(queue)).messageCount;
  } finally {
    await channel.close();
  }
}

/** Polls until the queue has no ready message; `check` (e.g. "are the consumers alive?") may throw. */
export async function waitEmpty(
  context: BenchContext,
  queue: string,
  check: () => void = () => {},
  timeoutMs = 600_000,
): Promise<void> {
  const channel = await context.connection.createChannel();
  const deadline = Date.now() + timeoutMs;
  try {
    while ((await channel.checkQueue(queue)).messageCount > 0) {
      check();
      if (Date.now() > deadline) throw new Error(`queue ${queue} not drained within ${timeoutMs} ms`);
      await sleep(25);
    }
  } finally {
    await channel.close();
  }
}

/** Deletes the families of the given canonical queues (and forgets them). */
export async function deleteFamilies(context: BenchContext, queues: Iterable<string>): Promise<void> {
  const channel = await context.connection.createChannel();
  for (const queue of [...queues]) {
    for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`]) {
      await channel.deleteQueue(name).catch(() => {});
    }
    context.queues.delete(queue);
  }
  await channel.close().catch(() => {});
}

/** Opens a raw connection that ignores its 'error' events (a forced close then just closes it). */
export async function connect(url: string): Promise<amqp.ChannelModel> {
  const connection = await amqp.connect(url);
  connection.on("error", () => {});
  return connection;
}

/** Replaces the context's connection with a new one (waiting up to a minute for RabbitMQ). */
export async function reconnect(context: BenchContext): Promise<void> {
  await context.connection.close().catch(() => {});
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      context.connection = await connect(context.url);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(1000);
    }
  }
}
