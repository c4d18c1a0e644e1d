/**
 * pg-boss as a peer: `boss.send()` and `boss.insert()` into the run's own schema, drained by
 * bench/fixtures/pgboss-worker.mjs, tuned (pg-boss's defaults poll one job every 2 s).
 */
import { join } from "node:path";
import PgBoss from "pg-boss";
import { ROOT, spawnReady } from "../lib/processes.js";
import { batchSizes, installedVersion, type OpenPeer, type Peer } from "./peer.js";

const WORKER = join(ROOT, "bench/fixtures/pgboss-worker.mjs");

/** The worker's tuning: polling loops (`work()` calls), jobs per fetch, seconds between polls (pg-boss's minimum). */
export const PGBOSS_TUNING = { loops: 4, batchSize: 100, pollingIntervalSeconds: 0.5 } as const;

/** The options every pg-boss instance of the run gets: the run's schema, no maintenance or cron. */
export function bossOptions(postgresUrl: string, schema: string): PgBoss.ConstructorOptions {
  return { connectionString: postgresUrl, schema, supervise: false, schedule: false };
}

/** Connects pg-boss to the run's PostgreSQL (creating its schema on first start; see {@link Peer}). */
export const openPgboss: OpenPeer = async (settings) => {
  const boss = new PgBoss(bossOptions(settings.postgresUrl, settings.pgSchema));
  boss.on("error", (error) => console.error(`pg-boss: ${error.message}`));
  await boss.start();
  const sql = async (text: string): Promise<string> => {
    const { rows } = await boss.getDb().executeSql(text, []);
    return String(Object.values(rows[0] as Record<string, unknown>)[0]);
  };
  let counter = 0;
  const { loops, batchSize, pollingIntervalSeconds } = PGBOSS_TUNING;
  const peer: Peer = {
    name: "pg-boss",
    version: installedVersion("pg-boss"),
    tuning: `${loops} \`work()\` polling loops × batchSize ${batchSize}, pollingIntervalSeconds ${pollingIntervalSeconds} (the minimum), a loop polls again at once when its batch came back full (\`notifyWorker\`); with pg-boss's defaults (one loop, batchSize 1, a poll every 2 s) a worker takes at most 0.5 jobs/s`,
    async server() {
      return `PostgreSQL ${await sql("SHOW server_version")}`;
    },
    async durability() {
      const commit = await sql("SHOW synchronous_commit");
      const fsync = await sql("SHOW fsync");
      const flushed =
        commit === "off" || fsync === "off" ? "not necessarily flushed to disk" : "its WAL flushed to disk";
      return `committed PostgreSQL transaction, ${flushed} (synchronous_commit ${commit}, fsync ${fsync})`;
    },
    async createQueue(label) {
      const name = `peers_${settings.run}_${label}_${++counter}`;
      await boss.createQueue(name);
      return name;
    },
    async enqueueOne(queue, count) {
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < count; i++) pending.push(boss.send(queue, { sentAt: 0 }));
      await Promise.all(pending);
    },
    async enqueueBatch(queue, count) {
      for (const size of batchSizes(count)) {
        await boss.insert(Array.from({ length: size }, () => ({ name: queue, data: { sentAt: 0 } })));
      }
    },
    startWorker(queue, stats) {
      return spawnReady(
        [WORKER],
        {
          ...process.env,
          DATABASE_URL: settings.postgresUrl,
          BENCH_SCHEMA: settings.pgSchema,
          BENCH_QUEUE: queue,
          BENCH_STATS: stats,
          BENCH_LOOPS: String(loops),
          BENCH_BATCH_SIZE: String(batchSize),
          BENCH_POLLING_INTERVAL_SECONDS: String(pollingIntervalSeconds),
        },
        { ready: /^ready$/ },
      );
    },
    remaining(queue) {
      return boss.getQueueSize(queue, { before: "completed" });
    },
    async deleteQueue(queue) {
      // pg-boss 10's delete_queue() trips its own deferred foreign key when the queue still has jobs.
      await boss.getDb().executeSql(`DELETE FROM "${settings.pgSchema}".job WHERE name = $1`, [queue]);
      await boss.deleteQueue(queue);
    },
    async close() {
      await boss.stop({ graceful: false, wait: true });
    },
  };
  return peer;
};

/** Drops the run's pg-boss schema (at the end of the run). */
export async function dropPgbossSchema(postgresUrl: string, schema: string): Promise<void> {
  const boss = new PgBoss(bossOptions(postgresUrl, schema));
  boss.on("error", () => {});
  await boss.start();
  try {
    await boss.getDb().executeSql(`DROP SCHEMA IF EXISTS "${schema.replaceAll('"', "")}" CASCADE`, []);
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
}
