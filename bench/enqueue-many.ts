/**
 * Batch enqueue against `send()` on the live RabbitMQ, publisher confirms on, in one run:
 * interleaved rounds of N no-op messages each, a fresh durable queue per round (deleted after),
 * one broker (its connection and confirm channel warmed up first). Three ways:
 *
 * - `send() awaited`: `await actor.send()` one at a time (one confirm round trip each);
 * - `send() all in flight`: N `send()` at once, then `Promise.all` (pipelined, a promise each);
 * - `sendMany`: `actor.sendMany(argsList)` in batches of `--batch` (one burst, one wait each);
 * - `raw amqplib`: the ceiling: the same bodies published persistent and mandatory on one amqplib
 *   confirm channel, then one `waitForConfirms()` (no opsq at all).
 *
 * Rate = messages ÷ (last confirm − first call). CPU per message: this process's user + system
 * time, and the whole machine's busy time (every core, RabbitMQ included), over the timed span.
 *
 * Usage: npm run build && npx tsx bench/enqueue-many.ts [--messages 20000] [--rounds 3] [--batch 5000]
 *                                                      [--queue-type classic|quorum]
 */
import { parseArgs } from "node:util";
import { connect } from "amqplib";
import { defineActor, RabbitmqBroker } from "opsq";
import { machineBusyMs } from "./lib/machine.js";
import { median } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "20000" },
    rounds: { type: "string", default: "3" },
    batch: { type: "string", default: "5000" },
    "queue-type": { type: "string", default: "classic" },
  },
});
const messages = Number(values.messages);
const rounds = Number(values.rounds);
const batch = Number(values.batch);
for (const [name, value] of Object.entries({ messages, rounds, batch })) {
  if (!Number.isSafeInteger(value) || value < 1) {
    console.error(`--${name} must be a whole number ≥ 1, got ${String(values[name as keyof typeof values])}`);
    process.exit(2);
  }
}
const queueType = values["queue-type"];
if (queueType !== "classic" && queueType !== "quorum") {
  console.error(`--queue-type must be classic or quorum, got ${queueType}`);
  process.exit(2);
}
const url = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";

type Way = "send() awaited" | "send() all in flight" | "sendMany" | "raw amqplib";
const WAYS: Way[] = ["send() awaited", "send() all in flight", "sendMany", "raw amqplib"];

interface Figure {
  rate: number;
  processCpuUs: number;
  machineCpuUs: number;
}

const broker = new RabbitmqBroker({ url, connectionName: "opsq-bench-enqueue-many", queueType });
const admin = await connect(url);
const adminChannel = await admin.createChannel();
const rawChannel = await admin.createConfirmChannel();
const suffix = Math.random().toString(36).slice(2, 8);
let actorCount = 0;

async function runOnce(way: Way): Promise<Figure> {
  const queue = `bench-enqueue-many-${suffix}-${actorCount}`;
  const actor = defineActor(`bench_noop_${actorCount++}`, (_n: number) => {}, { queue, broker });
  await broker.declareQueueOnServer(queue);
  await Promise.all(Array.from({ length: 500 }, () => actor.send(0)));
  const argsList = Array.from({ length: messages }, (_, i): [number] => [i]);
  const cpu = process.cpuUsage();
  const machine = machineBusyMs();
  const started = performance.now();
  if (way === "send() awaited") {
    for (const args of argsList) {
      await actor.send(...args);
    }
  } else if (way === "send() all in flight") {
    await Promise.all(argsList.map((args) => actor.send(...args)));
  } else if (way === "raw amqplib") {
    for (const args of argsList) {
      rawChannel.publish("", queue, actor.message(...args).encode(), { persistent: true, mandatory: true });
    }
    await rawChannel.waitForConfirms();
  } else {
    for (let i = 0; i < argsList.length; i += batch) {
      const results = await actor.sendMany(argsList.slice(i, i + batch));
      const failed = results.filter((r) => !r.ok).length;
      if (failed > 0) {
        throw new Error(`${failed} messages of a batch were not confirmed`);
      }
    }
  }
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const machineMs = machineBusyMs() - machine;
  const count = (await adminChannel.checkQueue(queue)).messageCount;
  if (count !== messages + 500) {
    throw new Error(`queue ${queue} holds ${count} messages, expected ${messages + 500}`);
  }
  for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`]) {
    await adminChannel.deleteQueue(name);
  }
  return {
    rate: messages / (elapsedMs / 1000),
    processCpuUs: (used.user + used.system) / messages,
    machineCpuUs: (machineMs * 1000) / messages,
  };
}

const figures = new Map<Way, Figure[]>(WAYS.map((way) => [way, []]));
try {
  await broker.connect();
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? WAYS : [...WAYS].reverse();
    for (const way of order) {
      figures.get(way)!.push(await runOnce(way));
    }
  }
} finally {
  await broker.close();
  await admin.close();
}

const fmt = (xs: number[], digits = 0) =>
  `${median(xs).toFixed(digits)} (${xs.map((x) => x.toFixed(digits)).join(", ")})`;
console.log(
  `enqueue with publisher confirms, ${messages} no-op messages a round, ${rounds} interleaved rounds, sendMany batches of ${batch}; median (rounds)`,
);
console.log("| way | msg/s | process CPU µs/msg | machine CPU µs/msg |");
console.log("| --- | --- | --- | --- |");
for (const way of WAYS) {
  const list = figures.get(way)!;
  console.log(
    `| ${way} | ${fmt(list.map((f) => f.rate))} | ${fmt(
      list.map((f) => f.processCpuUs),
      1,
    )} | ${fmt(
      list.map((f) => f.machineCpuUs),
      1,
    )} |`,
  );
}
const manyRate = median(figures.get("sendMany")!.map((f) => f.rate));
for (const way of ["send() awaited", "send() all in flight", "raw amqplib"] as const) {
  console.log(`sendMany ÷ ${way}: ${(manyRate / median(figures.get(way)!.map((f) => f.rate))).toFixed(2)}×`);
}
