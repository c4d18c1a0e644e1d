/**
 * How the scenarios end: the worker stopped with SIGTERM (it must exit 0), the counts of the
 * record file put in the tally with the promises every load checks (nothing confirmed lost,
 * nothing dead-lettered, nothing run twice where that is promised), and the clean-up of their
 * `finally`.
 *
 * @module
 */
import type { Producer } from "./producer.js";
import type { Admin } from "./rabbit.js";
import { doneIds, readRecords, type Summary, summarize } from "./records.js";
import { type Tally, until } from "./scenario.js";
import { describeExit, type Exit, killLeftovers, type WorkerProcess } from "./worker.js";

/**
 * After the last send: checks that every `send()` settled (confirmed or failed), then waits up
 * to `drainTimeoutMs` until every confirmed message is in the record file as done.
 *
 * @returns whether every confirmed message was processed in time
 */
export async function settleAndDrain(
  tally: Tally,
  producer: Producer,
  record: string,
  drainTimeoutMs: number,
): Promise<boolean> {
  tally.check(
    producer.pending === 0,
    `${producer.pending} send() call(s) neither confirmed nor failed 30 s after the last send`,
  );
  const confirmedIds = [...producer.confirmed.keys()];
  return until(
    () => {
      const done = doneIds(record);
      return confirmedIds.every((id) => done.has(id));
    },
    drainTimeoutMs,
    200,
  );
}

/** Options of {@link stopWorker}. */
export interface StopOptions {
  /** How the worker is named in the failed check. @default "the worker" */
  who?: string;
  /** How long it has to exit. @default 35_000 */
  timeoutMs?: number;
}

/** Sends SIGTERM and checks that the worker exits with code 0 in time; returns how it exited. */
export async function stopWorker(
  tally: Tally,
  worker: WorkerProcess,
  { who = "the worker", timeoutMs = 35_000 }: StopOptions = {},
): Promise<Exit | undefined> {
  worker.signal("SIGTERM");
  const exit = await worker.waitExit(timeoutMs);
  tally.check(
    exit?.code === 0,
    `after SIGTERM ${who} ${exit ? `exited with ${describeExit(exit)}` : `did not exit within ${timeoutMs / 1000} s`}`,
  );
  return exit;
}

/** Checks that the first worker is still the one running (for faults it must survive). */
export function checkSurvived(tally: Tally, first: WorkerProcess, current: WorkerProcess): void {
  tally.check(
    current === first && first.running,
    `the worker process exited during the faults (${first.exit ? describeExit(first.exit) : "replaced"})`,
  );
}

/** What {@link tallyRecords} counts. */
export interface RecordedRun {
  /** The record file of the fixture actors. */
  record: string;
  /** The ids that must have run to the end (the confirmed sends). */
  ids: Iterable<string>;
  /** Sends attempted. */
  sent: number;
  /** Sends confirmed. */
  confirmed: number;
  /** Messages in the `.XQ`. */
  deadLettered: number;
  /** Dead letters expected (malformed bodies). @default 0 */
  expectedDeadLetters?: number;
  /** True when no message may run twice; false for at-least-once. */
  exactlyOnce: boolean;
}

/**
 * Puts the counts of the record file in `tally` and checks that no confirmed message was lost,
 * that the `.XQ` holds only the expected dead letters, and, when `exactlyOnce`, that no message
 * ran twice. Returns the summary, for the scenario's own checks.
 */
export function tallyRecords(tally: Tally, run: RecordedRun): Summary {
  const summary = summarize(readRecords(run.record), run.ids);
  const expectedDeadLetters = run.expectedDeadLetters ?? 0;
  tally.sent = run.sent;
  tally.confirmed = run.confirmed;
  tally.processed = summary.processed;
  tally.duplicates = summary.duplicates;
  tally.lost = summary.lost.length;
  tally.deadLettered = run.deadLettered;
  tally.check(
    summary.lost.length === 0,
    `${summary.lost.length} confirmed message(s) lost: ${summary.lost.slice(0, 3).join(", ")}`,
  );
  tally.check(
    run.deadLettered === expectedDeadLetters,
    `${run.deadLettered} message(s) dead-lettered${expectedDeadLetters === 0 ? "" : `, expected ${expectedDeadLetters}`}`,
  );
  if (run.exactlyOnce) {
    tally.check(summary.duplicates === 0, `${summary.duplicates} message(s) run twice`);
  }
  return summary;
}

/** {@link tallyRecords} for the messages of a {@link Producer}: its sends, and its confirmed ids. */
export function tallyProduced(
  tally: Tally,
  producer: Producer,
  run: Omit<RecordedRun, "ids" | "sent" | "confirmed">,
): Summary {
  return tallyRecords(tally, {
    ...run,
    ids: producer.confirmed.keys(),
    sent: producer.sent,
    confirmed: producer.confirmed.size,
  });
}

/**
 * The clean-up of a scenario's `finally`: kills the workers still running, closes the producer's
 * broker, deletes the scenario's queues and notes what could not be deleted.
 */
export async function cleanUp(
  tally: Tally,
  admin: Admin,
  broker?: { close(): Promise<void> },
): Promise<void> {
  await killLeftovers();
  await broker?.close().catch(() => {});
  for (const problem of await admin.cleanup()) {
    tally.note(problem);
  }
}
