/**
 * What each library of the peers' benchmark (bench/peers.ts) implements: the same no-op job enqueued
 * one at a time or in batches, and a worker process that drains a pre-filled queue while keeping the
 * record of bench/fixtures/record.mjs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, type Running } from "../lib/processes.js";

/** The libraries compared, in the order of the first round. */
export const PEER_NAMES = ["opsq", "bullmq", "pg-boss"] as const;

/** One of {@link PEER_NAMES}. */
export type PeerName = (typeof PEER_NAMES)[number];

/** Jobs per batch call (`sendMany`, `addBulk`, `insert`), as docs/BATCH-ENQUEUE.md recommends for opsq. */
export const BATCH_SIZE = 5000;

/** Where the servers are and what this run names its queues after; passed to the enqueue processes too. */
export interface PeerSettings {
  /** Short random id in every queue name of the run. */
  readonly run: string;
  readonly rabbitmqUrl: string;
  readonly redisUrl: string;
  readonly postgresUrl: string;
  /** The PostgreSQL schema pg-boss keeps its tables in (dropped at the end of the run). */
  readonly pgSchema: string;
  /** Where worker processes write their records. */
  readonly tmpdir: string;
}

/** One library, connected. Queues are created by the benchmark process and named after {@link PeerSettings.run}. */
export interface Peer {
  readonly name: PeerName;
  /** The library's version (its installed package.json). */
  readonly version: string;
  /** How its worker is tuned, in words (concurrency, polling, batches). */
  readonly tuning: string;
  /** The server it runs on, with its version. */
  server(): Promise<string>;
  /** What a resolved enqueue promise guarantees, read from the server's settings where it depends on them. */
  durability(): Promise<string>;
  /** Creates a fresh queue and returns its name. */
  createQueue(label: string): Promise<string>;
  /** Issues `count` single enqueues without awaiting each, then awaits them all. */
  enqueueOne(queue: string, count: number): Promise<void>;
  /** Enqueues `count` jobs in batches of {@link BATCH_SIZE}, each batch awaited. */
  enqueueBatch(queue: string, count: number): Promise<void>;
  /** Spawns the worker process on `queue`; it writes its record to `${stats}-<pid>.json` when it exits. */
  startWorker(queue: string, stats: string): Promise<Running>;
  /** Jobs of `queue` not yet handled (waiting or, where the library tells, running). */
  remaining(queue: string): Promise<number>;
  /** Deletes the queue and its jobs. */
  deleteQueue(queue: string): Promise<void>;
  /** Closes its connections. */
  close(): Promise<void>;
}

/** Connects one library. */
export type OpenPeer = (settings: PeerSettings) => Promise<Peer>;

/** Splits `count` into batch sizes of at most {@link BATCH_SIZE}. */
export function batchSizes(count: number): number[] {
  const sizes: number[] = [];
  for (let left = count; left > 0; left -= BATCH_SIZE) sizes.push(Math.min(BATCH_SIZE, left));
  return sizes;
}

/** The version of an installed package (node_modules/<name>/package.json of the checkout). */
export function installedVersion(name: string): string {
  const json = JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as {
    version?: unknown;
  };
  return typeof json.version === "string" ? json.version : "unknown";
}

/** `url` with its password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
  }
}
