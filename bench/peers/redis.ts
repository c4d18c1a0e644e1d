/**
 * The Redis of BullMQ: made to answer (started like CI starts its services when nothing listens),
 * and its persistence settings read, since they are what a resolved `queue.add()` is worth.
 */
import { execFileSync } from "node:child_process";
import { Redis } from "ioredis";
import { sleep } from "../lib/stats.js";

/** The Redis of the benchmarks: `REDIS_URL`, else the local server. */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Redis's version and the settings that decide whether an acknowledged write survives a crash. */
export interface RedisPersistence {
  version: string;
  /** `CONFIG GET save`: RDB snapshot rules ("" = no snapshots). */
  save: string;
  /** `CONFIG GET appendonly`: the append-only file ("no" = none). */
  appendonly: string;
  /** `CONFIG GET appendfsync`: when the AOF is fsync'd (only matters with appendonly yes). */
  appendfsync: string;
  /** True when this run started Redis (it is left running, as a CI service would be). */
  started: boolean;
}

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Resolves once Redis at `url` answers PING. When it refuses and `url` is the local default, starts
 * `redis-server` in memory only (no RDB, no AOF) and waits for it, at most `timeoutMs`.
 * @throws when it still does not answer
 */
export async function ensureRedis(url = REDIS_URL, timeoutMs = 10_000): Promise<boolean> {
  if (await answers(url)) return false;
  const { hostname, port } = new URL(url);
  if (hostname !== "127.0.0.1" && hostname !== "localhost") {
    throw new Error(`Redis at ${hostname}:${port} does not answer and is not local: not starting one`);
  }
  execFileSync(
    "redis-server",
    [
      "--daemonize",
      "yes",
      "--bind",
      "127.0.0.1",
      "--port",
      port || "6379",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      "/tmp",
    ],
    { stdio: "ignore", timeout: timeoutMs },
  );
  const deadline = Date.now() + timeoutMs;
  while (!(await answers(url))) {
    if (Date.now() > deadline)
      throw new Error(`redis-server started but does not answer within ${timeoutMs} ms`);
    await sleep(100);
  }
  return true;
}

async function configValue(client: Redis, name: string): Promise<string> {
  try {
    const reply = (await client.call("CONFIG", "GET", name)) as string[];
    return reply[1] ?? "unknown";
  } catch (error) {
    return `unknown (${String(error).slice(0, 60)})`;
  }
}

/** Reads the version and persistence settings of the Redis at `url`. */
export async function readRedisPersistence(url: string, started: boolean): Promise<RedisPersistence> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const info = await client.info("server");
    return {
      version: /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown",
      save: await configValue(client, "save"),
      appendonly: await configValue(client, "appendonly"),
      appendfsync: await configValue(client, "appendfsync"),
      started,
    };
  } finally {
    client.disconnect();
  }
}

/** The persistence settings as one line, e.g. `save "", appendonly no, appendfsync everysec`. */
export function persistenceText(p: RedisPersistence): string {
  const unused = p.appendonly === "no" ? " (unused: no append-only file)" : "";
  return `save "${p.save}", appendonly ${p.appendonly}, appendfsync ${p.appendfsync}${unused}`;
}

/** What a resolved `queue.add()` survives under these settings. */
export function bullmqDurability(p: RedisPersistence): string {
  const settings = persistenceText(p);
  if (p.appendonly === "yes" && p.appendfsync === "always") {
    return `written to Redis's append-only file, fsync'd before the reply (${settings})`;
  }
  if (p.appendonly === "yes") {
    return `in Redis memory; append-only file fsync'd ${p.appendfsync === "everysec" ? "once a second (the last second of jobs can be lost)" : "when the OS decides"} (${settings})`;
  }
  if (p.save !== "") {
    return `in Redis memory, snapshotted to disk by RDB rules only: jobs since the last snapshot are lost on a crash (${settings})`;
  }
  return `in Redis memory only: nothing is written to disk, a Redis restart loses every job (${settings})`;
}
