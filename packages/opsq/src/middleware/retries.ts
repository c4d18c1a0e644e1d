/**
 * Retries: re-enqueues failed messages with exponential backoff, and
 * dead-letters them once their retries run out.
 *
 * @module
 */
import { computeBackoff } from "../backoff.js";
import type { Broker } from "../broker.js";
import { describeTraceback } from "../error-text.js";
import { isPermanentPublishFailure, Retry, toError, UnrecoverableError } from "../errors.js";
import type { MessageProxy } from "../message-proxy.js";
import { checkOptionValue } from "../message-validation.js";
import { actorNameOf, getOption } from "../options.js";
import type { Middleware, Outcome } from "./middleware.js";

/** Options of {@link Retries}: the defaults for actors and messages that set none. */
export interface RetriesOptions {
  /** Retries after the first attempt. @default 20 */
  maxRetries?: number;
  /** Smallest backoff. @default 15000 */
  minBackoffMs?: number;
  /** Largest backoff. @default 604800000 (7 days) */
  maxBackoffMs?: number;
  /** Uniform random source for the jitter. @default Math.random */
  random?: () => number;
}

/** Longest traceback kept in a retried message's options. */
const MAX_TRACEBACK_CHARS = 4_000;

/**
 * On failure: increments `options.retries`; while retries remain (or
 * `retryWhen(retries, error)` says so) re-enqueues a copy to the delay queue
 * with a backoff (or the delay of a thrown {@link Retry}) and lets the original
 * be acked; otherwise fails the message so it is dead-lettered, and sends
 * `(messageDict, { retries, max_retries })` to `onRetryExhausted` if set.
 * Errors listed in `throws`, and {@link UnrecoverableError}, fail at once.
 * A failure another middleware already handled (`proxy.handled`, as Cancellation does for a
 * cancelled attempt) is left alone: the message is acked.
 */
export class Retries implements Middleware {
  readonly name = "Retries";
  readonly actorOptions = [
    "maxRetries",
    "minBackoffMs",
    "maxBackoffMs",
    "retryWhen",
    "throws",
    "onRetryExhausted",
  ] as const;
  readonly #defaults: Required<RetriesOptions>;

  /** @param options defaults and the random source */
  constructor(options: RetriesOptions = {}) {
    this.#defaults = {
      maxRetries: options.maxRetries ?? 20,
      minBackoffMs: options.minBackoffMs ?? 15_000,
      maxBackoffMs: options.maxBackoffMs ?? 604_800_000,
      random: options.random ?? Math.random,
    };
    const names = [
      ["maxRetries", "max_retries"],
      ["minBackoffMs", "min_backoff"],
      ["maxBackoffMs", "max_backoff"],
    ] as const;
    for (const [name, wireKey] of names) {
      const problem = checkOptionValue(name, wireKey, this.#defaults[name]);
      if (problem !== undefined) {
        throw new RangeError(`Retries: ${problem}`);
      }
    }
  }

  // Not async: a success (the usual case) returns nothing to await.
  afterProcessMessage(broker: Broker, proxy: MessageProxy, outcome: Outcome): Promise<void> | undefined {
    // Failed, or handled, by another middleware already (a cancelled attempt, say): nothing to decide.
    if (outcome.error === undefined || proxy.failed || proxy.handled) {
      return undefined;
    }
    return this.#retryOrFail(broker, proxy, outcome.error);
  }

  async #retryOrFail(broker: Broker, proxy: MessageProxy, error: Error): Promise<void> {
    const { message } = proxy;
    const actorOptions = broker.actors.get(message.actorName)?.options;
    const throws = actorOptions?.throws ?? [];
    if (error instanceof UnrecoverableError || throws.some((kind) => error instanceof kind)) {
      proxy.logger.warn({ err: error }, "actor failed with an error that is not retried; dead-lettering");
      proxy.fail(error);
      return;
    }
    const retries = proxy.retries + 1;
    // As Dramatiq: the options are updated for this failure before deciding, so that the
    // callbacks (onRetryExhausted here, onFailure in Callbacks, which runs later) see them.
    proxy.updateOptions({
      retries,
      traceback: describeTraceback(error, MAX_TRACEBACK_CHARS),
      requeue_timestamp: Date.now(),
    });
    const retry = proxy.message;
    const maxRetries = getOption(message, actorOptions, "maxRetries", this.#defaults.maxRetries) as number;
    const retryWhen = actorOptions?.retryWhen;
    // As Dramatiq's retry_when(retries, exception): the retries so far, before this failure.
    const exhausted = retryWhen ? !retryWhen(retries - 1, error) : retries > maxRetries;
    if (exhausted) {
      proxy.logger.warn(
        { err: error, retries: retries - 1, maxRetries },
        "retries exhausted; dead-lettering",
      );
      proxy.fail(error);
      const target = actorNameOf(getOption(message, actorOptions, "onRetryExhausted"));
      if (target !== undefined) {
        await broker.getActor(target).send(retry.asDict(), { retries: retries - 1, max_retries: maxRetries });
      }
      return;
    }
    const delayMs =
      error instanceof Retry && error.delayMs !== undefined
        ? error.delayMs
        : computeBackoff(retries - 1, {
            minBackoffMs: getOption(
              message,
              actorOptions,
              "minBackoffMs",
              this.#defaults.minBackoffMs,
            ) as number,
            maxBackoffMs: getOption(
              message,
              actorOptions,
              "maxBackoffMs",
              this.#defaults.maxBackoffMs,
            ) as number,
            random: this.#defaults.random,
          });
    try {
      // The body came from the broker (plus a bounded traceback): a re-publish, not a new send.
      await broker.enqueue(retry, { delayMs, republish: true });
    } catch (enqueueError) {
      if (isPermanentPublishFailure(enqueueError)) {
        proxy.logger.error({ err: enqueueError }, "the broker refused the retry; dead-lettering instead");
        proxy.fail(toError(enqueueError));
      } else {
        proxy.logger.warn({ err: enqueueError }, "could not enqueue the retry; handing the message back");
        proxy.markHandled();
        proxy.handBack();
      }
      return;
    }
    proxy.logger.info({ err: error, retries, delayMs }, "attempt failed; retry scheduled");
    proxy.markHandled();
  }
}
