/**
 * The outbox relay: sends the task messages left in the `task_outbox` table — those whose
 * submitter could not reach RabbitMQ, or died before it could delete the row — so a task
 * submitted during a broker outage runs once RabbitMQ is back.
 *
 * Each pass takes batches of rows older than a grace (`OPS_CORE_OUTBOX_GRACE_MS`; younger rows
 * are still being published by their submitter) with `FOR UPDATE SKIP LOCKED`, publishes them
 * with confirms, and deletes only the rows RabbitMQ confirmed; many workers may relay at once
 * without publishing a row twice at the same time. A message sent twice anyway (the submitter's
 * confirm lost, then the relay's) is harmless: the claim guard acks a duplicate of a running
 * task, and a finished task is skipped. A message RabbitMQ refuses for good marks its task
 * `failed` through the task lifecycle, and its row is dropped.
 *
 * @module
 */
import { type Broker, ConnectionError, isPermanentPublishFailure, Message, type Middleware } from "opsq";
import { describeError } from "../describe-error.js";
import type { Logger } from "../logger.js";
import { failTask } from "../task-lifecycle.js";
import type { OutboxEntry, TaskStore } from "../task-store-interface.js";
import { PeriodicPass } from "./periodic-pass.js";

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  /** The worker's store (opened on first use). */
  store(): Promise<TaskStore>;
  /** Where the messages are published (the worker's broker). */
  broker: Pick<Broker, "enqueue">;
  /** Time between passes. */
  intervalMs: number;
  /** Only rows at least this old are relayed. */
  graceMs: number;
  /** Rows per batch (one transaction each). @default 100 */
  batchSize?: number;
  /** Most batches per pass, so a pass is bounded. @default 10 */
  maxBatches?: number;
  /**
   * Longest wait for one publish's confirm; a message not confirmed by then stays in the outbox
   * (if it was delivered after all, the next send is a harmless duplicate). Bounds how long the
   * batch's rows stay locked, and a worker's shutdown, during an outage. @default 5000
   */
  publishTimeoutMs?: number;
  /** Where sent, refused and unsendable messages are logged. */
  logger: Logger;
}

/** What one pass did. */
export interface RelayResult {
  /** Messages RabbitMQ confirmed (their rows deleted). */
  sent: number;
  /** Messages refused for good (their tasks failed, their rows deleted). */
  refused: number;
  /** Messages left for a later pass (RabbitMQ unreachable). */
  left: number;
}

/** Relays outbox rows periodically (one pass at a time) between `start` and `stop`. */
export class OutboxRelay {
  readonly #options: OutboxRelayOptions;
  readonly #periodic: PeriodicPass;
  #unreachable = false;

  /** @param options the store, the broker, the period and the grace */
  constructor(options: OutboxRelayOptions) {
    this.#options = options;
    this.#periodic = new PeriodicPass(
      () =>
        this.pass().catch((error: unknown) => {
          this.#options.logger.warn(
            { error: describeError(error) },
            "outbox relay pass failed; will try again",
          );
        }),
      options.intervalMs,
    );
  }

  /** Schedules a pass every `intervalMs` (the first one `intervalMs` from now). */
  start(): void {
    this.#periodic.start();
  }

  /** Stops scheduling passes and waits for the one under way, if any. */
  stop(): Promise<void> {
    return this.#periodic.stop();
  }

  /**
   * One pass: batches until one is not full, RabbitMQ is unreachable, or `maxBatches` is reached.
   *
   * @throws the store's error when the database is unreachable (nothing was deleted then)
   */
  async pass(): Promise<RelayResult> {
    const { batchSize = 100, maxBatches = 10 } = this.#options;
    const store = await this.#options.store();
    const result: RelayResult = { sent: 0, refused: 0, left: 0 };
    for (let batch = 0; batch < maxBatches; batch++) {
      const before = result.left;
      const refused: RefusedEntry[] = [];
      const { locked } = await store.relayMessages(
        { olderThanMs: this.#options.graceMs, limit: batchSize },
        (entries) => this.#publish(entries, result, refused),
      );
      // After the batch's transaction (an embedded database has one connection): the task is
      // failed first, then its row dropped, so a crash in between only fails it again later.
      for (const entry of refused) {
        const reason = `enqueue failed: ${entry.reason}`;
        await failTask(store, entry.taskId, reason);
        await store.deleteMessages([entry.id]);
        this.#options.logger.error(
          { taskId: entry.taskId, reason },
          "outbox: task message refused; task failed",
        );
      }
      if (locked < batchSize || result.left > before) break;
    }
    return result;
  }

  /** Publishes a batch concurrently; returns the ids RabbitMQ confirmed (their rows go). */
  async #publish(entries: OutboxEntry[], result: RelayResult, refused: RefusedEntry[]): Promise<number[]> {
    const { broker, logger, publishTimeoutMs = 5_000 } = this.#options;
    const stop = AbortSignal.timeout(publishTimeoutMs);
    const timedOut = new Promise<never>((_resolve, reject) => {
      stop.addEventListener("abort", () =>
        reject(new ConnectionError(`RabbitMQ did not confirm within ${publishTimeoutMs} ms`)),
      );
    });
    timedOut.catch(() => {});
    const outcomes = await Promise.allSettled(
      entries.map((entry) =>
        Promise.race([
          // Decoded inside the promise: a row that does not decode is refused like a refused message.
          Promise.resolve().then(() =>
            broker.enqueue(Message.decode(Buffer.from(entry.body, "utf8"), entry.queueName)),
          ),
          timedOut,
        ]),
      ),
    );
    const done: number[] = [];
    let unreachable: unknown;
    for (const [index, outcome] of outcomes.entries()) {
      const entry = entries[index]!;
      if (outcome.status === "fulfilled") {
        done.push(entry.id);
        result.sent++;
        logger.info({ taskId: entry.taskId, queue: entry.queueName }, "outbox: task message sent");
      } else if (isPermanentPublishFailure(outcome.reason)) {
        refused.push({ ...entry, reason: describeError(outcome.reason) });
        result.refused++;
      } else {
        unreachable = outcome.reason;
        result.left++;
      }
    }
    if (unreachable !== undefined && !this.#unreachable) {
      logger.warn(
        { error: describeError(unreachable), left: result.left },
        "outbox: RabbitMQ unreachable; task messages wait in the outbox",
      );
    }
    this.#unreachable = unreachable !== undefined;
    return done;
  }
}

/** An outbox row RabbitMQ refused, with the reason. */
type RefusedEntry = OutboxEntry & { reason: string };

/** A middleware running the relay between worker boot and shutdown. */
export function outboxRelayMiddleware(options: OutboxRelayOptions): Middleware {
  const relay = new OutboxRelay(options);
  return {
    name: "OpsCoreOutboxRelay",
    afterWorkerBoot: () => {
      if (options.intervalMs > 0) relay.start();
    },
    beforeWorkerShutdown: () => relay.stop(),
  };
}
