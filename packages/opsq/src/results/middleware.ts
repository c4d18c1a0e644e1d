/**
 * Results: stores each message's final outcome in a {@link ResultBackend}, and
 * releases group completion callbacks.
 *
 * @module
 */
import { type Broker, getBroker } from "../broker.js";
import { describeError } from "../error-text.js";
import { MessageCancelled, OpsqError, ResultEncodeError } from "../errors.js";
import { Message } from "../message.js";
import type { MessageProxy } from "../message-proxy.js";
import type { Middleware, Outcome } from "../middleware/middleware.js";
import { getOption } from "../options.js";
import {
  DEFAULT_RESULT_TIMEOUT_MS,
  failureOf,
  type GetResultOptions,
  type ResultBackend,
} from "./backend.js";

/** Options of {@link Results}. */
export interface ResultsOptions {
  /** Where results (and group barriers) are kept. */
  backend: ResultBackend;
  /** Default of the `storeResults` actor option. @default false */
  storeResults?: boolean;
  /** Default of the `resultTtlMs` actor option. @default 600000 (10 min) */
  resultTtlMs?: number;
}

/**
 * For actors (or messages) with `storeResults`: after a success, stores the
 * result under the message id; after a final failure (retries exhausted, an
 * error that is not retried, a skipped-and-failed message) stores
 * `{ __t: "exception", type, message }`, which `getResult` re-throws as
 * `ResultFailure`. Attempts that will be retried store nothing.
 *
 * Also, for members of a `group()` with completion callbacks
 * (`group_completion_uuid` / `group_completion_callbacks`), counts each success
 * on the group's barrier in the backend (once per member, so a redelivered
 * member is not counted twice) and enqueues the callbacks when the last member
 * succeeds.
 */
export class Results implements Middleware {
  readonly name = "Results";
  readonly actorOptions = ["storeResults", "resultTtlMs"] as const;
  /** The result backend. */
  readonly backend: ResultBackend;
  readonly #storeResults: boolean;
  readonly #resultTtlMs: number;
  // Attempts whose failure is already stored, so beforeNack does not store it twice.
  readonly #storedFailures = new WeakSet<MessageProxy>();

  /** @param options the backend and the defaults */
  constructor(options: ResultsOptions) {
    this.backend = options.backend;
    this.#storeResults = options.storeResults ?? false;
    this.#resultTtlMs = options.resultTtlMs ?? 600_000;
  }

  // Not async: an actor that stores nothing and is in no group (the usual case) returns nothing to await.
  afterProcessMessage(broker: Broker, proxy: MessageProxy, outcome: Outcome): Promise<void> | undefined {
    const groupId = proxy.message.options.group_completion_uuid;
    const inGroup = outcome.error === undefined && typeof groupId === "string";
    const store = this.#lookup(broker, proxy);
    if (store === undefined && !inGroup) {
      return undefined;
    }
    return this.#afterProcess(broker, proxy, outcome, store, inGroup);
  }

  /**
   * A skipped message stores `null`, or its failure when a middleware failed it (as Dramatiq),
   * or `MessageCancelled` when it was cancelled.
   */
  afterSkipMessage(broker: Broker, proxy: MessageProxy): Promise<void> | undefined {
    const store = this.#lookup(broker, proxy);
    if (store === undefined) {
      return undefined;
    }
    if (proxy.failed) {
      return this.#storeFailure(proxy, proxy.failReason, store.ttlMs);
    }
    if (proxy.abortReason instanceof MessageCancelled) {
      return this.#storeFailure(proxy, proxy.abortReason, store.ttlMs);
    }
    return this.backend.store(proxy.messageId, null, store.ttlMs);
  }

  /** Catches final failures decided after this middleware's `afterProcessMessage` ran (e.g. by Retries). */
  beforeNack(broker: Broker, proxy: MessageProxy): Promise<void> | undefined {
    if (!proxy.failed || this.#storedFailures.has(proxy)) {
      return undefined;
    }
    const store = this.#lookup(broker, proxy);
    return store === undefined ? undefined : this.#storeFailure(proxy, proxy.failReason, store.ttlMs);
  }

  /** Reads a message's result from this middleware's backend (see {@link ResultBackend.getResult}). */
  getResult<R>(message: Message<readonly unknown[], R> | string, options?: GetResultOptions): Promise<R> {
    return this.backend.getResult(message, options);
  }

