/**
 * Scenario: cancels under load. `opsq worker --cancel-url --processes 2` works through a queue
 * while a third of the messages are cancelled in three waves (most still queued, then some
 * running). Every message not cancelled must run to the end; a cancelled one may only have
 * finished before its cancel was stored, must never start after the workers heard of it (the 2 s
 * poll bound, with margin), and a running one must be aborted, not finished; nothing may be
 * dead-lettered or lost, and the workers must stop with exit code 0.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { PostgresCancellationBackend } from "opsq";
import { openProducerBroker, Producer } from "../lib/producer.js";
import { Admin, uniqueQueue } from "../lib/rabbit.js";
import { type RecordLine, readRecords } from "../lib/records.js";
import { type Scenario, sleep, Tally, until } from "../lib/scenario.js";
import { FIXTURE_ACTORS, WorkerProcess } from "../lib/worker.js";
import { cleanUp, stopWorker } from "../lib/wrap-up.js";

/** A cancel is honoured at the latest after the workers' poll interval (2 s); this leaves margin. */
const HONOURED_WITHIN_MS = 3_000;

export const scenario: Scenario = {
  name: "cancel",
  description:
    "a third of the messages cancelled in waves under load: none runs after its cancel, the rest all run",
  disruptive: false,
  async run(options) {
    const tally = new Tally();
    const admin = new Admin();
    const queue = admin.track(uniqueQueue("cancel"));
    const record = join(options.dir, "records.jsonl");
    const table = `chaos_cancel_${randomUUID().slice(0, 8)}`;
    const store = new PostgresCancellationBackend({ url: options.databaseUrl, table });
    const broker = openProducerBroker({ url: options.rabbitUrl, logFile: join(options.dir, "producer.log") });
    const producer = new Producer(broker, queue);
    const count = options.short ? 600 : 3_000;
    try {
      const worker = WorkerProcess.start({
        module: FIXTURE_ACTORS,
        args: [
          "--processes",
          "2",
          "--concurrency",
          "8",
          "--cancel-url",
          options.databaseUrl,
          "--cancel-table",
          table,
        ],
        env: {
          RABBITMQ_URL: options.rabbitUrl,
          CHAOS_QUEUE: queue,
          CHAOS_RECORD: record,
          CHAOS_WORK_MS: "200",
        },
        logFile: join(options.dir, "worker.log"),
      });
      await worker.waitReady(2);
      await producer.run({ count, batch: 100 });
      tally.check(producer.confirmed.size === producer.sent, `${producer.failed.size} send(s) failed`);

      // Every third message, in three waves: at once (mostly queued), then twice while the workers run.
      const ids = [...producer.confirmed.keys()];
      const chosen = ids.filter((_, i) => i % 3 === 1);
      const waves = [
        chosen.slice(0, chosen.length / 3),
        chosen.slice(chosen.length / 3, (2 * chosen.length) / 3),
      ];
      waves.push(chosen.slice((2 * chosen.length) / 3));
      const storedAt = new Map<string, number>();
      for (const [i, wave] of waves.entries()) {
        if (i > 0) {
          await sleep(options.short ? 700 : 2_000);
        }
        await store.cancel(wave);
        const at = Date.now();
        for (const id of wave) {
          storedAt.set(id, at);
        }
      }

      const cancelled = new Set(chosen);
      const kept = ids.filter((id) => !cancelled.has(id));
      const drained = await until(
        () => {
          const done = new Set(
            readRecords(record)
              .filter((line) => line.ev === "done")
              .map((line) => line.id),
          );
          return kept.every((id) => done.has(id));
        },
        120_000,
        200,
      );
      tally.check(drained, "not every message that was not cancelled ran to the end within 120 s");
      // Let what is queued behind be acked, then check the queue is empty.
      const emptied = await until(async () => (await admin.count(queue)) === 0, 30_000, 200);
      tally.check(emptied, `${await admin.count(queue)} message(s) left in the queue`);
      await stopWorker(tally, worker, { who: "the workers" });

      const lines = readRecords(record);
      const outcome = classify(lines, cancelled, storedAt);
      tally.sent = producer.sent;
      tally.confirmed = producer.confirmed.size;
      tally.processed = new Set(lines.filter((line) => line.ev === "done").map((line) => line.id)).size;
      tally.deadLettered = await admin.count(`${queue}.XQ`);
      tally.lost = kept.filter((id) => !lines.some((line) => line.ev === "done" && line.id === id)).length;
      tally.duplicates = lines.filter((line) => line.ev === "done").length - tally.processed;
      tally.check(tally.lost === 0, `${tally.lost} message(s) not cancelled never ran to the end`);
      tally.check(tally.deadLettered === 0, `${tally.deadLettered} message(s) dead-lettered`);
      tally.check(
        outcome.startedLate.length === 0,
        `${outcome.startedLate.length} cancelled message(s) started more than ${HONOURED_WITHIN_MS} ms after their cancel was stored: ${outcome.startedLate.slice(0, 3).join(", ")}`,
      );
      tally.check(
        outcome.finishedLate.length === 0,
        `${outcome.finishedLate.length} cancelled message(s) ran to the end more than ${HONOURED_WITHIN_MS} ms after their cancel was stored`,
      );
      tally.check(outcome.aborted + outcome.neverStarted > 0, "no cancel took effect at all");
      tally.note(
        `${cancelled.size} cancelled in 3 waves: ${outcome.neverStarted} never started, ${outcome.aborted} aborted while running, ${outcome.finishedBefore} had finished before their cancel was stored, ${outcome.finishedInFlight} finished within ${HONOURED_WITHIN_MS} ms after it`,
      );
    } catch (error) {
      tally.fail("scenario aborted", error);
    } finally {
      await store.dropTable().catch(() => {});
      await store.close().catch(() => {});
      await cleanUp(tally, admin, broker);
    }
    return tally.result();
  },
};

interface CancelOutcome {
  neverStarted: number;
  aborted: number;
  /** Finished before the cancel was stored. */
  finishedBefore: number;
  /** Finished after the cancel was stored, within the bound it takes to reach the workers. */
  finishedInFlight: number;
  startedLate: string[];
  finishedLate: string[];
}

/** What became of each cancelled message, judged against when its cancel was stored. */
function classify(
  lines: readonly RecordLine[],
  cancelled: ReadonlySet<string>,
  storedAt: ReadonlyMap<string, number>,
): CancelOutcome {
  const outcome: CancelOutcome = {
    neverStarted: 0,
    aborted: 0,
    finishedBefore: 0,
    finishedInFlight: 0,
    startedLate: [],
    finishedLate: [],
  };
  const byId = new Map<string, RecordLine[]>();
  for (const line of lines) {
    if (cancelled.has(line.id)) {
      byId.set(line.id, [...(byId.get(line.id) ?? []), line]);
    }
  }
  for (const id of cancelled) {
    const events = byId.get(id) ?? [];
    const stored = storedAt.get(id) ?? 0;
    const deadline = stored + HONOURED_WITHIN_MS;
    const done = events.find((line) => line.ev === "done");
    if (events.length === 0) {
      outcome.neverStarted++;
    } else if (done !== undefined) {
      if (done.at > deadline) {
        outcome.finishedLate.push(id);
      } else if (done.at > stored) {
        outcome.finishedInFlight++;
      } else {
        outcome.finishedBefore++;
      }
    } else {
      outcome.aborted++;
    }
    if (events.some((line) => line.ev === "start" && line.at > deadline)) {
      outcome.startedLate.push(id);
    }
  }
  return outcome;
}
