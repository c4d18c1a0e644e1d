/**
 * opsq vs raw amqplib on the same RabbitMQ, in one run:
 * - enqueue: raw publish on a confirm channel (batched confirms) vs `actor.send()`;
 * - drain: raw consume with manual ack (prefetch 100) vs an opsq worker;
 * - `opsq worker` start-up (spawn → ready line) and idle graceful shutdown (SIGTERM → exit).
 *
 * Usage: npm run bench [-- --messages 10000]
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import amqp from "amqplib";
import { type Actor, defineActor, Message, RabbitmqBroker, Worker } from "opsq";

const url = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const count = Number(process.argv[process.argv.indexOf("--messages") + 1]) || 10_000;
const root = fileURLToPath(new URL("..", import.meta.url));

interface Figure {
  name: string;
  value: number;
  unit: string;
}

function rate(started: number): number {
  return Math.round(count / ((performance.now() - started) / 1000));
}

function body(queue: string, i: number): Buffer {
  return new Message({ queueName: queue, actorName: "bench_noop", args: [i] }).encode();
}

function queueArgs(queue: string) {
  return {
    durable: true,
    arguments: { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": `${queue}.XQ` },
  };
}

async function rawPublish(connection: amqp.ChannelModel, queue: string): Promise<number> {
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(queue, queueArgs(queue));
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    if (!channel.publish("", queue, body(queue, i), { persistent: true })) {
      await new Promise((resolve) => channel.once("drain", resolve));
    }
  }
  await channel.waitForConfirms();
  const result = rate(started);
  await channel.close();
  return result;
}

async function rawConsume(connection: amqp.ChannelModel, queue: string): Promise<number> {
  const channel = await connection.createChannel();
  await channel.prefetch(100);
  const started = performance.now();
  await new Promise<void>((resolve) => {
    let seen = 0;
    void channel.consume(queue, (delivery) => {
      if (delivery === null) return;
      JSON.parse(delivery.content.toString());
      channel.ack(delivery);
      if (++seen === count) resolve();
    });
  });
  const result = rate(started);
  await channel.close();
  return result;
}

async function opsqSend(actor: Actor<[number], void>): Promise<number> {
  const started = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    pending.push(actor.send(i));
  }
  await Promise.all(pending);
  return rate(started);
}

async function opsqDrain(broker: RabbitmqBroker, queue: string, done: () => Promise<void>): Promise<number> {
  const worker = new Worker(broker, { queues: [queue], concurrency: 50, prefetch: 100 });
  const started = performance.now();
  await worker.start();
  await done();
  const result = rate(started);
  await worker.stop();
  return result;
}

async function startupAndShutdown(queue: string): Promise<{ startupMs: number; shutdownMs: number }> {
  const cli = `${root}packages/opsq/dist/cli/main.js`;
  const started = performance.now();
  const child = spawn(process.execPath, [cli, "worker", `${root}bench/fixtures/noop-actors.mjs`], {
    env: { ...process.env, BENCH_QUEUE: queue, RABBITMQ_URL: url, OPSQ_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const startupMs = await new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
      if (/ready/i.test(output)) resolve(performance.now() - started);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    child.on("exit", (code) => reject(new Error(`worker exited with ${code} before ready:\n${output}`)));
  });
  const stopping = performance.now();
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  child.kill("SIGTERM");
  await exited;
  return { startupMs, shutdownMs: performance.now() - stopping };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** One round of the four throughput figures, each on fresh queues. */
async function round(connection: amqp.ChannelModel, broker: RabbitmqBroker, run: string, index: number) {
  const rawQueue = `bench-raw-${run}-${index}`;
  const opsqQueue = `bench-opsq-${run}-${index}`;
  let processed = 0;
  let resolveDone: () => void = () => {};
  const allDone = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const actor = defineActor(
    `bench_noop_${index}`,
    (_i: number) => {
      if (++processed === count) resolveDone();
    },
    { queue: opsqQueue, broker },
  );
  try {
    const rawEnqueue = await rawPublish(connection, rawQueue);
    const opsqEnqueue = await opsqSend(actor);
    const rawDrain = await rawConsume(connection, rawQueue);
    const opsqDrained = await opsqDrain(broker, opsqQueue, () => allDone);
    return { rawEnqueue, opsqEnqueue, rawDrain, opsqDrained };
  } finally {
    const channel = await connection.createChannel();
    for (const queue of [rawQueue, opsqQueue]) {
      for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`]) {
        await channel.deleteQueue(name).catch(() => {});
      }
    }
    await channel.close();
  }
}

async function main(): Promise<void> {
  const run = randomUUID().slice(0, 8);
  const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 3;
  const connection = await amqp.connect(url);
  const broker = new RabbitmqBroker({ url });
  try {
    const results = [];
    for (let i = 0; i < rounds; i++) {
      results.push(await round(connection, broker, run, i));
    }
    const pick = (key: keyof (typeof results)[number]) => median(results.map((result) => result[key]));
    const startups: number[] = [];
    const shutdowns: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { startupMs, shutdownMs } = await startupAndShutdown(`bench-cli-${run}`);
      startups.push(startupMs);
      shutdowns.push(shutdownMs);
    }
    const rawEnqueue = pick("rawEnqueue");
    const opsqEnqueue = pick("opsqEnqueue");
    const rawDrain = pick("rawDrain");
    const opsqDrained = pick("opsqDrained");
    const figures: Figure[] = [
      { name: "raw amqplib publish (confirms)", value: rawEnqueue, unit: "msg/s" },
      { name: "opsq send()", value: opsqEnqueue, unit: "msg/s" },
      { name: "enqueue ratio opsq/raw", value: opsqEnqueue / rawEnqueue, unit: "× (target ≥ 0.8)" },
      { name: "raw amqplib consume+ack (prefetch 100)", value: rawDrain, unit: "msg/s" },
      { name: "opsq worker drain (concurrency 50, prefetch 100)", value: opsqDrained, unit: "msg/s" },
      { name: "drain ratio opsq/raw", value: opsqDrained / rawDrain, unit: "× (target ≥ 0.8)" },
      { name: "opsq worker start-up (spawn → ready)", value: median(startups), unit: "ms (target < 500)" },
      {
        name: "opsq worker idle shutdown (SIGTERM → exit)",
        value: median(shutdowns),
        unit: "ms (target < 500)",
      },
    ];
    console.log(
      `\nopsq benchmark: ${count} no-op messages, median of ${rounds} rounds (start-up: of 5), RabbitMQ ${url.replace(/:[^:@/]*@/, ":***@")}`,
    );
    for (const figure of figures) {
      const value = figure.value < 10 ? figure.value.toFixed(2) : Math.round(figure.value).toString();
      console.log(`${figure.name.padEnd(50)} ${value.padStart(10)} ${figure.unit}`);
    }
  } finally {
    const channel = await connection.createChannel();
    for (const name of [`bench-cli-${run}`, `bench-cli-${run}.DQ`, `bench-cli-${run}.XQ`]) {
      await channel.deleteQueue(name).catch(() => {});
    }
    await connection.close();
    await broker.close();
  }
}

await main();
