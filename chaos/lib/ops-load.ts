/**
 * The shape shared by the ops-core scenarios: tasks submitted at a steady pace to
 * `opsq worker ops-core/actors`, a fault injected mid-load, then every stored task must end
 * `completed`, exactly once (one terminal transition in the audit table), with none left
 * `pending` or `running` and nothing dead-lettered.
 *
 * @module
 */
import { type OpsCoreBed, type OpsCoreBedOptions, openOpsCore } from "./ops-core.js";
import { errorText, type ScenarioOptions, type ScenarioResult, sleep, Tally, until } from "./scenario.js";
import { killLeftovers, type WorkerProcess } from "./worker.js";
import { checkSurvived, stopWorker } from "./wrap-up.js";

/** What a fault gets. */
export interface OpsFaultContext {
  readonly bed: OpsCoreBed;
  readonly tally: Tally;
  readonly round: number;
  worker: WorkerProcess;
  /** Starts a replacement worker and waits until it is ready. */
  restart(): Promise<WorkerProcess>;
}

/** Options of {@link runOpsCoreLoad}. */
export interface OpsLoadOptions {
  name: string;
  /** Tasks to submit. */
  tasks: number;
  /** Submissions in flight at once, and pause between batches. */
  batch: number;
  pauseMs: number;
  /** Fake LLM latency per task (the `[[delay:MS]]` directive). */
  llmDelayMs: number;
  concurrency: number;
  /** Worker environment on top of the defaults (retry policy). */
  env?: Record<string, string>;
  faults: number;
  faultEveryMs: number;
  fault(context: OpsFaultContext): Promise<void>;
  /** Whether the first worker must survive every fault. */
  workerMustSurvive: boolean;
  /** How long every task has to finish once submission ended. */
  drainTimeoutMs: number;
  /** Whether a failed submission is retried (during an outage of the database). */
  retrySubmissions: boolean;
  /**
   * What every task must end as: `completed` (and nothing dead-lettered), or just `terminal`
   * (completed or failed, dead letters allowed: a fault outlasting the retries). Either way,
   * none may stay `pending` or `running`, and each must end exactly once. @default "completed"
   */
  outcome?: "completed" | "terminal";
  /**
   * Also require that no task ran twice: one claim per task (`attempts` = 1) and one LLM request
   * per task. @default false
   */
  exactlyOnce?: boolean;
  /** At least this many submissions must have left their message in the outbox. @default 0 */
  minDeferred?: number;
  /** Options of the test bed (the producer's confirm timeout). */
  bed?: OpsCoreBedOptions;
}

