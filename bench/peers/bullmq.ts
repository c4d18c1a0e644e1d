/**
 * BullMQ as a peer: `queue.add()` and `queue.addBulk()` on the run's Redis, drained by
 * bench/fixtures/bullmq-worker.mjs (one `Worker`, concurrency 50, otherwise BullMQ's defaults).
 */
import { join } from "node:path";
import { Queue } from "bullmq";
import { ROOT, spawnReady } from "../lib/processes.js";
import { batchSizes, installedVersion, type OpenPeer, type Peer } from "./peer.js";
import { bullmqDurability, readRedisPersistence } from "./redis.js";

const WORKER = join(ROOT, "bench/fixtures/bullmq-worker.mjs");

/** The job name every job of the benchmark carries. */
const JOB = "bench_stats";

/** Worker concurrency (opsq's worker runs 50 at once too). */
export const BULLMQ_CONCURRENCY = 50;

/** Connects BullMQ to the run's Redis (see {@link Peer}). */
export const openBullmq: OpenPeer = async (settings) => {
  const { hostname, port } = new URL(settings.redisUrl);
  const connection = { host: hostname, port: Number(port || 6379), maxRetriesPerRequest: null };
  const queues = new Map<string, Queue>();
  let counter = 0;
  const queueOf = (name: string): Queue => {
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection });
      queues.set(name, queue);
    }
    return queue;
  };
  const peer: Peer = {
    name: "bullmq",
    version: installedVersion("bullmq"),
    tuning: `one \`Worker\`, concurrency ${BULLMQ_CONCURRENCY}, BullMQ's defaults otherwise (completed jobs kept)`,
    async server() {
      return `Redis ${(await readRedisPersistence(settings.redisUrl, false)).version}`;
    },
    async durability() {
      return bullmqDurability(await readRedisPersistence(settings.redisUrl, false));
    },
    async createQueue(label) {
      const name = `peers-${settings.run}-${label}-${++counter}`;
      await queueOf(name).waitUntilReady();
      return name;
    },
    async enqueueOne(name, count) {
      const queue = queueOf(name);
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < count; i++) pending.push(queue.add(JOB, { sentAt: 0 }));
      await Promise.all(pending);
    },
    async enqueueBatch(name, count) {
      const queue = queueOf(name);
      for (const size of batchSizes(count)) {
        await queue.addBulk(Array.from({ length: size }, () => ({ name: JOB, data: { sentAt: 0 } })));
      }
    },
    startWorker(name, stats) {
      return spawnReady(
        [WORKER],
        {
          ...process.env,
          REDIS_URL: settings.redisUrl,
          BENCH_QUEUE: name,
          BENCH_STATS: stats,
          BENCH_CONCURRENCY: String(BULLMQ_CONCURRENCY),
        },
        { ready: /^ready$/ },
      );
    },
    async remaining(name) {
      const counts = await queueOf(name).getJobCounts("wait", "active", "delayed", "prioritized");
      return Object.values(counts).reduce((sum, value) => sum + value, 0);
    },
    async deleteQueue(name) {
      const queue = queueOf(name);
      await queue.obliterate({ force: true });
      await queue.close();
      queues.delete(name);
    },
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      queues.clear();
    },
  };
  return peer;
};
