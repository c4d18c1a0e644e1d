/**
 * The worker: consumes queues and their delay queues, runs actors with bounded
 * concurrency, and acks or nacks each delivery once its attempt has settled.
 * It knows nothing of retries, time limits or pipelines: middleware do.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { Actor } from "./actor.js";
import type { Broker, Consumer, Delivery } from "./broker.js";
import { runWithContext } from "./context.js";
import { DeliveryBuffer } from "./delivery-buffer.js";
import { describeError, serializeError } from "./error-text.js";
import {
  ActorNotFoundError,
  DecodeError,
  isPermanentPublishFailure,
  OpsqError,
  QueueNotFoundError,
  Shutdown,
  SkipMessage,
  toError,
} from "./errors.js";
import { LinkedList } from "./linked-list.js";
import type { Logger } from "./logger.js";
import { Message } from "./message.js";
import { MessageProxy } from "./message-proxy.js";
import type { Outcome } from "./middleware/middleware.js";
import { dqName, isDelayQueue } from "./queue-names.js";

/** Options of {@link Worker}. */
export interface WorkerOptions {
  /** Canonical queues to consume (their `.DQ` too). @default every queue of the broker's actors */
  queues?: readonly string[];
  /** Most attempts running at once in this process. @default 8 */
  concurrency?: number;
  /** Unsettled deliveries each queue may hand out. @default 2 × concurrency */
  prefetch?: number;
  /** Unsettled deliveries each delay queue may hand out. @default min(1000 × concurrency, 65535) */
  delayPrefetch?: number;
  /** How long `stop()` waits for in-flight attempts before handing them back. @default 30000 */
  shutdownTimeoutMs?: number;
  /**
   * Longest a delayed message is held unacked; a message due later is
   * re-published to the delay queue and acked after this long, so holding it
   * never trips RabbitMQ's `consumer_timeout` (30 min by default).
   * @default 900000 (15 min)
   */
  maxHoldMs?: number;
  /**
   * Most body bytes of delayed messages held in memory at once; above it the worker stops
   * taking delayed messages (cancels its `.DQ` consumers) until what it holds falls to half,
   * so large delayed messages cannot exhaust memory. One message is always held, whatever its size.
   * @default 67108864 (64 MiB)
   */
  maxHeldBytes?: number;
  /** @default the broker's logger */
  logger?: Logger;
}

/** Counters of a worker, since it started. */
export interface WorkerStats {
  /** Attempts that ended with an ack. */
  acked: number;
  /** Deliveries dead-lettered (failed attempts, bad bodies, unknown actors). */
  nacked: number;
  /** Attempts running now. */
  running: number;
  /** Decoded deliveries waiting for a free slot. */
  buffered: number;
  /** Delayed deliveries held until their eta. */
  delayed: number;
  /** Body bytes of the delayed deliveries held. */
  heldBytes: number;
}

interface Task {
  readonly delivery: Delivery;
  readonly proxy: MessageProxy;
  abandoned: boolean;
}

const noop = (): void => {};

/** Consumes queues and runs their actors. */
export class Worker {
  /** The broker it consumes from. */
  readonly broker: Broker;
  /** A unique id for logs and for middleware that need one. */
  readonly id = randomUUID();
  readonly #logger: Logger;
  readonly #queues: readonly string[];
  readonly #concurrency: number;
  readonly #prefetch: number;
  readonly #delayPrefetch: number;
  readonly #shutdownTimeoutMs: number;
  readonly #maxHoldMs: number;
  readonly #maxHeldBytes: number;
  readonly #consumers: Consumer[] = [];
  /** The `.DQ` consumers by queue, absent while paused because held messages exceed `maxHeldBytes`. */
  readonly #delayConsumers = new Map<string, Consumer>();
  #heldBytes = 0;
  #delayPaused = false;
  readonly #buffer = new DeliveryBuffer<{ delivery: Delivery; message: Message }>();
  readonly #inFlight = new LinkedList<Task>();
  readonly #delayed = new Map<Delivery, NodeJS.Timeout>();
  readonly #idleWaiters: (() => void)[] = [];
  #acked = 0;
  #nacked = 0;
  #state: "new" | "running" | "stopping" | "stopped" = "new";
  #stopped: Promise<void> | undefined;
  // True until start() resolves: deliveries wait in the buffer, so none runs before the worker is ready.
  #booting = true;

