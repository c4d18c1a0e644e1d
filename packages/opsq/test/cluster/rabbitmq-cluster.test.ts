/**
 * The RabbitMQ broker on the local three-node cluster (`npm run test:cluster`), with quorum
 * queues: a producer and a worker given the three URLs keep going through the `kill -9` of the
 * node the worker is connected to, and of the node leading the queue. Nothing confirmed is lost,
 * every send settles (confirmed or a PublishError) within confirmTimeoutMs, and the worker
 * consumes again by itself.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Actor, defineActor } from "../../src/actor.js";
import { RabbitmqBroker } from "../../src/brokers/rabbitmq.js";
import { PublishError } from "../../src/errors.js";
import { Worker } from "../../src/worker.js";
import { captureLogger, uniqueQueue, waitFor } from "../helpers/rabbitmq.js";
import {
  type ClusterNode,
  clusterUrls,
  healCluster,
  killNode,
  leaderOf,
  nodesOf,
  startNode,
} from "../helpers/rabbitmq-cluster.js";

const urls = clusterUrls();
const CONFIRM_TIMEOUT_MS = 10_000;

/** Sends numbered messages in batches until stopped; keeps every outcome and the longest settle time. */
function produce(actor: Actor<[number], void>) {
  const confirmed = new Set<number>();
  const failed = new Map<number, unknown>();
  let slowestMs = 0;
  let next = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const batch = Array.from({ length: 20 }, () => next++);
      await Promise.all(
        batch.map((n) => {
          const started = Date.now();
          return actor
            .send(n)
            .then(
              () => void confirmed.add(n),
              (error: unknown) => void failed.set(n, error),
            )
            .finally(() => {
              slowestMs = Math.max(slowestMs, Date.now() - started);
            });
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  return {
    confirmed,
    failed,
    get slowestMs() {
      return slowestMs;
    },
    stop: async () => {
      running = false;
      await done;
    },
  };
}

describe("RabbitmqBroker on a three-node cluster with quorum queues", () => {
  const brokers: RabbitmqBroker[] = [];
  const workers: Worker[] = [];
  const queues: string[] = [];
  const killed: ClusterNode[] = [];

  beforeAll(async () => {
    await healCluster();
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    for (const node of killed.splice(0)) {
      await startNode(node);
    }
    await Promise.all(brokers.splice(0).map((broker) => broker.close()));
  });

  afterAll(async () => {
    await healCluster();
    const { default: amqp } = await import("amqplib");
    const model = await amqp.connect(urls[0]!);
    const channel = await model.createChannel();
    for (const queue of queues) {
      for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`]) {
        await channel.deleteQueue(name);
      }
    }
    await model.close();
  });

  function broker(connectionName: string, logger = captureLogger().logger): RabbitmqBroker {
    const made = new RabbitmqBroker({
      urls,
      queueType: "quorum",
      connectionName,
      logger,
      confirmTimeoutMs: CONFIRM_TIMEOUT_MS,
      reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
    });
    brokers.push(made);
    return made;
  }

  /** A producer and a worker on their own brokers and connections, sending and processing. */
  async function running(label: string) {
    return runningWith(label, "worker");
  }

  /** As {@link running}; `declarer` declares the queue first, so its node leads it (client-local). */
  async function runningWith(label: string, declarer: "producer" | "worker") {
    const queue = uniqueQueue(`cluster-${label}`);
    queues.push(queue);
    const workerName = uniqueQueue(`opsq-cluster-worker-${label}`);
    const workerLog = captureLogger();
    const producerLog = captureLogger();
    const producerName = uniqueQueue(`opsq-cluster-producer-${label}`);
    const producer = broker(producerName, producerLog.logger);
    const consumer = broker(workerName, workerLog.logger);
    const runs = new Map<number, number>();
    const sink = defineActor("sink", (_n: number) => {}, { queue, broker: producer });
    defineActor("sink", (n: number) => void runs.set(n, (runs.get(n) ?? 0) + 1), { queue, broker: consumer });
    await (declarer === "producer" ? producer : consumer).declareQueueOnServer(queue);
    const worker = new Worker(consumer, { concurrency: 8 });
    workers.push(worker);
    await worker.start();
    const production = produce(sink);
    await waitFor(() => runs.size >= 200, { timeoutMs: 20_000, message: "200 messages processed first" });
    return { queue, workerName, producerName, workerLog, producerLog, runs, production };
  }

  async function expectNothingLost(
    state: Awaited<ReturnType<typeof running>>,
    confirmedAtFault: number,
  ): Promise<void> {
    const { production, runs, workerLog, producerLog } = state;
    const more = await waitFor(() => production.confirmed.size >= confirmedAtFault + 300, {
      timeoutMs: 60_000,
      message: "300 more sends confirmed after the fault",
    }).catch((error: unknown) => error);
    if (more !== undefined) {
      const reasons = [...new Set([...production.failed.values()].map(String))].slice(0, 5);
      throw new Error(
        `${String(more)}; confirmed ${production.confirmed.size - confirmedAtFault} more, ${production.failed.size} failed (${reasons.join(" | ")}); producer log: ${producerLog.text().slice(-3000)}`,
      );
    }
    await production.stop();
    await waitFor(() => [...production.confirmed].every((n) => runs.has(n)), {
      timeoutMs: 60_000,
      message: "every confirmed send processed",
    });
    for (const error of production.failed.values()) {
      expect(error, String(error)).toBeInstanceOf(PublishError);
    }
    expect(production.slowestMs).toBeLessThan(CONFIRM_TIMEOUT_MS + 2_000);
    expect(workerLog.text()).not.toContain("guest:guest");
  }

  it("survives the kill -9 of the node its worker is connected to", async () => {
    const state = await running("worker-node");
    const [node] = await nodesOf(state.workerName);
    expect(node).toBeDefined();
    const confirmedAtFault = state.production.confirmed.size;
    await killNode(node!);
    killed.push(node!);
    await waitFor(() => state.workerLog.lines.some((line) => line.msg === "RabbitMQ connection recovered"), {
      timeoutMs: 30_000,
      message: "the worker reconnected to another node",
    });
    expect(await nodesOf(state.workerName)).not.toContain(node);
    await expectNothingLost(state, confirmedAtFault);
  });

  it("survives the kill -9 of the node leading the queue", async () => {
    const state = await running("leader");
    const leader = await leaderOf(state.queue);
    const confirmedAtFault = state.production.confirmed.size;
    const processedAtFault = state.runs.size;
    await killNode(leader);
    killed.push(leader);
    await waitFor(() => state.runs.size > processedAtFault + 100, {
      timeoutMs: 60_000,
      message: "consuming resumed after the leader died",
    });
    const newLeader = await leaderOf(state.queue);
    expect(newLeader).not.toBe(leader);
    await expectNothingLost(state, confirmedAtFault);
  });

  it("survives the kill -9 of the node its producer is connected to, which leads the queue", async () => {
    // A publishing channel opened on another node just after the leader died can be nacked for
    // good by RabbitMQ 3.10; the publisher retires a channel that nacks, so sends resume.
    const state = await runningWith("producer-leader", "producer");
    const [node] = await nodesOf(state.producerName);
    expect(await leaderOf(state.queue)).toBe(node);
    const confirmedAtFault = state.production.confirmed.size;
    await killNode(node!);
    killed.push(node!);
    await expectNothingLost(state, confirmedAtFault);
    expect(await leaderOf(state.queue)).not.toBe(node);
  });
});
