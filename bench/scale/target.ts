/** Where a scale-out cell runs: the single node or the cluster, classic or quorum queues. */
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { RabbitmqBroker } from "opsq";
import { type BenchContext, connect, deleteFamilies, rawPublish, statsBody } from "../lib/amqp.js";

/** A broker set-up under test. */
export interface Target {
  readonly name: string;
  /** Its nodes; process i connects to `urls[i % urls.length]` only. */
  readonly urls: readonly string[];
  readonly queueType: "classic" | "quorum";
}

/** The single node (classic, quorum) and, with ≥ 2 URLs in `RABBITMQ_URLS`, the cluster (quorum). */
export function targets(single: string, cluster: readonly string[]): Target[] {
  return [
    { name: "single node, classic", urls: [single], queueType: "classic" },
    { name: "single node, quorum", urls: [single], queueType: "quorum" },
    ...(cluster.length > 1
      ? [{ name: "3-node cluster, quorum", urls: cluster, queueType: "quorum" as const }]
      : []),
  ];
}

/** The node process `index` of a cell connects to. */
export const nodeOf = (target: Target, index: number): string => target.urls[index % target.urls.length]!;

/** The environment of process `index` of a cell: one node, the queue type, the queue. */
export function targetEnv(target: Target, index: number, queue: string): Record<string, string> {
  const url = nodeOf(target, index);
  return { RABBITMQ_URLS: url, RABBITMQ_URL: url, OPSQ_QUEUE_TYPE: target.queueType, BENCH_QUEUE: queue };
}

/** A raw connection to the target's first node and the queues made on it (see {@link freshQueue}). */
export async function openTarget(target: Target, messages: number): Promise<BenchContext> {
  const url = target.urls[0]!;
  return {
    url,
    run: randomUUID().slice(0, 8),
    connection: await connect(url),
    queues: new Set(),
    tmpdir: tmpdir(),
    messages,
    rounds: 1,
  };
}

let counter = 0;

/**
 * Declares a fresh queue family as opsq does for the target's queue type, from the first node (so
 * in the cluster node 1 leads it), pre-filled with `prefill` "bench_stats" messages.
 */
export async function freshQueue(
  context: BenchContext,
  target: Target,
  label: string,
  prefill = 0,
): Promise<string> {
  const queue = `bench-scale-${context.run}-${label}-${++counter}`;
  context.queues.add(queue);
  const broker = new RabbitmqBroker({ url: context.url, queueType: target.queueType });
  try {
    await broker.declareQueueOnServer(queue);
  } finally {
    await broker.close();
  }
  if (prefill > 0) await rawPublish(context, queue, prefill, () => statsBody(queue));
  return queue;
}

/** Deletes the queues of the context and closes its connection. */
export async function closeTarget(context: BenchContext): Promise<void> {
  await deleteFamilies(context, context.queues);
  await context.connection.close().catch(() => {});
}
