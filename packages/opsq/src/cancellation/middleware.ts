/**
 * Cancellation: messages cancelled by id (`cancel(messageId)`) are not run when they come up,
 * and running ones have their signal aborted with {@link MessageCancelled}.
 *
 * @module
 */
import type { Broker } from "../broker.js";
import { MessageCancelled, MiddlewareError, OpsqError, SkipMessage } from "../errors.js";
import { type Logger, redactUrl } from "../logger.js";
import type { MessageProxy } from "../message-proxy.js";
import type { Middleware, Outcome } from "../middleware/middleware.js";
import type { CancellationBackend, CancellationListener, CancellationSubscription } from "./backend.js";

/** Options of {@link Cancellation}. */
export interface CancellationOptions {
  /** Where cancels are recorded and announced (e.g. `PostgresCancellationBackend`). */
  backend: CancellationBackend;
  /**
   * How often a worker reads the backend for cancels whose announcement it missed (its
   * connection dropped): the longest a cancel can go unnoticed while the backend is reachable.
   * @default 2000
   */
  pollIntervalMs?: number;
  /**
   * Also ask the backend, before each message not already known to be cancelled, whether it
   * is (one query per message): a cancel acknowledged before the message starts then always
   * wins, even one not announced to this worker yet. @default false
   */
  strict?: boolean;
}

/** Expired cancels are dropped from a worker's memory at most this often. */
const PRUNE_INTERVAL_MS = 60_000;

/**
 * Keeps, in each worker process, the set of cancelled message ids (loaded when the worker
 * boots, then kept current by the backend's announcements, e.g. PostgreSQL NOTIFY, and a
 * read every `pollIntervalMs`), so checking a message costs one `Map` lookup, no I/O.
 *
 * - A message whose id is cancelled is not run when it comes up (queued, delayed until its
 *   eta, or a retry): it is acked and logged (`SkipMessage`; `Results` stores `MessageCancelled`).
 * - A running message whose cancel arrives has its signal aborted with {@link MessageCancelled};
 *   the worker settles the attempt at once, and the message is acked: never retried,
 *   dead-lettered, piped on or called back.
 *
 * Guarantee: a cancel is honoured by every worker from the moment it has heard of it — within
 * milliseconds through the announcement, at most `pollIntervalMs` after a missed one. A message
 * that started before that (or between a cancel and its announcement) has its signal aborted
 * then. With `strict`, a cancel stored before the message starts always keeps it from running.
 *
 * The backend must be reachable when a worker boots (it loads the cancels then); later
 * outages are logged, and cancels made meanwhile are caught up with when it is back.
 */
