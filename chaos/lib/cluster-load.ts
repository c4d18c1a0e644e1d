/**
 * The shape of the cluster scenarios: on the local three-node cluster, two `opsq worker`
 * processes (each given the three URLs, connected to different nodes) consume one quorum queue
 * while a producer in the runner (given the three URLs too) sends numbered messages; the
 * scenario's faults hit the nodes; then every confirmed message must have been run (at least
 * once), nothing dead-lettered, every `send()` settled, both workers still the same processes,
 * and each must stop with exit code 0 on SIGTERM. The time from each node death until each
 * worker completes messages again is measured.
 *
 * @module
 */
import { join } from "node:path";
import { type ClusterNode, healCluster, nodesOf } from "../../packages/opsq/test/helpers/rabbitmq-cluster.js";
import { openProducerBroker, Producer } from "./producer.js";
import { Admin, uniqueConnectionName, uniqueQueue } from "./rabbit.js";
import { doneIds, readRecords } from "./records.js";
import { resumeTimes } from "./resume.js";
import { type ScenarioOptions, type ScenarioResult, Tally, until } from "./scenario.js";
import { FIXTURE_ACTORS, WorkerProcess } from "./worker.js";
import { cleanUp, settleAndDrain, stopWorker, tallyProduced } from "./wrap-up.js";

/** The delivery limit of the scenarios' quorum queues (producer and workers must agree). */
export const DELIVERY_LIMIT = 20;

/** What the cluster runner hands a cluster scenario. */
export interface ClusterScenarioOptions extends ScenarioOptions {
  /** The URLs of nodes 1, 2 and 3. */
  readonly urls: readonly string[];
}

/** A cluster scenario's report: the table row, and the resume times it measured. */
export interface ClusterScenarioResult extends ScenarioResult {
  /** Milliseconds from a node's death until a worker completed messages again, one per worker and death. */
  resumeMs: number[];
}

/** A cluster scenario. */
export interface ClusterScenario {
  readonly name: string;
  readonly description: string;
  run(options: ClusterScenarioOptions): Promise<ClusterScenarioResult>;
}

/** What a cluster fault gets to work with. */
export interface ClusterFaultContext {
  readonly options: ClusterScenarioOptions;
  /** The scenario's quorum queue. */
  readonly queue: string;
  readonly tally: Tally;
  /** Records that a node died (or stopped taking connections) now, to measure the resume time. */
  died(node: ClusterNode): void;
}

/** Options of {@link runClusterLoad}. */
export interface ClusterLoadOptions {
  /** Short name (queue and file names). */
  name: string;
  /** Sends in flight at once. */
  batch: number;
  /** Pause between batches. */
  pauseMs: number;
  /** Simulated work per message. */
  workMs: number;
  /** `--concurrency` of each worker. */
  concurrency: number;
  /** Confirmed sends before the faults start. */
  warmup: number;
  /** The faults, in order; the production runs until they are done, and a little longer. */
  faults(context: ClusterFaultContext): Promise<void>;
  /** How long, after the producer finished, every confirmed message has to be processed. */
  drainTimeoutMs: number;
}

