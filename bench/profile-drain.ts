/**
 * Profiling aid (not part of the report): pre-fills a queue and drains it with one
 * `opsq worker` process run under `node --cpu-prof`, then prints the rate and the top
 * self-time functions. Usage: tsx bench/profile-drain.ts [messages] [profile dir] [raw]
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { deleteFamilies, openContext, prefilledStatsQueue, waitEmpty } from "./lib/amqp.js";
import { mergeRecords, readRecords, startRawConsumer, startStatsWorker } from "./lib/processes.js";
import { sleep } from "./lib/stats.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

const count = Number(process.argv[2]) || 50_000;
const dir = process.argv[3] ?? "/tmp/opsq-profile";
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const context = await openContext({ tmpdir: dir, messages: count, rounds: 1 });
const { queue, stats } = await prefilledStatsQueue(context, "profile", count);
const consumer = { queue, stats, nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${dir}`] };
const worker =
  process.argv[4] === "raw"
    ? await startRawConsumer(context.url, consumer)
    : await startStatsWorker(context.url, consumer);
await waitEmpty(context, queue);
await sleep(300);
await worker.stop();
const record = mergeRecords(readRecords(stats));
console.log(
  `${record.count} messages, ${Math.round(((record.count - 1) * 1000) / (record.last - record.first))} msg/s, ${Math.round((record.cpuMs * 1000) / record.count)} µs CPU/msg`,
);
await deleteFamilies(context, context.queues);
await context.connection.close();

const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"))!;
const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
  nodes: ProfileNode[];
  samples: number[];
};
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<string, number>();
for (const id of profile.samples) {
  const { functionName, url: source, lineNumber } = byId.get(id)!.callFrame;
  const key = `${functionName || "(anonymous)"} ${source.replace(/^.*node_modules\//, "").replace(/^.*\/packages\//, "")}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + 1);
}
const total = profile.samples.length;
console.log(`profile: ${join(dir, file)}`);
for (const [key, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
  console.log(`${((n / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
}