/** Runs the load, the faults and the checks; always cleans up. */
export async function runOpsCoreLoad(
  options: ScenarioOptions,
  load: OpsLoadOptions,
): Promise<ScenarioResult> {
  const tally = new Tally();
  let bed: OpsCoreBed | undefined;
  try {
    bed = await openOpsCore(options, load.name, load.bed);
    const opened = bed;
    const first = await opened.startWorker({
      concurrency: load.concurrency,
      ...(load.env ? { env: load.env } : {}),
    });
    const restarted: WorkerProcess[] = [];
    const context: OpsFaultContext = {
      bed: opened,
      tally,
      round: 0,
      worker: first,
      restart: async () => {
        context.worker = await opened.startWorker({
          concurrency: load.concurrency,
          ...(load.env ? { env: load.env } : {}),
        });
        restarted.push(context.worker);
        return context.worker;
      },
    };
    const submitted: string[] = [];
    const failures = new Map<string, number>();
    let firstFailure = "";
    let slowestSubmitMs = 0;
    let sent = 0;
    let deferred = 0;
    const submitOne = async (i: number): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        sent++;
        const startedAt = Date.now();
        try {
          const task = await opened.submit(`[[delay:${load.llmDelayMs}]] chaos task ${i}`);
          slowestSubmitMs = Math.max(slowestSubmitMs, Date.now() - startedAt);
          submitted.push(task.taskId);
          if (task.delivery === "deferred") deferred++;
          return;
        } catch (error) {
          const kind = error instanceof Error ? error.constructor.name : "error";
          firstFailure ||= errorText(error);
          failures.set(kind, (failures.get(kind) ?? 0) + 1);
          if (!load.retrySubmissions || attempt >= 60) {
            return;
          }
          await sleep(250);
        }
      }
    };
    const submission = (async () => {
      for (let i = 0; i < load.tasks; i += load.batch) {
        await Promise.all(
          Array.from({ length: Math.min(load.batch, load.tasks - i) }, (_, k) => submitOne(i + k)),
        );
        await sleep(load.pauseMs);
      }
    })();
    let submitting = true;
    void submission.finally(() => {
      submitting = false;
    });
    const completed = async () => (await opened.statusCounts(submitted)).get("completed") ?? 0;
    await until(async () => submitted.length >= load.tasks / 5 || !submitting, 30_000, 100);
    for (let round = 1; round <= load.faults; round++) {
      await until(async () => (await completed()) > 0, 15_000, 100);
      (context as { round: number }).round = round;
      try {
        await load.fault(context);
      } catch (error) {
        tally.fail(`fault ${round} failed`, error);
        break;
      }
      options.log(`  fault ${round}/${load.faults} done`);
      if (round < load.faults) {
        await sleep(load.faultEveryMs);
      }
    }
    await submission;
    const ids = [...submitted];
    const finished = await until(
      async () => {
        const counts = await opened.statusCounts(ids).catch(() => new Map<string, number>());
        return (
          (counts.get("completed") ?? 0) + (counts.get("failed") ?? 0) + (counts.get("cancelled") ?? 0) ===
          ids.length
        );
      },
      load.drainTimeoutMs,
      250,
    );
    const counts = await opened.statusCounts(ids);
    const transitions = await opened.terminalTransitions(ids);
    const notOnce = ids.filter((id) => transitions.get(id) !== 1);
    const twice = ids.filter((id) => (transitions.get(id) ?? 0) > 1);
    const extra = await opened.extraAttempts(ids);
    const orphans = await opened.orphans(ids);
    const workers = [first, ...restarted];
    const transient = workers.reduce((sum, w) => sum + w.count("attempt failed; retry scheduled"), 0);
    const worker = context.worker;
    if (load.workerMustSurvive) {
      checkSurvived(tally, first, worker);
    }
    await stopWorker(tally, worker);
    tally.sent = sent;
    tally.confirmed = ids.length;
    tally.processed = ids.length - (counts.get("pending") ?? 0) - (counts.get("running") ?? 0);
    tally.lost = ids.length - tally.processed;
    tally.duplicates = twice.length;
    tally.deadLettered = await opened.admin.count(`${opened.queue}.XQ`);
    const statusText = [...counts].map(([status, n]) => `${status} ${n}`).join(", ");
    tally.check(finished, `not every task finished within ${load.drainTimeoutMs} ms (${statusText})`);
    const mustComplete = (load.outcome ?? "completed") === "completed";
    if (mustComplete) {
      tally.check(
        (counts.get("completed") ?? 0) === ids.length,
        `every task should be completed; statuses: ${statusText}`,
      );
    }
    tally.check((counts.get("running") ?? 0) === 0, `${counts.get("running")} task(s) stuck running`);
    tally.check((counts.get("pending") ?? 0) === 0, `${counts.get("pending")} task(s) stuck pending`);
    tally.check(
      notOnce.length === 0,
      `${notOnce.length} task(s) did not end exactly once (e.g. ${notOnce[0]}: ${transitions.get(notOnce[0]!) ?? 0} terminal transitions)`,
    );
    if (mustComplete) {
      tally.check(tally.deadLettered === 0, `${tally.deadLettered} message(s) dead-lettered`);
    } else {
      const reasons = await opened.failureReasons(ids);
      tally.note(
        `${tally.deadLettered} message(s) dead-lettered; failure reasons: ${[...reasons].map(([reason, n]) => `${n} × "${reason}"`).join("; ") || "none"}`,
      );
      const deferred = workers.reduce(
        (sum, w) => sum + w.count("task's final status written after the database came back"),
        0,
      );
      const reaped = workers.reduce(
        (sum, w) =>
          sum +
          w.count("stale running task requeued: its worker stopped sending heartbeats") +
          w.count("stale running task failed: no heartbeat and no attempts left"),
        0,
      );
      tally.note(
        `${deferred} final status(es) written in the background after the outage; ${reaped} task(s) reclaimed by the reaper`,
      );
    }
    tally.check(opened.fake.requests.length > 0, "the fake LLM saw no request");
    const relayed = workers.reduce((sum, w) => sum + w.count("outbox: task message sent"), 0);
    tally.note(
      `${deferred} submission(s) left their message in the outbox (RabbitMQ unreachable); ${relayed} message(s) sent by the workers' outbox relay; ${await opened.outboxRows()} outbox row(s) left`,
    );
    tally.check(deferred >= (load.minDeferred ?? 0), `only ${deferred} submission(s) deferred to the outbox`);
    if (load.exactlyOnce) {
      tally.check(extra === 0, `${extra} extra claim(s): some task ran twice`);
      const perTask = new Map<string, number>();
      for (const request of opened.fake.chatRequests()) {
        const goal = request.messages.find((message) => message.role === "user")?.content ?? "";
        perTask.set(String(goal), (perTask.get(String(goal)) ?? 0) + 1);
      }
      const repeated = [...perTask].filter(([, n]) => n !== 1);
      tally.check(
        perTask.size === ids.length && repeated.length === 0,
        `LLM requests per task should all be 1: ${perTask.size} task(s) asked, ${repeated.length} more than once (e.g. ${repeated[0]?.[0] ?? "-"})`,
      );
    }
    tally.note(
      `${ids.length} tasks: ${statusText}; terminal transitions per task (audit trigger): all exactly 1 = ${notOnce.length === 0}; ${extra} extra claim(s) after faults (tasks re-run from the start); ${transient} transient failure(s) retried by the workers`,
    );
    tally.note(
      `${[...failures].map(([k, n]) => `${k} ×${n}`).join(", ") || "no"} failed submission(s)${firstFailure ? ` (first: ${firstFailure.slice(0, 120)})` : ""}, each retried; slowest successful submission ${slowestSubmitMs} ms; ${orphans} task row(s) stored by a submission that reported an error (left pending, not enqueued)`,
    );
    tally.check(orphans === 0 || load.retrySubmissions, `${orphans} orphan task row(s)`);
  } catch (error) {
    tally.fail("scenario aborted", error);
  } finally {
    await killLeftovers();
    if (bed !== undefined) {
      for (const problem of await bed.close()) {
        tally.note(problem);
      }
    }
  }
  return tally.result();
}
