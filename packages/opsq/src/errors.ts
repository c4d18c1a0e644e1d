/**
 * Every error opsq raises, in one module (as Dramatiq's `errors.py`).
 *
 * ```text
 * OpsqError
 * ├── BrokerError
 * │   ├── ActorNotFoundError
 * │   ├── QueueNotFoundError
 * │   ├── QueueJoinTimeoutError
 * │   ├── PublishError
 * │   │   └── MessageRefusedError  (permanent: publishing the same message again fails the same way)
 * │   ├── QueueRefusedError     (RabbitMQ refused to declare a queue)
 * │   │   └── InequivalentQueueError
 * │   └── ConnectionError
 * │       ├── ConnectionFailedError
 * │       └── ConnectionClosedError
 * ├── DecodeError
 * ├── MessageTooLargeError  (send refused: the encoded body exceeds maxMessageBytes)
 * ├── ActorDefinitionError
 * ├── MiddlewareError
 * │   ├── SkipMessage
 * │   └── DuplicateMessage  (send refused: a message with the same dedupKey is queued, running or within its TTL)
 * ├── Retry                 (control flow: retry with an optional delay)
 * ├── TimeLimitExceeded     (control flow: the attempt ran out of time)
 * ├── RateLimitExceeded     (control flow: a rate limiter's limit was reached; retried)
 * ├── Shutdown              (control flow: the worker is shutting down)
 * ├── MessageCancelled      (control flow: the message was cancelled; acked, never retried)
 * ├── UnrecoverableError    (fail at once, no retry)
 * ├── IsolationError        (an isolated handler's runner failed: import, crash, exit)
 * ├── CrashLimitExceeded    (the message killed its worker process too many times; dead-lettered)
 * ├── ResultEncodeError     (a result cannot be stored as JSON; stored as the message's failure)
 * └── ResultError           (reading a stored result)
 *     ├── ResultMissing     (no result stored (yet), or it expired)
 *     ├── ResultTimeout     (no result within the wait's timeout)
 *     └── ResultFailure     (the message failed: its error, re-thrown)
 * ```
 *
 * @module
 */

/** Base class of every error raised by opsq. */
export class OpsqError extends Error {
  override name = "OpsqError";
}

/** A problem talking to, or reported by, the message broker. */
export class BrokerError extends OpsqError {
  override name = "BrokerError";
}

/** A message names an actor that is not declared on this broker. */
export class ActorNotFoundError extends BrokerError {
  override name = "ActorNotFoundError";
  /** @param actorName the name that was looked up */
  constructor(readonly actorName: string) {
    super(`actor "${actorName}" is not declared on this broker (is the module that defines it loaded?)`);
  }
}

/** A queue was used that the broker does not know about. */
export class QueueNotFoundError extends BrokerError {
  override name = "QueueNotFoundError";
  /** @param queueName the name that was looked up */
  constructor(readonly queueName: string) {
    super(`queue "${queueName}" is not declared on this broker`);
  }
}

/** `join()` gave up before the queue drained. */
export class QueueJoinTimeoutError extends BrokerError {
  override name = "QueueJoinTimeoutError";
  /** @param queueName the queue being joined @param timeoutMs how long it waited */
  constructor(
    readonly queueName: string,
    readonly timeoutMs: number,
  ) {
    super(`queue "${queueName}" did not drain within ${timeoutMs} ms`);
  }
}

/**
 * The broker refused, returned or did not confirm a published message. A plain `PublishError`
 * is transient (a lost connection, a confirm timeout): the same message may go through later.
 */
export class PublishError extends BrokerError {
  override name = "PublishError";
}

/**
 * The broker refused this message for good: RabbitMQ nacked or returned it, refused to declare
 * its queue, or the message breaks a rule the broker checks before sending (a `broker_priority`
 * out of 0..255, an invalid queue name). Publishing the same message again would fail the same
 * way, so a message being re-published (a delayed message, a retry, a pipeline step) is
 * dead-lettered with this reason rather than handed back. Any other {@link BrokerError} is
 * transient.
 */
export class MessageRefusedError extends PublishError {
  override name = "MessageRefusedError";
}

/** RabbitMQ refused to declare a queue (a 406, a 403, a name it does not accept). */
export class QueueRefusedError extends BrokerError {
  override name = "QueueRefusedError";
}

/**
 * A queue exists with arguments different from the ones this broker declares
 * (RabbitMQ's `406 PRECONDITION_FAILED - inequivalent arg`).
 */
export class InequivalentQueueError extends QueueRefusedError {
  override name = "InequivalentQueueError";
}

