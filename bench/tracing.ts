/**
 * The cost of the Tracing middleware (issue 17): send and drain of no-op messages on a StubBroker
 * (the cheapest transport, so the worst ratio), concurrency 8, in three set-ups:
 *
 * - off: the default middleware without Tracing;
 * - no SDK: the default middleware (Tracing with the API's no-op tracer: what an application that
 *   installs no SDK runs);
 * - SDK: Tracing on a BasicTracerProvider with a BatchSpanProcessor and an exporter that drops
 *   the spans (the cost of recording and batching, not of shipping them).
 *
 * With `--rabbitmq`, the same on the live RabbitMQ (one broker, a fresh queue per run; sends
 * awaited 200 at a time, publisher confirms on).
 *
 * Usage: npm run build && npx tsx bench/tracing.ts [--messages 20000] [--rounds 5] [--rabbitmq]
 */
import { parseArgs } from "node:util";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { connect } from "amqplib";
import {
  type Broker,
  createLogger,
  defaultMiddleware,
  defineActor,
  type Middleware,
  RabbitmqBroker,
  Tracing,
  Worker,
} from "opsq";
import { StubBroker } from "opsq/testing";
import { median } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "20000" },
    rounds: { type: "string", default: "5" },
    rabbitmq: { type: "boolean", default: false },
  },
});
const MESSAGES = Number(values.messages);
const ROUNDS = Number(values.rounds);
const quiet = createLogger({ level: "silent" });

/** Counts and drops the spans. */
class DroppingExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: Parameters<SpanExporter["export"]>[1]): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

/** RabbitMQ queues to delete at the end. */
const declared: string[] = [];

const exporter = new DroppingExporter();
const provider = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 65_536, maxExportBatchSize: 2_048 })],
});

/** Sends MESSAGES no-op messages, then drains them; returns both rates (msg/s). */
async function run(extra: Middleware[]): Promise<{ send: number; drain: number }> {
  const rest = defaultMiddleware().filter((m) => !(m instanceof Tracing));
  const middleware = [...extra, ...rest];
  const queue = `bench_tracing_${Math.random().toString(36).slice(2, 10)}`;
  const broker: Broker & { join(q: string): Promise<void> } = values.rabbitmq
    ? new RabbitmqBroker({ middleware, logger: quiet })
    : new StubBroker({ middleware, logger: quiet });
  const noop = defineActor("bench_noop", (_n: number) => {}, { broker, queue });
  let started = performance.now();
  for (let i = 0; i < MESSAGES; i += 200) {
    const batch = [];
    for (let j = i; j < Math.min(i + 200, MESSAGES); j++) {
      batch.push(noop.send(j));
    }
    await Promise.all(batch);
  }
  const send = MESSAGES / ((performance.now() - started) / 1000);
  const worker = new Worker(broker, { concurrency: 8 });
  started = performance.now();
  await worker.start();
  await broker.join(queue);
  const drain = MESSAGES / ((performance.now() - started) / 1000);
  await worker.stop();
  if (broker instanceof RabbitmqBroker) {
    await broker.close();
    declared.push(queue);
  }
  return { send, drain };
}

const setups: [string, () => Middleware[]][] = [
  ["off", () => []],
  ["Tracing, no SDK", () => [new Tracing()]],
  ["Tracing, SDK", () => [new Tracing({ tracer: provider.getTracer("opsq") })]],
];
const rates = new Map<string, { send: number[]; drain: number[] }>(
  setups.map(([label]) => [label, { send: [], drain: [] }]),
);
// Round 0 warms the JIT up for every set-up and is not counted; set-ups alternate within a round.
for (let round = 0; round <= ROUNDS; round++) {
  for (const [label, make] of setups) {
    const { send, drain } = await run(make());
    await provider.forceFlush();
    if (round > 0) {
      rates.get(label)!.send.push(send);
      rates.get(label)!.drain.push(drain);
    }
  }
}
const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const base = rates.get("off")!;
console.log(
  `${values.rabbitmq ? "RabbitMQ" : "StubBroker"}, ${fmt(MESSAGES)} no-op messages, concurrency 8, median of ${ROUNDS} rounds (msg/s):`,
);
for (const [label] of setups) {
  const { send, drain } = rates.get(label)!;
  console.log(
    `  ${label.padEnd(16)} send ${fmt(median(send)).padStart(8)} (×${fmt(median(send) / median(base.send), 2)})   drain ${fmt(median(drain)).padStart(8)} (×${fmt(median(drain) / median(base.drain), 2)})`,
  );
}
console.log(`  spans exported with the SDK: ${fmt(exporter.spans)}`);
await provider.shutdown();
if (declared.length > 0) {
  const connection = await connect(process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672");
  const channel = await connection.createChannel();
  for (const queue of declared) {
    for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`]) {
      await channel.deleteQueue(name);
    }
  }
  await connection.close();
}
