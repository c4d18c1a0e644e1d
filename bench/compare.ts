/**
 * Before/after figures of an opsq change: the same drain (one `opsq worker` process, pre-filled
 * queue) and enqueue (`send()` in a child process) with two checkouts' builds, alternating, and
 * their medians. The other checkout needs its `packages/opsq/dist`, `bench/fixtures` and a
 * `node_modules` resolving `opsq` to its own package.
 *
 * Usage: tsx bench/compare.ts <other checkout> [--rounds 5] [--messages 30000]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { declareFamily, deleteFamilies, openContext, uniqueQueue } from "./lib/amqp.js";
import { ROOT } from "./lib/processes.js";
import { format, median } from "./lib/stats.js";
import { drainOnce } from "./lib/throughput.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: "string", default: "5" }, messages: { type: "string", default: "30000" } },
});
const other = resolve(positionals[0] ?? "");
const context = await openContext({
  tmpdir: mkdtempSync(join(tmpdir(), "opsq-compare-")),
  messages: Number(values.messages),
  rounds: Number(values.rounds),
});

async function enqueue(root: string): Promise<{ rate: number; cpuUs: number }> {
  const queue = uniqueQueue(context, "cmp-enq");
  await declareFamily(context, queue);
  const child = spawn(process.execPath, [join(root, "bench/fixtures/enqueue.mjs")], {
    env: { ...process.env, RABBITMQ_URL: context.url, BENCH_QUEUE: queue, BENCH_MESSAGES: "20000" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  await new Promise((done) => child.once("exit", done));
  await deleteFamilies(context, [queue]);
  return JSON.parse(output) as { rate: number; cpuUs: number };
}

const builds = { before: other, after: ROOT };
const figures: Record<string, number[]> = {};
const add = (key: string, value: number) => {
  figures[key] = [...(figures[key] ?? []), value];
};
try {
  for (let round = 0; round < context.rounds; round++) {
    const order = round % 2 === 0 ? (["before", "after"] as const) : (["after", "before"] as const);
    for (const name of order) {
      const drain = await drainOnce(context, "opsq", 1, context.messages, builds[name]);
      add(`${name} drain msg/s`, drain.rate);
      add(`${name} drain CPU µs/msg`, drain.cpuUs);
      const sent = await enqueue(builds[name]);
      add(`${name} enqueue msg/s`, sent.rate);
      add(`${name} enqueue CPU µs/msg`, sent.cpuUs);
    }
    console.error(`round ${round + 1}/${context.rounds} done`);
  }
} finally {
  await deleteFamilies(context, context.queues);
  await context.connection.close();
  rmSync(context.tmpdir, { recursive: true, force: true });
}
console.log(`before: ${other}\nafter:  ${ROOT}\n${context.rounds} rounds, alternating; medians [rounds]`);
for (const metric of ["drain msg/s", "drain CPU µs/msg", "enqueue msg/s", "enqueue CPU µs/msg"]) {
  const before = figures[`before ${metric}`] ?? [];
  const after = figures[`after ${metric}`] ?? [];
  console.log(
    `${metric.padEnd(20)} before ${format(median(before)).padStart(7)}  after ${format(median(after)).padStart(7)}  (×${(median(after) / median(before)).toFixed(2)})   [${before.map(format).join(", ")}] → [${after.map(format).join(", ")}]`,
  );
}