/** Runs the load, the faults and the checks; always heals the cluster and cleans up. */
export async function runClusterLoad(
  options: ClusterScenarioOptions,
  load: ClusterLoadOptions,
): Promise<ClusterScenarioResult> {
  const tally = new Tally();
  const resumeMs: number[] = [];
  const admin = new Admin(options.urls);
  const queue = admin.track(uniqueQueue(load.name));
  const record = join(options.dir, "records.jsonl");
  const broker = openProducerBroker({
    url: options.urls[0]!,
    urls: options.urls,
    queueType: "quorum",
    deliveryLimit: DELIVERY_LIMIT,
    logFile: join(options.dir, "producer.log"),
    connectionName: uniqueConnectionName(`${load.name}-producer`),
  });
  const producer = new Producer(broker, queue);
  let started = 0;
  const startWorker = async (connectionName: string): Promise<WorkerProcess> => {
    started++;
    const worker = WorkerProcess.start({
      module: FIXTURE_ACTORS,
      args: [
        "--concurrency",
        String(load.concurrency),
        "--broker-url",
        options.urls.join(","),
        "--queue-type",
        "quorum",
        "--delivery-limit",
        String(DELIVERY_LIMIT),
      ],
      env: {
        CHAOS_QUEUE: queue,
        CHAOS_RECORD: record,
        CHAOS_WORK_MS: String(load.workMs),
        CHAOS_CONNECTION_NAME: connectionName,
        OPSQ_LOG_LEVEL: "debug",
      },
      logFile: join(options.dir, `worker-${started}.log`),
    });
    await worker.waitReady(1, 60_000);
    return worker;
  };
  const workers: WorkerProcess[] = [];
  try {
    await healCluster();
    // The producer declares the queue first, so its node leads it (RabbitMQ's client-local placement).
    await broker.declareQueueOnServer(queue);
    const names = [uniqueConnectionName(`${load.name}-w1`), uniqueConnectionName(`${load.name}-w2`)];
    workers.push(await startWorker(names[0]!));
    const firstNode = (await nodesOf(names[0]!))[0];
    workers.push(await startWorker(names[1]!));
    // Two workers on different nodes: a new second worker until the shuffled order gives one.
    for (let attempt = 1; attempt < 6 && (await nodesOf(names[1]!))[0] === firstNode; attempt++) {
      const again = workers.pop()!;
      await stopWorker(tally, again, { who: "a worker restarted to land on another node" });
      workers.push(await startWorker(names[1]!));
    }
    const secondNode = (await nodesOf(names[1]!))[0];
    tally.check(
      firstNode !== undefined && secondNode !== undefined && firstNode !== secondNode,
      `the two workers are not on different nodes (${firstNode}, ${secondNode})`,
    );
    tally.note(`workers on nodes ${firstNode} and ${secondNode}`);

    const production = producer.run({
      count: Number.POSITIVE_INFINITY,
      batch: load.batch,
      pauseMs: load.pauseMs,
    });
    tally.check(
      await until(() => producer.confirmed.size >= load.warmup, 60_000),
      `fewer than ${load.warmup} sends confirmed before the faults`,
    );
    const deaths: number[] = [];
    try {
      await load.faults({
        options,
        queue,
        tally,
        died: (node) => {
          deaths.push(Date.now());
          options.log(`  node ${node} down`);
        },
      });
    } catch (error) {
      tally.fail("a fault failed", error);
    }
    // The load goes on after the faults: more messages processed.
    const processedAfterFaults = doneIds(record).size;
    tally.check(
      await until(() => doneIds(record).size > processedAfterFaults + 100, 30_000),
      "fewer than 100 more messages processed within 30 s after the faults",
    );
    producer.stop();
    await production;
    const drained = await settleAndDrain(tally, producer, record, load.drainTimeoutMs);
    tally.check(drained, `not every confirmed message was processed within ${load.drainTimeoutMs} ms`);
    for (const [index, worker] of workers.entries()) {
      tally.check(worker.running, `worker ${index + 1} exited during the faults`);
    }
    const records = readRecords(record);
    const pids = workers.map((worker) => worker.pid);
    for (const [index, deathAt] of deaths.entries()) {
      const next = deaths[index + 1] ?? Number.POSITIVE_INFINITY;
      resumeMs.push(...resumeTimes(records, deathAt, pids, Math.min(30_000, next - deathAt)));
    }
    for (const [index, worker] of workers.entries()) {
      await stopWorker(tally, worker, { who: `worker ${index + 1}` });
    }
    const summary = tallyProduced(tally, producer, {
      record,
      deadLettered: await admin.count(`${queue}.XQ`),
      exactlyOnce: false,
    });
    const redelivered = records.filter((line) => line.ev === "done" && line.redelivered).length;
    const failedYetRun = [...producer.failed.keys()].filter((id) => summary.runs.has(id)).length;
    tally.note(
      `${producer.failed.size} send(s) failed with an error, none counted as confirmed (${producer.describeFailures()}), of which ${failedYetRun} did reach the queue and ran (a PublishError says "may or may not have been delivered"); ${summary.unfinished} run(s) cut short; ${summary.duplicates} duplicate run(s): ${redelivered} completed run(s) of redelivered messages, handed back by RabbitMQ when the connection carrying their ack (or the queue's leader) died before it arrived (at-least-once)`,
    );
    tally.note(
      `resume after a node death (ms, per worker): ${resumeMs.map((ms) => String(ms)).join(", ") || "none measured"}`,
    );
  } catch (error) {
    tally.fail("scenario aborted", error);
  } finally {
    await healCluster().catch((error: unknown) => tally.fail("could not heal the cluster", error));
    await cleanUp(tally, admin, broker);
  }
  return { ...tally.result(), resumeMs };
}