  /** @param broker where to consume @param options queues, concurrency and timeouts */
  constructor(broker: Broker, options: WorkerOptions = {}) {
    this.broker = broker;
    // Its own err serializer: a log line about an error whose getters throw must not throw.
    this.#logger = (options.logger ?? broker.logger).child(
      { worker: this.id.slice(0, 8) },
      { serializers: { err: serializeError } },
    );
    this.#queues = options.queues ?? [...broker.queues];
    this.#concurrency = options.concurrency ?? 8;
    this.#prefetch = options.prefetch ?? 2 * this.#concurrency;
    this.#delayPrefetch = options.delayPrefetch ?? Math.min(1000 * this.#concurrency, 65_535);
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000;
    this.#maxHoldMs = options.maxHoldMs ?? 900_000;
    this.#maxHeldBytes = options.maxHeldBytes ?? 64 * 1024 * 1024;
    if (!Number.isSafeInteger(this.#maxHoldMs) || this.#maxHoldMs < 1 || this.#maxHoldMs > 2 ** 31 - 1) {
      throw new RangeError(
        `maxHoldMs must be a whole number of ms from 1 to 2147483647, got ${options.maxHoldMs}`,
      );
    }
    if (!Number.isSafeInteger(this.#maxHeldBytes) || this.#maxHeldBytes < 1) {
      throw new RangeError(`maxHeldBytes must be a whole number of bytes ≥ 1, got ${options.maxHeldBytes}`);
    }
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1) {
      throw new RangeError(`concurrency must be a whole number ≥ 1, got ${options.concurrency}`);
    }
  }

  /** The canonical queues this worker consumes. */
  get queues(): readonly string[] {
    return this.#queues;
  }

  /** Most attempts running at once. */
  get concurrency(): number {
    return this.#concurrency;
  }

  /** Current counters. */
  get stats(): WorkerStats {
    return {
      acked: this.#acked,
      nacked: this.#nacked,
      running: this.#inFlight.size,
      buffered: this.#buffer.size,
      delayed: this.#delayed.size,
      heldBytes: this.#heldBytes,
    };
  }

  /**
   * Starts consuming every queue and its delay queue. Messages received meanwhile start only
   * after this resolves (and after the caller's next synchronous steps, e.g. a "ready" log line).
   */
  async start(): Promise<void> {
    if (this.#state !== "new") {
      throw new Error("a worker can only be started once");
    }
    for (const queue of this.#queues) {
      if (!this.broker.queues.has(queue)) {
        throw new QueueNotFoundError(queue);
      }
    }
    this.#state = "running";
    await this.broker.emitBefore("beforeWorkerBoot", this.broker, this);
    const onDelivery = (delivery: Delivery) => this.#onDelivery(delivery);
    for (const queue of this.#queues) {
      this.#consumers.push(await this.broker.consume(queue, { prefetch: this.#prefetch }, onDelivery));
      await this.#consumeDelayed(queue);
    }
    await this.broker.emitAfter("afterWorkerBoot", this.broker, this);
    this.#booting = false;
    // Deferred past the caller's continuation, so its "ready" comes before the first message runs.
    setImmediate(() => this.#pump());
  }

  /**
   * Stops consuming, lets in-flight attempts finish within `timeoutMs`, and hands
   * everything else back to the broker (buffered, delayed and overdue deliveries).
   */
  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#stopped ??= this.#shutdown(options.timeoutMs ?? this.#shutdownTimeoutMs);
    return this.#stopped;
  }