export class Cancellation implements Middleware {
  readonly name = "Cancellation";
  /** The cancellation backend. */
  readonly backend: CancellationBackend;
  readonly #pollIntervalMs: number;
  readonly #strict: boolean;
  // Cancelled id → when its cancel expires (Unix ms).
  readonly #cancelled = new Map<string, number>();
  readonly #running = new Set<MessageProxy>();
  readonly #listener: CancellationListener = {
    onCancel: (entries) => {
      if (entries === undefined) {
        this.#read().catch((error: unknown) => this.#readFailed(error));
      } else {
        this.#learn(entries);
      }
    },
    onSubscribe: () => {
      this.#resubscribe = false;
      this.#read().catch((error: unknown) => this.#readFailed(error));
    },
  };
  #logger: Logger | undefined;
  #workers = 0;
  #subscription: CancellationSubscription | undefined;
  #timer: NodeJS.Timeout | undefined;
  #cursor: number | undefined;
  #reading: Promise<void> | undefined;
  #readAgain = false;
  // A read failed: the backend's announcements may have stopped for good (postgres.js gives up LISTEN after a failed reconnect).
  #resubscribe = false;
  #failing = false;
  #lastPrune = 0;
  // The first load of the cancels while the worker boots; undefined once it succeeded.
  #booting: Promise<void> | undefined;

  /** @param options the backend, the poll interval and strictness */
  constructor(options: CancellationOptions) {
    this.backend = options.backend;
    this.#pollIntervalMs = options.pollIntervalMs ?? 2_000;
    this.#strict = options.strict ?? false;
    if (!Number.isSafeInteger(this.#pollIntervalMs) || this.#pollIntervalMs < 1) {
      throw new OpsqError(
        `Cancellation pollIntervalMs must be a whole number of milliseconds ≥ 1, got ${options.pollIntervalMs}`,
      );
    }
  }

  /** True when this process knows `messageId` is cancelled (its local view, no I/O). */
  hasCancelled(messageId: string): boolean {
    const expiresAt = this.#cancelled.get(messageId);
    return expiresAt !== undefined && expiresAt > Date.now();
  }

  /**
   * Starts subscribing and loading the unexpired cancels, while the worker connects to its
   * broker and starts its consumers (a message arriving meanwhile waits for the load).
   */
  beforeWorkerBoot(broker: Broker): void {
    if (this.#workers++ > 0) {
      return;
    }
    this.#logger = broker.logger.child({ middleware: this.name });
    const booting = this.#start();
    this.#booting = booting;
    booting.then(
      () => {
        if (this.#booting === booting) {
          this.#booting = undefined;
        }
      },
      () => {}, // kept in #booting: afterWorkerBoot rethrows it, so the worker does not start
    );
  }

  /** The worker is ready once the cancels are loaded: a failed load fails its start. */
  afterWorkerBoot(): Promise<void> | undefined {
    return this.#booting;
  }

  /** Stops listening once the last worker of the process stopped. */
  async afterWorkerShutdown(): Promise<void> {
    // Also called after a boot that failed (the count was given back then).
    if (this.#workers === 0 || --this.#workers > 0) {
      return;
    }
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#running.clear();
    const subscription = this.#subscription;
    this.#subscription = undefined;
    await subscription?.close();
  }

  /** Skips a cancelled message; tracks the others while they run. */
  beforeProcessMessage(_broker: Broker, proxy: MessageProxy): Promise<void> | undefined {
    const booting = this.#booting;
    if (booting !== undefined) {
      return booting.then(() => this.#admit(proxy));
    }
    return this.#admit(proxy);
  }

  #admit(proxy: MessageProxy): Promise<void> | undefined {
    if (this.hasCancelled(proxy.messageId)) {
      this.#skip(proxy);
    }
    // Tracked before any await, so an announcement arriving from now on aborts it.
    this.#running.add(proxy);
    return this.#strict ? this.#verify(proxy) : undefined;
  }

  /** Stops tracking the attempt (a cancelled one was marked handled when it was aborted). */
  afterProcessMessage(_broker: Broker, proxy: MessageProxy, outcome: Outcome): void {
    this.#running.delete(proxy);
    if (outcome.error instanceof MessageCancelled) {
      proxy.logger.info("message cancelled while running; acked, not retried");
    }
  }

  afterSkipMessage(_broker: Broker, proxy: MessageProxy): void {
    this.#running.delete(proxy);
  }

  async #start(): Promise<void> {
    try {
      this.#subscription = await this.backend.subscribe(this.#listener);
      // The subscription's start may have begun the first read already.
      await (this.#reading ?? this.#read());
    } catch (error) {
      this.#workers--;
      this.#failing = false;
      this.#resubscribe = false;
      const subscription = this.#subscription;
      this.#subscription = undefined;
      await subscription?.close().catch(() => {});
      const reason = reasonOf(error);
      throw new MiddlewareError(`cannot read cancelled messages from the cancellation backend: ${reason}`, {
        cause: error,
      });
    }
    this.#timer = setInterval(() => void this.#poll(), this.#pollIntervalMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    try {
      if (this.#resubscribe) {
        const stale = this.#subscription;
        this.#subscription = undefined;
        await stale?.close();
        const renewed = await this.backend.subscribe(this.#listener);
        if (this.#workers === 0) {
          await renewed.close(); // the worker stopped meanwhile
          return;
        }
        this.#subscription = renewed;
        this.#resubscribe = false;
      }
      await this.#read();
      if (this.#failing) {
        this.#failing = false;
        this.#logger?.info("cancellation backend reachable again");
      }
      this.#prune();
    } catch (error) {
      this.#readFailed(error);
    }
  }

  // One read at a time; a request during a read makes it read once more (the first may have missed it).
  #read(): Promise<void> {
    if (this.#reading !== undefined) {
      this.#readAgain = true;
      return this.#reading;
    }
    const reading = this.#readLoop().finally(() => {
      this.#reading = undefined;
    });
    this.#reading = reading;
    return reading;
  }

  async #readLoop(): Promise<void> {
    do {
      this.#readAgain = false;
      const { entries, cursor } = await this.backend.changes(this.#cursor);
      this.#cursor = cursor;
      this.#learn(entries);
    } while (this.#readAgain);
  }

  #readFailed(error: unknown): void {
    this.#resubscribe = true;
    if (!this.#failing) {
      this.#failing = true;
      this.#logger?.warn(
        { reason: reasonOf(error) },
        "cannot read the cancellation backend; cancels made meanwhile are caught up with when it is back",
      );
    }
  }

  #learn(entries: readonly { messageId: string; expiresAt: number }[]): void {
    const now = Date.now();
    for (const { messageId, expiresAt } of entries) {
      if (expiresAt > now && !((this.#cancelled.get(messageId) ?? 0) >= expiresAt)) {
        this.#cancelled.set(messageId, expiresAt);
      }
    }
    for (const proxy of this.#running) {
      if (this.hasCancelled(proxy.messageId)) {
        this.#running.delete(proxy);
        proxy.logger.info("message cancelled; aborting the attempt");
        // Handled before any after hook runs, whatever the middleware order: acked, never retried.
        proxy.markHandled();
        proxy.abort(new MessageCancelled(proxy.messageId));
      }
    }
  }

  async #verify(proxy: MessageProxy): Promise<void> {
    let cancelled: boolean;
    try {
      cancelled = await this.backend.isCancelled(proxy.messageId);
    } catch (error) {
      proxy.logger.warn(
        { reason: reasonOf(error) },
        "cannot ask the cancellation backend; running the message",
      );
      return;
    }
    if (cancelled) {
      this.#running.delete(proxy);
      this.#skip(proxy);
    }
  }

  #skip(proxy: MessageProxy): never {
    const cancelled = new MessageCancelled(proxy.messageId);
    proxy.logger.info("message cancelled; acked without running it");
    // The abort reason tells Results (afterSkipMessage) to store the cancellation as the outcome.
    proxy.abort(cancelled);
    throw new SkipMessage(cancelled.message);
  }

  #prune(): void {
    const now = Date.now();
    if (now - this.#lastPrune < PRUNE_INTERVAL_MS) {
      return;
    }
    this.#lastPrune = now;
    for (const [messageId, expiresAt] of this.#cancelled) {
      if (expiresAt <= now) {
        this.#cancelled.delete(messageId);
      }
    }
  }
}

function reasonOf(error: unknown): string {
  return redactUrl(error instanceof Error ? error.message : String(error));
}