/** The connection to the broker could not be made or was lost. */
export class ConnectionError extends BrokerError {
  override name = "ConnectionError";
}

/** The broker could not be reached. */
export class ConnectionFailedError extends ConnectionError {
  override name = "ConnectionFailedError";
}

/** The connection to the broker closed while it was in use. */
export class ConnectionClosedError extends ConnectionError {
  override name = "ConnectionClosedError";
}

/** A message body could not be decoded. Keeps the raw bytes and the reason. */
export class DecodeError extends OpsqError {
  override name = "DecodeError";
  /**
   * @param reason what is wrong with the body, in a few words
   * @param data the raw body as received
   */
  constructor(
    readonly reason: string,
    readonly data: Uint8Array,
    options?: ErrorOptions,
  ) {
    super(`cannot decode message: ${reason}`, options);
  }
}

/**
 * A message's encoded body is larger than the broker's `maxMessageBytes`: it was not published.
 * Raised by `send()` / `Broker.enqueue`, before anything reaches the transport.
 */
export class MessageTooLargeError extends OpsqError {
  override name = "MessageTooLargeError";
  /**
   * @param actorName the actor the message was for
   * @param size the encoded body's size, in bytes
   * @param limit the broker's `maxMessageBytes`
   */
  constructor(
    readonly actorName: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(
      `message for actor "${actorName}" is ${size} bytes, over the broker's limit of ${limit} bytes (maxMessageBytes); send a reference to the data (an id, a URL) instead of the data`,
    );
  }
}

/** An actor definition is invalid (bad name, duplicate, unknown option…). */
export class ActorDefinitionError extends OpsqError {
  override name = "ActorDefinitionError";
}

/** Base class of errors that middleware raise on purpose; they are not swallowed by the broker. */
export class MiddlewareError extends OpsqError {
  override name = "MiddlewareError";
}

/**
 * Raised by a `beforeProcessMessage` hook to skip a message without running its actor.
 * The message is acked unless the middleware also failed it.
 */
export class SkipMessage extends MiddlewareError {
  override name = "SkipMessage";
}

/**
 * Thrown by `send()` (the `Dedup` middleware's `beforeEnqueue`) when a message with the same
 * `dedupKey` is queued, delayed, running, or finished less than its `dedupTtlMs` ago: nothing was
 * published. `firstMessageId` is the message that holds the key.
 */
export class DuplicateMessage extends MiddlewareError {
  override name = "DuplicateMessage";
  /**
   * @param dedupKey the key
   * @param firstMessageId the id of the message that holds it
   */
  constructor(
    readonly dedupKey: string,
    readonly firstMessageId: string,
  ) {
    super(
      `a message with dedupKey ${JSON.stringify(dedupKey)} is already queued, running or recent: ${firstMessageId}`,
    );
  }
}

/** Thrown by an actor to ask for a retry, optionally after a given delay. */
export class Retry extends OpsqError {
  override name = "Retry";
  /** Delay before the retry, in milliseconds; the Retries backoff is used when unset. */
  readonly delayMs: number | undefined;
  /** @param options `delayMs` overrides the computed backoff */
  constructor(options: { delayMs?: number; message?: string } = {}) {
    super(options.message ?? "retry requested");
    this.delayMs = options.delayMs;
  }
}

/** The attempt exceeded its time limit; Retries treats it like any other failure. */
export class TimeLimitExceeded extends OpsqError {
  override name = "TimeLimitExceeded";
  /** @param timeLimitMs the limit that was exceeded */
  constructor(readonly timeLimitMs: number) {
    super(`time limit of ${timeLimitMs} ms exceeded`);
  }
}

/**
 * A rate limiter's limit was reached (`ConcurrentRateLimiter`, `WindowRateLimiter`). Like any
 * other failure, and as in Dramatiq, Retries retries the message with backoff: it is not an
 * {@link UnrecoverableError}.
 */
export class RateLimitExceeded extends OpsqError {
  override name = "RateLimitExceeded";
  /**
   * @param key the limiter's key
   * @param limit the limit that was reached
   * @param message what was exceeded, in words
   */
  constructor(
    readonly key: string,
    readonly limit: number,
    message = `rate limit of ${limit} reached for key ${JSON.stringify(key)}`,
  ) {
    super(message);
  }
}

/** The worker is shutting down; given to actors declared with `notifyShutdown`. */
export class Shutdown extends OpsqError {
  override name = "Shutdown";
  constructor() {
    super("the worker is shutting down");
  }
}

