/**
 * Scenario 5: SIGTERM with work in flight, several times (`--processes 1` and `2`): each stop
 * exits 0 within the shutdown timeout, the messages running at the signal are finished (and
 * acked), the buffered ones are handed back; in the end every message ran exactly once.
 */
import { join } from "node:path";
import { openProducerBroker, Producer } from "../lib/producer.js";
import { Admin, uniqueQueue } from "../lib/rabbit.js";
import { doneIds, readRecords, summarize } from "../lib/records.js";
import { type Scenario, Tally, until } from "../lib/scenario.js";
import { describeExit, FIXTURE_ACTORS, WorkerProcess } from "../lib/worker.js";
import { cleanUp, stopWorker, tallyProduced } from "../lib/wrap-up.js";

const SHUTDOWN_TIMEOUT_MS = 10_000;

export const scenario: Scenario = {
  name: "graceful-shutdown",
  description:
    "SIGTERM with work in flight: exit 0 within the shutdown timeout, nothing lost, nothing run twice",
  disruptive: false,
  async run(options) {
    const tally = new Tally();
    const admin = new Admin();
    const queue = admin.track(uniqueQueue("graceful"));
    const record = join(options.dir, "records.jsonl");
    const broker = openProducerBroker({ url: options.rabbitUrl, logFile: join(options.dir, "producer.log") });
    const producer = new Producer(broker, queue);
    const rounds = options.short ? 2 : 6;
    let started = 0;
    const start = async (processes: number) => {
      started++;
      const worker = WorkerProcess.start({
        module: FIXTURE_ACTORS,
        args: [
          "--processes",
          String(processes),
          "--concurrency",
          "8",
          "--shutdown-timeout",
          String(SHUTDOWN_TIMEOUT_MS),
        ],
        env: {
          RABBITMQ_URL: options.rabbitUrl,
          CHAOS_QUEUE: queue,
          CHAOS_RECORD: record,
          CHAOS_WORK_MS: "200",
        },
        logFile: join(options.dir, `worker-${started}.log`),
      });
      await worker.waitReady(processes);
      return worker;
    };
    try {
      await producer.run({ count: options.short ? 200 : 1_500, batch: 100 });
      tally.check(producer.confirmed.size === producer.sent, `${producer.failed.size} send(s) failed`);
      const exitTimes: number[] = [];
      for (let round = 1; round <= rounds; round++) {
        const processes = round % 2 === 0 ? 2 : 1;
        const worker = await start(processes);
        const before = doneIds(record).size;
        // Mid-load: some finished since the start, and some running now.
        const busy = await until(
          () => {
            const lines = readRecords(record);
            const done = lines.filter((line) => line.ev === "done").length;
            const running = lines.length - 2 * done;
            return done >= before + 20 && running > 0;
          },
          20_000,
          20,
        );
        tally.check(busy, `round ${round}: the worker was not busy within 20 s`);
        const inFlight = summarize(readRecords(record), []).unfinished;
        const signalledAt = Date.now();
        worker.signal("SIGTERM");
        const exit = await worker.waitExit(SHUTDOWN_TIMEOUT_MS + 5_000);
        const tookMs = Date.now() - signalledAt;
        exitTimes.push(tookMs);
        tally.check(
          exit?.code === 0 && tookMs <= SHUTDOWN_TIMEOUT_MS + 2_000,
          `round ${round} (--processes ${processes}): ${exit ? `exited with ${describeExit(exit)}` : "did not exit"} after ${tookMs} ms`,
        );
        const unfinished = summarize(readRecords(record), []).unfinished;
        tally.check(
          unfinished === 0,
          `round ${round}: ${unfinished} message(s) started and not finished by the stop`,
        );
        tally.check(
          worker.lines.every(
            (line) => line.msg !== "shutdown timeout reached; in-flight messages handed back",
          ),
          `round ${round}: the shutdown timeout was reached`,
        );
        options.log(
          `  round ${round}: SIGTERM with ${inFlight} in flight → exit ${exit?.code} in ${tookMs} ms`,
        );
        if (doneIds(record).size >= producer.confirmed.size) {
          tally.note(`the queue drained after ${round} round(s)`);
          break;
        }
      }
      // Drain what is left with one last worker, and stop it too.
      const last = await start(1);
      const ids = [...producer.confirmed.keys()];
      const drained = await until(
        () => {
          const done = doneIds(record);
          return ids.every((id) => done.has(id));
        },
        60_000,
        200,
      );
      await stopWorker(tally, last, { who: "the last worker", timeoutMs: SHUTDOWN_TIMEOUT_MS + 5_000 });
      tally.check(drained, "not every message was processed");
      tallyProduced(tally, producer, {
        record,
        deadLettered: await admin.count(`${queue}.XQ`),
        exactlyOnce: true,
      });
      const startsPerId = new Map<string, number>();
      for (const line of readRecords(record)) {
        if (line.ev === "start") {
          startsPerId.set(line.id, (startsPerId.get(line.id) ?? 0) + 1);
        }
      }
      const startedTwice = [...startsPerId.values()].filter((n) => n > 1).length;
      tally.check(startedTwice === 0, `${startedTwice} message(s) started twice`);
      tally.note(
        `SIGTERM → exit took ${exitTimes.map((ms) => `${ms} ms`).join(", ")} (shutdown timeout ${SHUTDOWN_TIMEOUT_MS} ms)`,
      );
    } catch (error) {
      tally.fail("scenario aborted", error);
    } finally {
      await cleanUp(tally, admin, broker);
    }
    return tally.result();
  },
};