  /** Resolves when no attempt is running and none is waiting for a slot. */
  join(): Promise<void> {
    if (this.#isIdle()) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #shutdown(timeoutMs: number): Promise<void> {
    if (this.#state === "new") {
      this.#state = "stopped";
      return;
    }
    this.#state = "stopping";
    this.#logger.info({ inFlight: this.#inFlight.size, timeoutMs }, "worker stopping");
    // Cancel before the first await, so no delivery arrives while hooks run.
    const consumers = [...this.#consumers, ...this.#delayConsumers.values()];
    this.#delayConsumers.clear();
    const cancelled = Promise.allSettled(consumers.map((consumer) => consumer.cancel()));
    await this.broker.emitBefore("beforeWorkerShutdown", this.broker, this);
    await cancelled;
    for (const { delivery } of this.#buffer.clear()) {
      this.#handBack(delivery);
    }
    this.#notifyIfIdle();
    for (const [delivery, timer] of this.#delayed) {
      clearTimeout(timer);
      this.#handBack(delivery);
    }
    this.#delayed.clear();
    this.#heldBytes = 0;
    if (this.#inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      });
      const timeoutFirst = await Promise.race([this.join().then(() => false), timedOut]);
      clearTimeout(timer);
      if (timeoutFirst) {
        for (const task of this.#inFlight) {
          task.abandoned = true;
          this.#handBack(task.delivery);
          // The delivery is someone else's now: tell the handler to stop.
          task.proxy.abort(new Shutdown());
        }
        this.#logger.warn(
          { handedBack: this.#inFlight.size },
          "shutdown timeout reached; in-flight messages handed back",
        );
      }
    }
    this.#state = "stopped";
    await this.broker.emitAfter("afterWorkerShutdown", this.broker, this);
    this.#logger.info(this.stats, "worker stopped");
  }

  #onDelivery(delivery: Delivery): void {
    if (this.#state !== "running") {
      this.#handBack(delivery);
      return;
    }
    let message: Message;
    try {
      message = Message.decode(delivery.body, delivery.queueName);
    } catch (error) {
      const reason = error instanceof DecodeError ? error.reason : String(error);
      this.#logger.error({ queue: delivery.queueName, reason }, "undecodable message dead-lettered");
      this.#nack(delivery, toError(error));
      return;
    }
    if (isDelayQueue(delivery.queueName)) {
      this.#hold(delivery, message);
      return;
    }
    const eta = message.options.eta;
    if (typeof eta === "number" && eta > Date.now()) {
      // Due later, on the main queue (a producer's clock running ahead): park it in the .DQ
      // rather than hold it, which would fill the prefetch and stall the queue.
      void this.#release(delivery, message, false);
      return;
    }
    // The actor's priority orders the buffer (lower first); unknown actors fail once they run.
    this.#buffer.push({ delivery, message }, this.broker.actors.get(message.actorName)?.priority ?? 0);
    this.#pump();
  }

  #pump(): void {
    // Once stopping, buffered deliveries are handed back, never started.
    while (
      this.#state === "running" &&
      !this.#booting &&
      this.#inFlight.size < this.#concurrency &&
      this.#buffer.size > 0
    ) {
      const next = this.#buffer.shift()!;
      // A delivery whose channel closed while it waited is back in the queue: running it would run it twice.
      if (!next.delivery.stale) {
        void this.#process(next.delivery, next.message);
      }
    }
  }

  async #process(delivery: Delivery, message: Message): Promise<void> {
    const proxy = new MessageProxy(message, delivery.redelivered, this.#logger, this.id);
    const task: Task = { delivery, proxy, abandoned: false };
    const node = this.#inFlight.push(task);
    try {
      const actor = this.broker.actors.get(message.actorName);
      if (actor === undefined) {
        const error = new ActorNotFoundError(message.actorName);
        proxy.logger.error({ err: error }, "message for an unknown actor dead-lettered");
        proxy.fail(error);
        return;
      }
      let outcome: Outcome | undefined;
      try {
        // Hot path: hooks that all ran synchronously return undefined, and nothing is awaited.
        const before = this.broker.emitBefore("beforeProcessMessage", this.broker, proxy);
        if (before !== undefined) {
          await before;
        }
      } catch (error) {
        if (error instanceof SkipMessage) {
          await this.broker.emitAfter("afterSkipMessage", this.broker, proxy);
          return;
        }
        // As in Dramatiq: a MiddlewareError fails the attempt, and the after hooks
        // (TimeLimit's clean-up, Retries' decision) still run.
        outcome = { error: toError(error) };
      }
      // A before hook may have failed the message without throwing: do not run it then.
      if (outcome === undefined) {
        if (proxy.failed) {
          outcome = { error: proxy.failReason ?? new OpsqError("failed by a middleware") };
        } else {
          const invoked = this.#invoke(actor, proxy);
          outcome = invoked instanceof Promise ? await invoked : invoked;
        }
      }
      if (task.abandoned) {
        // Handed back at the shutdown timeout: another delivery will run it, so no
        // retry, callback or pipeline step may come from this attempt.
        return;
      }
      const after = this.broker.emitAfter("afterProcessMessage", this.broker, proxy, outcome);
      if (after !== undefined) {
        await after;
      }
      if (outcome.error !== undefined && !proxy.handled) {
        proxy.fail(outcome.error);
      }
    } catch (error) {
      proxy.logger.error({ err: error }, "middleware failed while processing the message");
      proxy.fail(toError(error));
    } finally {
      this.#inFlight.remove(node);
      if (!task.abandoned) {
        const settling = this.#settle(delivery, proxy);
        if (settling !== undefined) {
          await settling;
        }
      }
      this.#pump();
      this.#notifyIfIdle();
    }
  }

