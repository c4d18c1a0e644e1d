/**
 * Scale-out figures, in one run: enqueue throughput with 1, 2 and 4 producer processes
 * (`send()`, each confirmed) and drain throughput with `opsq worker --processes` 1, 2 and 4, on
 * one queue, against the single node on 5672 (classic and quorum queues) and against the local
 * three-node cluster (quorum queues; `RABBITMQ_URLS`, as `scripts/rabbitmq-cluster.sh run` sets).
 * One round each: a rough table, not a benchmark report (see bench/report.ts for that).
 *
 * Usage: npm run bench:scale [-- --messages 20000 --only single|cluster]
 *
 * @module
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import amqp from "amqplib";
import { OPSQ_CLI, ROOT, STATS_ACTORS, spawnReady } from "./lib/processes.js";

const { values } = parseArgs({
  options: { messages: { type: "string", default: "20000" }, only: { type: "string" } },
});
const MESSAGES = Number(values.messages);
const SINGLE = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const CLUSTER = (process.env.RABBITMQ_URLS ?? "").split(",").filter(Boolean);

interface Target {
  name: string;
  urls: string[];
  queueType: "classic" | "quorum";
}

const targets: Target[] = [
  { name: "single node, classic", urls: [SINGLE], queueType: "classic" as const },
  { name: "single node, quorum", urls: [SINGLE], queueType: "quorum" as const },
  ...(CLUSTER.length > 1
    ? [{ name: "3-node cluster, quorum", urls: CLUSTER, queueType: "quorum" as const }]
    : []),
].filter(
  (target) =>
    values.only === undefined || target.name.startsWith(values.only === "single" ? "single" : "3-node"),
);

function env(target: Target, queue: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    RABBITMQ_URLS: target.urls.join(","),
    RABBITMQ_URL: target.urls[0]!,
    OPSQ_QUEUE_TYPE: target.queueType,
    OPSQ_LOG_LEVEL: "warn",
    BENCH_QUEUE: queue,
    ...extra,
  };
}

/** `count` sends from one enqueue fixture process; its msg/s. */
function enqueueProcess(target: Target, queue: string, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "bench/fixtures/enqueue.mjs")], {
      env: env(target, queue, { BENCH_MESSAGES: String(count) }),
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`enqueue exited with ${code}`));
      } else {
        resolve((JSON.parse(output.trim().split("\n").at(-1)!) as { rate: number }).rate);
      }
    });
  });
}

/** Total msg/s of `producers` processes sending `MESSAGES` between them, from the first start to the last end. */
async function enqueue(target: Target, queue: string, producers: number): Promise<number> {
  const each = Math.ceil(MESSAGES / producers);
  const started = performance.now();
  await Promise.all(Array.from({ length: producers }, () => enqueueProcess(target, queue, each)));
  // Each process also sends a 2,000-message warm-up, counted here.
  return ((each + 2_000) * producers) / ((performance.now() - started) / 1000);
}

async function ready(url: string, queue: string): Promise<number> {
  const model = await amqp.connect(url);
  try {
    const channel = await model.createChannel();
    return (await channel.checkQueue(queue)).messageCount;
  } finally {
    await model.close();
  }
}

/** msg/s of `opsq worker --processes n` draining what the queue holds, from ready to empty. */
async function drain(target: Target, queue: string, processes: number): Promise<number> {
  const before = await ready(target.urls[0]!, queue);
  const worker = await spawnReady(
    [OPSQ_CLI, "worker", STATS_ACTORS, "--processes", String(processes)],
    env(target, queue, { OPSQ_LOG_LEVEL: "info" }),
    { readyLines: processes, timeoutMs: 60_000 },
  );
  const started = performance.now();
  try {
    const deadline = Date.now() + 300_000;
    while ((await ready(target.urls[0]!, queue)) > 0) {
      if (Date.now() > deadline) {
        throw new Error("the queue did not drain within 300 s");
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return before / ((performance.now() - started) / 1000);
  } finally {
    await worker.stop();
  }
}

async function deleteFamily(url: string, queue: string): Promise<void> {
  const model = await amqp.connect(url);
  try {
    const channel = await model.createChannel();
    for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`]) {
      await channel.deleteQueue(name);
    }
  } finally {
    await model.close();
  }
}

const rows: string[] = [];
for (const target of targets) {
  for (const processes of [1, 2, 4]) {
    const queue = `bench-scale-${process.pid}-${processes}-${target.queueType}-${target.urls.length}`;
    try {
      // Enqueue with `processes` producers fills the queue the workers then drain.
      const enqueueRate = await enqueue(target, queue, processes);
      const drainRate = await drain(target, queue, processes);
      rows.push(`| ${target.name} | ${processes} | ${Math.round(enqueueRate)} | ${Math.round(drainRate)} |`);
      process.stderr.write(`${rows.at(-1)}\n`);
    } finally {
      await deleteFamily(target.urls[0]!, queue);
    }
  }
}
process.stdout.write(
  `\n${MESSAGES} messages (+2,000 warm-up per producer), one queue, one round each\n\n| target | producers = worker processes | enqueue msg/s | drain msg/s |\n| --- | ---: | ---: | ---: |\n${rows.join("\n")}\n`,
);
