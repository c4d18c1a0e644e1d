/**
 * Load figure of the HTTP API (not a test): `POST /api/v1/tasks` against `ops-core serve` as a
 * subprocess on the live PostgreSQL and RabbitMQ (each request: validation, an INSERT, and a
 * publish RabbitMQ confirms). No worker runs; the tasks stay pending and are dropped afterwards.
 *
 * 1. the most requests/s: `--connections` keep-alive connections, each sending its next request
 *    as soon as the previous answer came (closed loop), for `--seconds` after a warm-up;
 * 2. latency at half that rate: requests started on a fixed schedule (open loop), each timed from
 *    its scheduled start, so a stalled server shows up in the figure (no coordinated omission);
 *    p50 and p99.
 *
 * Run after `npx tsc -b` (the server is the built CLI), with RabbitMQ and PostgreSQL up:
 *
 * ```sh
 * npx tsx packages/ops-core/bench/http.ts [--seconds 10] [--connections 32]
 * ```
 *
 * @module
 */
import { Agent, request } from "node:http";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { openTaskStore } from "../src/db/open-task-store.js";
import { TEST_DATABASE_URL, uniqueSchemaName } from "../test/helpers/postgres.js";
import { deleteQueues, TEST_RABBITMQ_URL, uniqueQueue } from "../test/helpers/rabbitmq.js";
import { spawnServer } from "../test/helpers/server-process.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    "warmup-seconds": { type: "string", default: "2" },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const WARMUP_SECONDS = Number(values["warmup-seconds"]);
/** Longest wait for one answer. */
const REQUEST_TIMEOUT_MS = 10_000;

const BODY = Buffer.from(JSON.stringify({ task_type: "agent_task", input_data: { goal: "bench" } }));

/** One POST; resolves with the status (0 when the request failed or timed out). */
function post(agent: Agent, port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        agent,
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/api/v1/tasks",
        headers: { "content-type": "application/json", "content-length": BODY.length },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", () => resolve(0));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(0));
    req.end(BODY);
  });
}

/** Closed loop: `connections` loops of back-to-back requests for `seconds`. */
async function maxRate(port: number, seconds: number, connections: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const until = performance.now() + seconds * 1000;
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        if ((await post(agent, port)) === 201) ok++;
        else failed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return { perSecond: ok / elapsed, ok, failed };
}

/** Open loop: one request every 1/rate s for `seconds`, each timed from its scheduled start. */
async function latencyAt(port: number, rate: number, seconds: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const total = Math.max(1, Math.round(rate * seconds));
  const intervalMs = 1000 / rate;
  const latencies: number[] = [];
  let failed = 0;
  const start = performance.now() + 50;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(
      post(agent, port).then((status) => {
        if (status === 201) latencies.push(performance.now() - due);
        else failed++;
      }),
    );
  }
  await Promise.all(pending);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? NaN, ok: latencies.length, failed };
}

const schema = uniqueSchemaName();
const queue = uniqueQueue();
const opened = await openTaskStore({ databaseUrl: TEST_DATABASE_URL, schema, migrate: true });
const server = await spawnServer({
  env: {
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    RABBITMQ_URL: TEST_RABBITMQ_URL,
    OPS_CORE_QUEUE: queue,
    OPS_LOG_LEVEL: "warn",
  },
});
const port = Number(new URL(server.baseUrl).port);
try {
  console.log(
    `ops-core serve, POST /api/v1/tasks (INSERT + confirmed publish, no worker); ${cpus().length} CPUs, Node ${process.version}`,
  );
  await maxRate(port, WARMUP_SECONDS, CONNECTIONS);
  const max = await maxRate(port, SECONDS, CONNECTIONS);
  console.log(
    `max rate: ${max.perSecond.toFixed(0)} requests/s (${CONNECTIONS} keep-alive connections, ${SECONDS} s, ${max.ok} created, ${max.failed} failed)`,
  );
  const half = Math.max(1, max.perSecond / 2);
  const latency = await latencyAt(port, half, SECONDS);
  console.log(
    `at ${half.toFixed(0)} requests/s (half): p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms (${latency.ok} created, ${latency.failed} failed)`,
  );
} finally {
  await server.stop();
  const { sql } = await import("drizzle-orm");
  await opened.database.db.execute(sql.raw(`drop schema if exists "${schema}" cascade`));
  await opened.close();
  await deleteQueues([queue]);
}
