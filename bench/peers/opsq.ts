/**
 * opsq as a peer: `actor.send()` and `actor.sendMany()` on a `RabbitmqBroker` (publisher confirms),
 * drained by `opsq worker bench/fixtures/stats-actors.mjs --concurrency 50`, as `npm run bench` does.
 */
import { type Actor, defineActor, RabbitmqBroker } from "opsq";
import {
  type BenchContext,
  declareFamily,
  deleteFamilies,
  openContext,
  readyCount,
  uniqueQueue,
} from "../lib/amqp.js";
import { startStatsWorker } from "../lib/processes.js";
import { batchSizes, installedVersion, type OpenPeer, type Peer } from "./peer.js";

/** The actor of the stats fixture, bound to one queue on its own broker (actor names are unique per broker). */
interface Sender {
  broker: RabbitmqBroker;
  actor: Actor<[number], void>;
}

/** Connects opsq to the run's RabbitMQ (see {@link Peer}). */
export const openOpsq: OpenPeer = async (settings) => {
  const context: BenchContext = {
    ...(await openContext({ tmpdir: settings.tmpdir, messages: 0, rounds: 0 })),
    url: settings.rabbitmqUrl,
    run: settings.run,
  };
  const senders = new Map<string, Sender>();
  const sender = (queue: string): Sender => {
    let found = senders.get(queue);
    if (!found) {
      const broker = new RabbitmqBroker({ url: settings.rabbitmqUrl });
      const actor = defineActor("bench_stats", (_sentAt: number) => {}, { queue, broker });
      found = { broker, actor };
      senders.set(queue, found);
    }
    return found;
  };
  const peer: Peer = {
    name: "opsq",
    version: installedVersion("opsq"),
    tuning: "`opsq worker --concurrency 50` (prefetch 100), one process",
    async server() {
      const properties = (
        context.connection.connection as unknown as {
          serverProperties?: { version?: string };
        }
      ).serverProperties;
      return `RabbitMQ ${properties?.version ?? "unknown"}`;
    },
    async durability() {
      return "publisher confirm per message: persistent message on a durable classic queue, confirmed once RabbitMQ has written it to disk (fsync)";
    },
    async createQueue(label) {
      const queue = uniqueQueue(context, `peers-${label}`);
      await declareFamily(context, queue);
      return queue;
    },
    async enqueueOne(queue, count) {
      const { actor } = sender(queue);
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < count; i++) pending.push(actor.send(0));
      await Promise.all(pending);
    },
    async enqueueBatch(queue, count) {
      const { actor } = sender(queue);
      for (const size of batchSizes(count)) {
        const results = await actor.sendMany(Array.from({ length: size }, (): [number] => [0]));
        const failed = results.find((result) => !result.ok);
        if (failed && !failed.ok)
          throw new Error(`sendMany: a message was not sent: ${failed.error.message}`);
      }
    },
    startWorker(queue, stats) {
      return startStatsWorker(settings.rabbitmqUrl, { queue, stats });
    },
    remaining(queue) {
      return readyCount(context, queue);
    },
    async deleteQueue(queue) {
      const found = senders.get(queue);
      senders.delete(queue);
      await found?.broker.close();
      await deleteFamilies(context, [queue]);
    },
    async close() {
      for (const queue of [...senders.keys()]) await senders.get(queue)?.broker.close();
      senders.clear();
      await context.connection.close().catch(() => {});
    },
  };
  return peer;
};
