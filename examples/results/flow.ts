/**
 * What a producer does with results: send, wait for the value, read a stored failure, run a
 * group and wait for all its results. Shared by send.ts (on RabbitMQ) and the test (StubBroker).
 */
import { getResult, group, ResultFailure } from "opsq";
import { add, countWords, reportDone } from "./actors.js";

/** What the flow read back. */
export interface ResultsOutcome {
  /** `add(1, 2)`, read with `getResult`. */
  sum: number;
  /** The stored failure of `countWords("")`. */
  failure: string;
  /** The group's results, in the order of its members. */
  groupResults: [number, number, number];
  /** What the completion callback returned. */
  callbackResult: string;
}

/** Runs the flow; `timeoutMs` bounds each wait. */
export async function runResultsFlow(timeoutMs = 10_000): Promise<ResultsOutcome> {
  // 1. One message: send, then block until its result is stored (typed from the actor: number).
  const sent = await add.send(1, 2);
  const sum = await getResult(sent, { block: true, timeoutMs });

  // 2. A final failure is stored too; getResult re-throws it as ResultFailure.
  let failure = "none";
  try {
    await getResult(await countWords.send("   "), { block: true, timeoutMs });
  } catch (error) {
    if (!(error instanceof ResultFailure)) throw error;
    failure = `${error.errorType}: ${error.errorMessage}`;
  }

  // 3. A group: members run in parallel; the callback is enqueued once all have succeeded.
  const callback = reportDone.message("3 members");
  const g = await group([add.message(1, 1), add.message(2, 2), countWords.message("three words here")])
    .addCompletionCallback(callback)
    .run();
  const groupResults = await g.getResults({ timeoutMs });
  const callbackResult = await getResult(callback, { block: true, timeoutMs });

  return { sum, failure, groupResults, callbackResult };
}
