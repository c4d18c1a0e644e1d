/**
 * opsq vs BullMQ vs pg-boss, side by side: the same no-op jobs enqueued one at a time and batched,
 * and a pre-filled queue drained by one worker process, in interleaved rounds; prints the table with
 * each library's enqueue durability and the servers' settings it depends on.
 * A benchmark, not a test: it exits 0 whatever the figures (2 on bad options).
 *
 * Usage:
 *   npm run bench:peers [-- --messages 20000 --rounds 3 --warmup 2000 --timeout-seconds 300
 *                          --only opsq,bullmq,pg-boss --write docs/PERFORMANCE.md]
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RABBITMQ_URL } from "./lib/amqp.js";
import { replaceSection } from "./lib/doc-section.js";
import { describeMachine, loadAverage } from "./lib/machine.js";
import { PEERS_SECTION, PEERS_SECTION_BEFORE } from "./lib/peers-section.js";
import { ROOT } from "./lib/processes.js";
import type { PeerFigures, PeersRun } from "./peers/figures.js";
import { drainRun, enqueueRun } from "./peers/measure.js";
import { PEER_NAMES, type Peer, type PeerName, type PeerSettings } from "./peers/peer.js";
import { dropPgbossSchema } from "./peers/pgboss.js";
import { ensureRedis, REDIS_URL, readRedisPersistence } from "./peers/redis.js";
import { OPENERS } from "./peers/registry.js";
import { peersMarkdown, peersText } from "./peers/table.js";

const fail = (text: string): never => {
  console.error(text);
  process.exit(2);
};
const parsed = (() => {
  try {
    return parseArgs({
      options: {
        messages: { type: "string", default: "20000" },
        rounds: { type: "string", default: "3" },
        warmup: { type: "string", default: "2000" },
        "timeout-seconds": { type: "string", default: "300" },
        only: { type: "string", default: PEER_NAMES.join(",") },
        write: { type: "string" },
      },
    });
  } catch (error) {
    return fail(`bench:peers: ${(error as Error).message}`);
  }
})();
const { values } = parsed;
const numbers = { messages: 1, rounds: 1, warmup: 0, "timeout-seconds": 1 } as const;
for (const [name, min] of Object.entries(numbers) as [keyof typeof numbers, number][]) {
  const value = Number(values[name]);
  if (!Number.isSafeInteger(value) || value < min)
    fail(`--${name} must be a whole number ≥ ${min}, got ${values[name]}`);
}
const only = values.only.split(",").map((name) => name.trim()) as PeerName[];
const unknown = only.find((name) => !PEER_NAMES.includes(name));
if (unknown !== undefined || only.length === 0)
  fail(`--only takes some of ${PEER_NAMES.join(",")}, got ${values.only}`);
const messages = Number(values.messages);
const rounds = Number(values.rounds);
const warmup = Number(values.warmup);
const timeoutMs = Number(values["timeout-seconds"]) * 1000;
const log = (text: string) => console.error(`[peers ${new Date().toISOString().slice(11, 19)}] ${text}`);

const argv = process.argv.slice(2).join(" ");
const command =
  process.env.npm_lifecycle_event === "bench:peers"
    ? `npm run bench:peers -- ${argv}`.trimEnd().replace(/ --$/, "")
    : `tsx bench/peers.ts ${argv}`.trimEnd();
const machine = describeMachine(undefined);
const started = performance.now();
const redisStarted = await ensureRedis(REDIS_URL);
const redis = await readRedisPersistence(REDIS_URL, redisStarted);
const run = randomUUID().slice(0, 8);
const settings: PeerSettings = {
  run,
  rabbitmqUrl: RABBITMQ_URL,
  redisUrl: REDIS_URL,
  postgresUrl: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
  pgSchema: `pgboss_bench_${run}`,
  tmpdir: mkdtempSync(join(tmpdir(), "opsq-peers-")),
};

const peers: Peer[] = [];
const figures = new Map<PeerName, PeerFigures>();
const order: PeerName[][] = [];
try {
  for (const name of only) {
    const peer = await OPENERS[name](settings);
    peers.push(peer);
    figures.set(name, {
      name,
      version: peer.version,
      server: await peer.server(),
      durability: await peer.durability(),
      tuning: peer.tuning,
      one: [],
      batch: [],
      drain: [],
      errors: [],
    });
  }
  for (let round = 0; round < rounds; round++) {
    const rotated = peers.map((_, i) => peers[(i + round) % peers.length]!);
    order.push(rotated.map((peer) => peer.name));
    for (const measure of ["one", "batch", "drain"] as const) {
      for (const peer of rotated) {
        const into = figures.get(peer.name)!;
        log(`round ${round + 1}/${rounds}: ${peer.name} ${measure}`);
        try {
          if (measure === "drain") {
            into.drain.push(await drainRun(peer, settings, messages, timeoutMs));
          } else {
            into[measure].push(await enqueueRun(peer, settings, measure, messages, { warmup, timeoutMs }));
          }
        } catch (error) {
          const text = `round ${round + 1}, ${measure}: ${String(error).split("\n")[0]!.slice(0, 200)}`;
          log(`FAILED ${peer.name} ${text}`);
          into.errors.push(text);
        }
      }
    }
  }
} finally {
  for (const peer of peers)
    await peer.close().catch((error) => log(`closing ${peer.name}: ${String(error)}`));
  if (only.includes("pg-boss")) {
    await dropPgbossSchema(settings.postgresUrl, settings.pgSchema).catch((error) =>
      log(`dropping ${settings.pgSchema}: ${String(error)}`),
    );
  }
  rmSync(settings.tmpdir, { recursive: true, force: true });
}

machine.loadEnd = loadAverage();
const result: PeersRun = {
  command,
  messages,
  rounds,
  warmup,
  machine,
  redis,
  peers: [...figures.values()],
  order,
  durationSeconds: (performance.now() - started) / 1000,
};
console.log(peersText(result));
if (values.write) {
  const file = join(ROOT, values.write);
  const text = readFileSync(file, "utf8");
  writeFileSync(file, replaceSection(text, PEERS_SECTION, peersMarkdown(result), PEERS_SECTION_BEFORE));
  console.log(`\nwrote the peers' section of ${file}`);
}
process.exit(0);