  // A handler that returns no thenable gives its outcome synchronously.
  #invoke(actor: Actor, proxy: MessageProxy): Outcome | Promise<Outcome> {
    const { message } = proxy;
    const args = hasOwnKeys(message.kwargs) ? [...message.args, message.kwargs] : message.args;
    let pending: unknown;
    try {
      pending = runWithContext(proxy, () => actor.fn(...args));
    } catch (error) {
      return { error: toError(error) };
    }
    if (!isThenable(pending)) {
      return { result: pending };
    }
    return this.#awaitResult(pending, proxy);
  }

  async #awaitResult(pending: PromiseLike<unknown>, proxy: MessageProxy): Promise<Outcome> {
    // Adopt any PromiseLike (Handler allows them), so it is awaited and its rejection handled.
    const settled = Promise.resolve(pending);
    const aborted = new Promise<never>((_resolve, reject) => proxy.onAbort(reject));
    try {
      return { result: await Promise.race([settled, aborted]) };
    } catch (error) {
      return { error: toError(error) };
    } finally {
      settled.catch(noop);
      aborted.catch(noop);
    }
  }

  // Acks or nacks; returns a promise only when a hook did not run synchronously.
  #settle(delivery: Delivery, proxy: MessageProxy): Promise<void> | undefined {
    let pending: Promise<void> | undefined;
    try {
      if (proxy.handedBack && !proxy.failed) {
        this.#handBack(delivery);
      } else if (proxy.failed) {
        const before = this.broker.emitBefore("beforeNack", this.broker, proxy);
        pending =
          before === undefined
            ? this.#nackNow(delivery, proxy)
            : before.then(() => this.#nackNow(delivery, proxy));
      } else {
        const before = this.broker.emitBefore("beforeAck", this.broker, proxy);
        pending =
          before === undefined
            ? this.#ackNow(delivery, proxy)
            : before.then(() => this.#ackNow(delivery, proxy));
      }
    } catch (error) {
      this.#settleFailed(error);
      return undefined;
    }
    return pending?.catch((error: unknown) => this.#settleFailed(error));
  }

  #ackNow(delivery: Delivery, proxy: MessageProxy): Promise<void> | undefined {
    delivery.ack();
    this.#acked++;
    return this.broker.emitAfter("afterAck", this.broker, proxy);
  }

  #nackNow(delivery: Delivery, proxy: MessageProxy): Promise<void> | undefined {
    // Nack first: settling never depends on formatting the reason.
    this.#nack(delivery, proxy.failReason);
    try {
      proxy.logger.error({ err: proxy.failReason }, "message failed; dead-lettered");
    } catch (error) {
      this.#logger.error(
        { reason: describeError(proxy.failReason), logError: describeError(error) },
        "message failed; dead-lettered",
      );
    }
    return this.broker.emitAfter("afterNack", this.broker, proxy);
  }

  #settleFailed(error: unknown): void {
    this.#logger.warn({ err: error }, "could not settle the delivery; the broker will redeliver it");
  }

  #hold(delivery: Delivery, message: Message): void {
    const eta = message.options.eta;
    const waitMs = typeof eta === "number" ? eta - Date.now() : 0;
    if (waitMs <= 0) {
      void this.#release(delivery, message, true);
      return;
    }
    this.#heldBytes += delivery.body.length;
    if (this.#heldBytes > this.#maxHeldBytes) {
      this.#pauseDelayed();
    }
    const proxy = new MessageProxy(message, delivery.redelivered, this.#logger, this.id);
    void this.broker.emitBefore("beforeDelayMessage", this.broker, proxy)?.catch(noop);
    const due = waitMs <= this.#maxHoldMs;
    const timer = setTimeout(
      () => {
        this.#delayed.delete(delivery);
        this.#heldBytes -= delivery.body.length;
        this.#resumeDelayedIfRoom();
        void this.#release(delivery, message, due);
      },
      Math.min(waitMs, this.#maxHoldMs),
    );
    this.#delayed.set(delivery, timer);
  }

  // Publishes a due delayed message to its queue (or parks a later one in the .DQ), then acks the delivery.
  async #release(delivery: Delivery, message: Message, due: boolean): Promise<void> {
    if (delivery.stale) {
      return; // RabbitMQ put it back in its queue when its channel closed; another pass will move it
    }
    try {
      // A re-publish of a message RabbitMQ already took: the client-side size limit does not apply.
      const delayMs = due ? 0 : (message.options.eta as number) - Date.now();
      await this.broker.enqueue(message, { delayMs, republish: true });
      delivery.ack();
    } catch (error) {
      if (isPermanentPublishFailure(error)) {
        // Refused for good (a refused publish or declare, a returned message, a middleware
        // refusing it): handing it back would loop forever.
        this.#logger.error(
          { err: error, message_id: message.messageId, queue: delivery.queueName },
          "delayed message cannot be re-published; dead-lettered",
        );
        this.#nack(delivery, toError(error));
        return;
      }
      this.#logger.warn(
        { err: error, message_id: message.messageId },
        "could not move a delayed message; handing it back",
      );
      this.#handBack(delivery);
    }
  }

  async #consumeDelayed(queue: string): Promise<void> {
    const consumer = await this.broker.consume(
      dqName(queue),
      { prefetch: this.#delayPrefetch },
      (delivery: Delivery) => this.#onDelivery(delivery),
    );
    if (this.#state !== "running" || this.#delayPaused || this.#delayConsumers.has(queue)) {
      await consumer.cancel();
      return;
    }
    this.#delayConsumers.set(queue, consumer);
  }

  // Held delayed messages exceed maxHeldBytes: take no more until they fall to half.
  #pauseDelayed(): void {
    if (this.#delayPaused || this.#state !== "running") {
      return;
    }
    this.#delayPaused = true;
    this.#logger.warn(
      { heldBytes: this.#heldBytes, maxHeldBytes: this.#maxHeldBytes },
      "delayed messages held exceed maxHeldBytes; pausing the delay queues",
    );
    for (const consumer of this.#delayConsumers.values()) {
      void consumer.cancel().catch(noop);
    }
    this.#delayConsumers.clear();
  }

  #resumeDelayedIfRoom(): void {
    if (!this.#delayPaused || this.#state !== "running" || this.#heldBytes > this.#maxHeldBytes / 2) {
      return;
    }
    this.#delayPaused = false;
    this.#logger.info({ heldBytes: this.#heldBytes }, "resuming the delay queues");
    for (const queue of this.#queues) {
      this.#consumeDelayed(queue).catch((error: unknown) =>
        this.#logger.error({ err: error, queue: dqName(queue) }, "could not resume consuming a delay queue"),
      );
    }
  }

  #nack(delivery: Delivery, reason: Error | undefined): void {
    this.#nacked++;
    delivery.nack(reason === undefined ? undefined : readableReason(reason));
  }

  #handBack(delivery: Delivery): void {
    try {
      delivery.requeue();
    } catch (error) {
      this.#logger.debug({ err: error }, "could not hand a delivery back; the broker will redeliver it");
    }
  }

  #isIdle(): boolean {
    return this.#inFlight.size === 0 && this.#buffer.size === 0;
  }

  #notifyIfIdle(): void {
    if (this.#isIdle()) {
      for (const resolve of this.#idleWaiters.splice(0)) {
        resolve();
      }
    }
  }
}

// The reason itself when its name and message read as strings, else a stand-in that describes it.
function readableReason(reason: Error): Error {
  try {
    if (typeof reason.message === "string" && typeof reason.name === "string") {
      return reason;
    }
  } catch {
    // a getter threw
  }
  return new OpsqError(describeError(reason));
}

// Object.keys(value).length > 0 without building the array, on the hot path.
function hasOwnKeys(value: object): boolean {
  for (const key in value) {
    if (Object.hasOwn(value, key)) {
      return true;
    }
  }
  return false;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
