/**
 * The shape shared by the opsq load scenarios: `opsq worker` subprocesses on the fixture
 * actors consume a unique queue while a producer in the runner sends numbered messages; a
 * fault is injected several times mid-load; then every confirmed message must have been run
 * (at least once), nothing may be dead-lettered, every `send()` must have settled, and the
 * worker must stop with exit code 0 on SIGTERM.
 *
 * @module
 */
import { join } from "node:path";
import { openProducerBroker, Producer } from "./producer.js";
import { Admin, uniqueConnectionName, uniqueQueue } from "./rabbit.js";
import { doneIds, readRecords } from "./records.js";
import { type ScenarioOptions, type ScenarioResult, Tally, until } from "./scenario.js";
import { FIXTURE_ACTORS, WorkerProcess } from "./worker.js";
import { checkSurvived, cleanUp, settleAndDrain, stopWorker, tallyProduced } from "./wrap-up.js";

/** What a fault gets to work with. */
export interface FaultContext {
  /** The scenario's options. */
  readonly options: ScenarioOptions;
  /** The current worker (a supervisor with `--processes` > 1). */
  worker: WorkerProcess;
  /** Starts a replacement worker (same arguments) and waits until it is ready. */
  restart(): Promise<WorkerProcess>;
  /** The connection name the worker and the producer use. */
  readonly connectionName: string;
  /** Records checks and notes. */
  readonly tally: Tally;
  /** Which fault this is, from 1. */
  readonly round: number;
}

/** Options of {@link runLoadWithFaults}. */
export interface LoadOptions {
  /** Short name (queue and file names). */
  name: string;
  /** Messages to send. */
  count: number;
  /** Sends in flight at once. */
  batch: number;
  /** How long the production should last (batches are paced to spread over it). */
  durationMs: number;
  /** Simulated work per message. */
  workMs: number;
  /** `--processes`. */
  processes: number;
  /** `--concurrency`. */
  concurrency: number;
  /** How many faults. */
  faults: number;
  /** The faults are spread evenly over the production: fault i once i/(faults+1) of it is confirmed. */
  /** The fault. */
  fault(context: FaultContext): Promise<void>;
  /** Whether the original worker process must survive every fault (connection faults). */
  workerMustSurvive: boolean;
  /** How long, after the producer finished, every confirmed message has to be processed. */
  drainTimeoutMs: number;
  /** Extra checks once everything is drained (the worker is still running). */
  afterDrain?(context: FaultContext): Promise<void> | void;
}

/** Runs the load, the faults and the checks; always cleans up. */
export async function runLoadWithFaults(
  options: ScenarioOptions,
  load: LoadOptions,
): Promise<ScenarioResult> {
  const tally = new Tally();
  const admin = new Admin();
  const queue = admin.track(uniqueQueue(load.name));
  const connectionName = uniqueConnectionName(load.name);
  const record = join(options.dir, "records.jsonl");
  const broker = openProducerBroker({
    url: options.rabbitUrl,
    logFile: join(options.dir, "producer.log"),
    connectionName,
  });
  const producer = new Producer(broker, queue);
  let workers = 0;
  const startWorker = async (): Promise<WorkerProcess> => {
    workers++;
    const worker = WorkerProcess.start({
      module: FIXTURE_ACTORS,
      args: ["--processes", String(load.processes), "--concurrency", String(load.concurrency)],
      env: {
        RABBITMQ_URL: options.rabbitUrl,
        CHAOS_QUEUE: queue,
        CHAOS_RECORD: record,
        CHAOS_WORK_MS: String(load.workMs),
        CHAOS_CONNECTION_NAME: connectionName,
        OPSQ_LOG_LEVEL: "debug",
      },
      logFile: join(options.dir, `worker-${workers}.log`),
    });
    await worker.waitReady(load.processes);
    return worker;
  };
  try {
    const first = await startWorker();
    const context: FaultContext = {
      options,
      worker: first,
      restart: async () => {
        context.worker = await startWorker();
        return context.worker;
      },
      connectionName,
      tally,
      round: 0,
    };
    const pauseMs = Math.round(load.durationMs / Math.ceil(load.count / load.batch));
    const production = producer.run({ count: load.count, batch: load.batch, pauseMs });
    let producing = true;
    void production.finally(() => {
      producing = false;
    });
    for (let round = 1; round <= load.faults; round++) {
      await until(
        () => producer.confirmed.size >= (load.count * round) / (load.faults + 1) || !producing,
        60_000,
      );
      if (!producing) {
        tally.fail(`the production ended before fault ${round}: make it last longer`);
      }
      (context as { round: number }).round = round;
      const processedBefore = doneIds(record).size;
      try {
        await load.fault(context);
      } catch (error) {
        tally.fail(`fault ${round} failed`, error);
        break;
      }
      options.log(`  fault ${round}/${load.faults} done (${processedBefore} processed before it)`);
      // The load must go on after each fault: more messages processed.
      const resumed = await until(() => {
        const done = doneIds(record);
        return (
          done.size > processedBefore ||
          (!producing && producer.pending === 0 && [...producer.confirmed.keys()].every((id) => done.has(id)))
        );
      }, 30_000);
      tally.check(resumed, `nothing processed within 30 s after fault ${round}`);
    }
    await production;
    const drained = await settleAndDrain(tally, producer, record, load.drainTimeoutMs);
    const worker = context.worker;
    if (load.workerMustSurvive) {
      checkSurvived(tally, first, worker);
    }
    if (drained && worker.running) {
      await load.afterDrain?.(context);
    }
    // Graceful stop: exit 0 within the shutdown timeout.
    await stopWorker(tally, worker);
    tally.check(drained, `not every confirmed message was processed within ${load.drainTimeoutMs} ms`);
    const summary = tallyProduced(tally, producer, {
      record,
      deadLettered: await admin.count(`${queue}.XQ`),
      exactlyOnce: false,
    });
    const redelivered = readRecords(record).filter((line) => line.ev === "done" && line.redelivered).length;
    tally.note(
      `${producer.failed.size} send(s) failed with an error (${producer.describeFailures()}); ${summary.unfinished} run(s) cut short by the faults; ${redelivered} redelivered message(s) run; ${summary.duplicates} duplicate run(s) (at-least-once)`,
    );
  } catch (error) {
    tally.fail("scenario aborted", error);
  } finally {
    await cleanUp(tally, admin, broker);
  }
  return tally.result();
}