/**
 * The message was cancelled (see the `Cancellation` middleware): a running attempt's signal is
 * aborted with it. Not a failure of the actor: the message is acked, never retried nor
 * dead-lettered, and its `onFailure` callback is not sent.
 */
export class MessageCancelled extends OpsqError {
  override name = "MessageCancelled";
  /** @param messageId the cancelled message */
  constructor(readonly messageId: string) {
    super(`message ${messageId} was cancelled`);
  }
}

/** Thrown by an actor to fail the message at once, without retries. */
export class UnrecoverableError extends OpsqError {
  override name = "UnrecoverableError";
}

/**
 * An isolated actor's runner (worker thread or child process) could not run the attempt: the
 * module failed to import or does not define the actor, the runner died (exit, crash, out of
 * memory), or the result is not JSON. Retries treats it like any other failure.
 */
export class IsolationError extends OpsqError {
  override name = "IsolationError";
}

/**
 * The message was running each time its worker process died, `maxCrashes` times: the
 * `CrashLimit` middleware dead-letters it with this reason instead of running it again.
 */
export class CrashLimitExceeded extends OpsqError {
  override name = "CrashLimitExceeded";
  /** @param messageId the message @param deaths how many times its worker died running it */
  constructor(
    readonly messageId: string,
    readonly deaths: number,
  ) {
    super(
      `message ${messageId} was running each time its worker process died (${deaths} times, the maxCrashes limit); dead-lettered instead of run again`,
    );
  }
}

/**
 * An actor's result cannot be stored as JSON (a circular object, a `bigint`): the `Results`
 * middleware stores this as the message's failure instead, so `getResult` rejects at once.
 */
export class ResultEncodeError extends OpsqError {
  override name = "ResultEncodeError";
  /** @param actorName the actor that returned it @param reason why encoding failed */
  constructor(
    readonly actorName: string,
    readonly reason: string,
  ) {
    super(`the result of actor "${actorName}" cannot be stored as JSON: ${reason}`);
  }
}

/** Base class of the errors raised when reading a result (see the `Results` middleware). */
export class ResultError extends OpsqError {
  override name = "ResultError";
}

/** No result is stored for the message: it has not finished, did not store results, or the result expired. */
export class ResultMissing extends ResultError {
  override name = "ResultMissing";
  /** @param messageId the message whose result was read */
  constructor(readonly messageId: string) {
    super(
      `no result stored for message ${messageId}: it has not finished yet, its actor does not set storeResults, or the result expired (resultTtlMs)`,
    );
  }
}

/** Waiting for a result gave up before the message finished. */
export class ResultTimeout extends ResultError {
  override name = "ResultTimeout";
  /** @param messageId the message waited for @param timeoutMs how long it waited */
  constructor(
    readonly messageId: string,
    readonly timeoutMs: number,
  ) {
    super(`no result for message ${messageId} within ${timeoutMs} ms`);
  }
}

/** The message failed for good (retries exhausted, or not retried): its stored error, re-thrown. */
export class ResultFailure extends ResultError {
  override name = "ResultFailure";
  /**
   * @param messageId the message that failed
   * @param errorType the failure's error class name (e.g. `TypeError`, or a Python exception name)
   * @param errorMessage the failure's message
   */
  constructor(
    readonly messageId: string,
    readonly errorType: string,
    readonly errorMessage: string,
  ) {
    super(`message ${messageId} failed: ${errorType}: ${errorMessage}`);
  }
}

/**
 * True when re-publishing a message that failed with `error` would fail the same way: a
 * {@link MessageRefusedError}, a {@link QueueRefusedError}, or anything that is not a
 * {@link BrokerError} (a message too large, a middleware refusing it). False for a transient
 * broker problem (a lost connection, a confirm timeout), after which the delivery is handed back.
 */
export function isPermanentPublishFailure(error: unknown): boolean {
  return (
    error instanceof MessageRefusedError ||
    error instanceof QueueRefusedError ||
    !(error instanceof BrokerError)
  );
}

/** Turns anything thrown into an Error (a thrown string or object keeps its text). */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) {
    return thrown;
  }
  return new Error(describe(thrown), { cause: thrown });
}

// JSON where it can (objects keep their fields), else String(); never throws (circular objects, bigints).
function describe(thrown: unknown): string {
  if (typeof thrown === "string") {
    return thrown;
  }
  try {
    const json = JSON.stringify(thrown);
    if (json !== undefined) {
      return json;
    }
  } catch {
    // fall through
  }
  try {
    return String(thrown);
  } catch {
    return Object.prototype.toString.call(thrown);
  }
}