  async #afterProcess(
    broker: Broker,
    proxy: MessageProxy,
    outcome: Outcome,
    store: { ttlMs: number } | undefined,
    inGroup: boolean,
  ): Promise<void> {
    if (store !== undefined) {
      if (outcome.error === undefined) {
        await this.#storeResult(proxy, outcome.result ?? null, store.ttlMs);
      } else if (proxy.failed || outcome.error instanceof MessageCancelled) {
        // A cancelled message is acked, not failed: its cancellation is still its final outcome.
        await this.#storeFailure(proxy, outcome.error, store.ttlMs);
      }
    }
    if (inGroup) {
      await this.#countGroupMember(broker, proxy);
    }
  }

  // A result that cannot be encoded is never dropped: its encode failure is stored in its place.
  async #storeResult(proxy: MessageProxy, value: unknown, ttlMs: number): Promise<void> {
    try {
      await this.backend.store(proxy.messageId, value, ttlMs);
    } catch (error) {
      // Checked only once the store failed, so a storable result pays for one encoding, not two.
      const reason = encodeFailure(value);
      if (reason === undefined) {
        throw error; // the backend's own failure (unreachable, say): logged by the broker
      }
      const failure = new ResultEncodeError(proxy.message.actorName, reason);
      proxy.logger.error({ err: failure }, "result cannot be stored; its failure is stored instead");
      await this.#storeFailure(proxy, failure, ttlMs);
    }
  }

  async #countGroupMember(broker: Broker, proxy: MessageProxy): Promise<void> {
    const { group_completion_uuid: groupId, group_completion_callbacks: callbacks } = proxy.message.options;
    const released = await this.backend.arriveAtBarrier(groupId as string, proxy.messageId);
    if (!released || !Array.isArray(callbacks)) {
      return;
    }
    proxy.logger.debug({ group: groupId }, "group completed; enqueueing its completion callbacks");
    for (const callback of callbacks) {
      const message = Message.fromDict(callback);
      const delay = message.options.delay;
      await broker.enqueue(message, { delayMs: typeof delay === "number" ? delay : 0 });
    }
  }

  #storeFailure(proxy: MessageProxy, error: Error | undefined, ttlMs: number): Promise<void> {
    this.#storedFailures.add(proxy);
    return this.backend.store(
      proxy.messageId,
      failureOf(error ?? new OpsqError("the message failed")),
      ttlMs,
    );
  }

  #lookup(broker: Broker, proxy: MessageProxy): { ttlMs: number } | undefined {
    const actorOptions = broker.actors.get(proxy.message.actorName)?.options;
    if (!getOption(proxy.message, actorOptions, "storeResults", this.#storeResults)) {
      return undefined;
    }
    return { ttlMs: getOption(proxy.message, actorOptions, "resultTtlMs", this.#resultTtlMs) as number };
  }
}

// Why `value` cannot be encoded as JSON, or undefined when it can.
function encodeFailure(value: unknown): string | undefined {
  try {
    JSON.stringify(value);
    return undefined;
  } catch (error) {
    return describeError(error, 300);
  }
}

/** The backend of the broker's {@link Results} middleware; throws when it has none. */
export function resultBackendOf(broker: Broker = getBroker()): ResultBackend {
  const results = broker.middleware.find((m): m is Results => m instanceof Results);
  if (results === undefined) {
    throw new OpsqError(
      "this broker has no Results middleware: add one (broker.addMiddleware(new Results({ backend }))) or pass `backend`",
    );
  }
  return results.backend;
}

/** Options of {@link getResult}: a backend (default: the broker's Results middleware's) and the wait. */
export interface ReadResultOptions extends GetResultOptions {
  /** Backend to read from. @default the backend of `getBroker()`'s Results middleware */
  backend?: ResultBackend;
}

/**
 * Reads the result of a sent message, typed from its actor's return type.
 *
 * @throws ResultMissing when there is no result and `block` is false
 * @throws ResultTimeout when `block` waited `timeoutMs` in vain
 * @throws ResultFailure when the message failed for good (its error type and message)
 * @example
 * ```ts
 * const sent = await add.send(1, 2);
 * const sum: number = await getResult(sent, { block: true, timeoutMs: 5_000 });
 * ```
 */
export function getResult<R>(
  message: Message<readonly unknown[], R>,
  options: ReadResultOptions = {},
): Promise<R> {
  const { backend = resultBackendOf(), ...rest } = options;
  return backend.getResult(message, { timeoutMs: DEFAULT_RESULT_TIMEOUT_MS, ...rest });
}
