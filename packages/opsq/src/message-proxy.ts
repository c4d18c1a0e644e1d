/**
 * A message being processed by a worker, with its delivery state: what
 * middleware see in their process hooks and what an actor reaches through
 * `getContext()`.
 *
 * @module
 */
import type { Logger } from "./logger.js";
import type { Message, WireOptions } from "./message.js";

/** What an actor can reach while it runs (see `getContext()`). */
export interface ActorContext {
  /** The message being processed. */
  readonly message: Message;
  /** Shortcut for `message.messageId`. */
  readonly messageId: string;
  /** Keyword arguments of the message (from Python producers or `sendWithOptions({ kwargs })`). */
  readonly kwargs: Record<string, unknown>;
  /** Retries so far (0 on the first attempt). */
  readonly retries: number;
  /** True when RabbitMQ delivered this message before (a previous worker died or shut down). */
  readonly redelivered: boolean;
  /** Aborted when the attempt must stop: time limit, worker shutdown, cancellation. */
  readonly signal: AbortSignal;
  /** A child logger with `message_id` and `actor`. */
  readonly logger: Logger;
}

/** A message in a worker's hands. */
export class MessageProxy implements ActorContext {
  /** Set by `fail()`: the delivery will be nacked (dead-lettered). */
  failed = false;
  /** Why the message failed, when it did. */
  failReason: Error | undefined;
  /** Set by `markHandled()`: a middleware took care of the failure; the delivery will be acked. */
  handled = false;
  /**
   * Set by `handBack()`: a middleware could not do its part for a transient reason (the broker
   * is unreachable); the delivery goes back to the queue to be run again, unless failed.
   */
  handedBack = false;
  // Created on first use: most attempts never look at their signal.
  #controller: AbortController | undefined;
  #abortReason: Error | undefined;
  #onAbort: ((reason: Error) => void) | undefined;
  readonly #parentLogger: Logger;
  #logger: Logger | undefined;
  #message: Message;

  /**
   * @param message the decoded message
   * @param redelivered the delivery's redelivered flag
   * @param logger the worker's logger; a child is made on first use
   * @param workerId the id of the worker processing it (`Worker.id`), when there is one
   */
  constructor(
    message: Message,
    readonly redelivered: boolean,
    logger: Logger,
    readonly workerId?: string,
  ) {
    this.#message = message;
    this.#parentLogger = logger;
  }

  /** The message in hand, with any options a middleware updated ({@link updateOptions}). */
  get message(): Message {
    return this.#message;
  }

  /**
   * Merges `options` into the message in hand, as Dramatiq's middleware update a message's
   * options in place: the after-hooks that run later (Callbacks) see them. The delivery itself
   * is unchanged: a nack dead-letters the bytes that were delivered.
   */
  updateOptions(options: WireOptions): void {
    this.#message = this.#message.withOptions(options);
  }

  get messageId(): string {
    return this.message.messageId;
  }

  get kwargs(): Record<string, unknown> {
    return this.message.kwargs;
  }

  get retries(): number {
    const retries = this.message.options.retries;
    return typeof retries === "number" ? retries : 0;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abortReason !== undefined) {
        this.#controller.abort(this.#abortReason);
      }
    }
    return this.#controller.signal;
  }

  /** Why the attempt was aborted, if it was. */
  get abortReason(): Error | undefined {
    return this.#abortReason;
  }

  get logger(): Logger {
    this.#logger ??= this.#parentLogger.child({
      message_id: this.message.messageId,
      actor: this.message.actorName,
    });
    return this.#logger;
  }

  /** Marks the message failed: it will be dead-lettered instead of acked. */
  fail(reason?: Error): void {
    this.failed = true;
    this.failReason ??= reason;
  }

  /** Tells the worker a middleware dealt with the failure (e.g. re-enqueued a retry), so it acks. */
  markHandled(): void {
    this.handled = true;
  }

  /**
   * Asks the worker to hand the delivery back to the queue instead of acking it: a middleware
   * could not publish what it had to (a retry, a pipeline's next step) for a transient reason.
   */
  handBack(): void {
    this.handedBack = true;
  }

  /**
   * Aborts the attempt: the signal fires with `reason`, and the worker settles the
   * attempt with that error at once, even if the handler ignores the signal.
   */
  abort(reason: Error): void {
    if (this.#abortReason !== undefined) {
      return;
    }
    this.#abortReason = reason;
    this.#controller?.abort(reason);
    this.#onAbort?.(reason);
  }

  /** Registers the worker's callback for `abort()` (one per attempt). */
  onAbort(callback: (reason: Error) => void): void {
    this.#onAbort = callback;
    if (this.#abortReason !== undefined) {
      callback(this.#abortReason);
    }
  }
}
