/**
 * How prefetch bounds the drain of one quorum queue, against a classic one, on the single node:
 * 20,000 no-op messages drained by one `opsq worker` (`--concurrency` 8 and 50, so prefetch 16 and
 * 100) and by one raw amqplib consumer (prefetch 16 and 100). One round each.
 *
 * Usage: npx tsc -b && npx tsx bench/quorum-prefetch.ts
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp from "amqplib";
import { OPSQ_CLI, RAW_CONSUMER, ROOT, STATS_ACTORS, spawnReady } from "./lib/processes.js";

const URL = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const MESSAGES = 20_000;
// The consumers write their records (`${BENCH_STATS}-<pid>.json`) here, not in the checkout.
const STATS_DIR = mkdtempSync(join(tmpdir(), "opsq-prefetch-"));

async function withChannel<T>(operation: (channel: amqp.Channel) => Promise<T>): Promise<T> {
  const model = await amqp.connect(URL);
  try {
    return await operation(await model.createChannel());
  } finally {
    await model.close();
  }
}

const ready = (queue: string) =>
  withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount);

function fill(queue: string, queueType: string): void {
  execFileSync(process.execPath, [join(ROOT, "bench/fixtures/enqueue.mjs")], {
    env: {
      ...process.env,
      RABBITMQ_URL: URL,
      OPSQ_QUEUE_TYPE: queueType,
      BENCH_QUEUE: queue,
      BENCH_MESSAGES: String(MESSAGES),
      OPSQ_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 300_000,
  });
}

/** msg/s of one consumer process draining the queue, from ready to empty. */
async function drain(queue: string, args: string[], env: Record<string, string>, readyLine: RegExp) {
  const before = await ready(queue);
  const consumer = await spawnReady(
    args,
    {
      ...process.env,
      RABBITMQ_URL: URL,
      BENCH_QUEUE: queue,
      BENCH_STATS: join(STATS_DIR, "drain"),
      OPSQ_LOG_LEVEL: "info",
      ...env,
    },
    { ready: readyLine, timeoutMs: 60_000 },
  );
  const started = performance.now();
  try {
    const deadline = Date.now() + 300_000;
    while ((await ready(queue)) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return Math.round(before / ((performance.now() - started) / 1000));
  } finally {
    await consumer.stop();
  }
}

const consumers: { label: string; args: string[]; env: Record<string, string>; ready: RegExp }[] = [
  {
    label: "opsq worker, prefetch 16",
    args: [OPSQ_CLI, "worker", STATS_ACTORS, "--concurrency", "8"],
    env: {},
    ready: /worker ready/,
  },
  {
    label: "opsq worker, prefetch 100",
    args: [OPSQ_CLI, "worker", STATS_ACTORS, "--concurrency", "50"],
    env: {},
    ready: /worker ready/,
  },
  { label: "raw amqplib, prefetch 16", args: [RAW_CONSUMER], env: { BENCH_PREFETCH: "16" }, ready: /ready/ },
  {
    label: "raw amqplib, prefetch 100",
    args: [RAW_CONSUMER],
    env: { BENCH_PREFETCH: "100" },
    ready: /ready/,
  },
];

const rows: string[] = [];
for (const consumer of consumers) {
  const cells: number[] = [];
  for (const queueType of ["classic", "quorum"]) {
    const queue = `bench-prefetch-${process.pid}-${queueType}-${rows.length}`;
    try {
      fill(queue, queueType);
      cells.push(
        await drain(queue, consumer.args, { ...consumer.env, OPSQ_QUEUE_TYPE: queueType }, consumer.ready),
      );
    } finally {
      await withChannel(async (channel) => {
        for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`]) {
          await channel.deleteQueue(name);
        }
      });
    }
  }
  rows.push(`| ${consumer.label} | ${cells[0]} | ${cells[1]} |`);
  process.stderr.write(`${rows.at(-1)}\n`);
}
rmSync(STATS_DIR, { recursive: true, force: true });
process.stdout.write(
  `\n| one consumer process | classic msg/s | quorum msg/s |\n| --- | ---: | ---: |\n${rows.join("\n")}\n`,
);
