/**
 * The broker: an actor registry, a middleware stack and the transport contract
 * that backends (RabbitMQ, the in-memory stub) implement.
 *
 * @module
 */
import type { Actor } from "./actor.js";
import type { EnqueueManyOptions, EnqueueResult } from "./enqueue-result.js";
import {
  ActorDefinitionError,
  ActorNotFoundError,
  MessageTooLargeError,
  MiddlewareError,
  OpsqError,
  toError,
} from "./errors.js";
import { getLogger, type Logger } from "./logger.js";
import type { Message } from "./message.js";
import { defaultMiddleware } from "./middleware/defaults.js";
import type { AfterHook, BeforeHook, HookArgs, Middleware } from "./middleware/middleware.js";
import { dqName, qName } from "./queue-names.js";

/** A message handed to a consumer; settle it exactly once. */
export interface Delivery {
  /** The queue it came from (`q` or `q.DQ`). */
  readonly queueName: string;
  /** The raw body. */
  readonly body: Uint8Array;
  /** True when the broker delivered it before. */
  readonly redelivered: boolean;
  /**
   * True once the delivery can no longer be settled (its channel closed): the
   * broker has already put it back in the queue, so it must not run here.
   */
  readonly stale: boolean;
  /** Removes it from the queue. */
  ack(): void;
  /** Dead-letters it to `q.XQ`; `reason` is kept by backends that can (the stub), logged by the worker. */
  nack(reason?: Error): void;
  /** Hands it back to the queue for another consumer. */
  requeue(): void;
}

/** A running subscription to a queue. */
export interface Consumer {
  /** Stops new deliveries; deliveries already handed out stay to be settled. */
  cancel(): Promise<void>;
}

/** Options of {@link Broker.consume}. */
export interface ConsumeOptions {
  /** How many unsettled deliveries the broker may hand out at once. */
  prefetch: number;
}

/** Options of {@link Broker.enqueue}. */
export interface EnqueueOptions {
  /** Publish to the delay queue, due this many ms from now. */
  delayMs?: number;
  /**
   * The message was received from the broker and is published again (a delayed message moved
   * when due, a retry): {@link Broker.maxMessageBytes}, a limit for new sends, is not applied,
   * since the broker already took this body. @default false
   */
  republish?: boolean;
}

/** Options of {@link Broker.join}. */
export interface JoinOptions {
  /** Give up after this long. @default no limit */
  timeoutMs?: number;
  /** Reject as soon as a message of the queue is dead-lettered (where the backend can tell). */
  failFast?: boolean;
}

/** Counts of messages in a queue family. */
export interface QueueCounts {
  /** Ready in `q`. */
  ready: number;
  /** In `q.DQ`. */
  delayed: number;
  /** In `q.XQ`. */
  deadLettered: number;
}

/** Options common to every broker. */
export interface BrokerOptions {
  /** The middleware stack. @default {@link defaultMiddleware}() */
  middleware?: Middleware[];
  /** Logger for the broker and the workers using it. @default the root logger */
  logger?: Logger;
  /**
   * Largest encoded message body `enqueue` (and so `send`) accepts, in bytes; a larger one is
   * refused with {@link MessageTooLargeError} before it reaches the transport. `Infinity` turns
   * the check off.
   *
   * The default, 16 MiB, is RabbitMQ 4's own `max_message_size`: beyond it RabbitMQ closes the
   * publishing channel, failing every other unconfirmed send on it, so refusing the message
   * here fails only the culprit, with a clear error. (RabbitMQ 3.x accepts up to 128 MiB, but
   * bodies that large hold the server's memory and stall the queue; pass a larger limit if needed.)
   * @default {@link DEFAULT_MAX_MESSAGE_BYTES} (16 MiB)
   */
  maxMessageBytes?: number;
}

/** The middleware that have one hook, in call order, with that hook's functions. */
interface HookList {
  readonly middleware: readonly Middleware[];
  readonly fns: readonly ((...args: unknown[]) => unknown)[];
}

/** Default {@link BrokerOptions.maxMessageBytes}: 16 MiB, RabbitMQ 4's default `max_message_size`. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * Base class of every broker. Subclasses implement the transport:
 * `publish`, `consume`, `join`, `flush`, `getQueueCounts` and `close`.
 */
export abstract class Broker {
  /** The middleware stack, in registration order. */
  readonly middleware: Middleware[];
  /** The broker's logger. */
  readonly logger: Logger;
  /** Largest encoded body `enqueue` accepts, in bytes (see {@link BrokerOptions.maxMessageBytes}). */
  readonly maxMessageBytes: number;
  readonly #actors = new Map<string, Actor>();
  readonly #queues = new Set<string>();
  #hookCache = new Map<string, HookList>();

  /** @param options middleware and logger */
  constructor(options: BrokerOptions = {}) {
    this.middleware = options.middleware ?? defaultMiddleware();
    this.logger = options.logger ?? getLogger();
    const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (
      maxMessageBytes !== Number.POSITIVE_INFINITY &&
      (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 1)
    ) {
      throw new RangeError(`maxMessageBytes must be a whole number ≥ 1 or Infinity, got ${maxMessageBytes}`);
    }
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Adds a middleware at the end of the stack (or before the first instance of `before`). */
  addMiddleware(
    middleware: Middleware,
    options: { before?: new (...args: never[]) => Middleware } = {},
  ): void {
    const index = options.before ? this.middleware.findIndex((m) => m instanceof options.before!) : -1;
    if (index >= 0) {
      this.middleware.splice(index, 0, middleware);
    } else {
      this.middleware.push(middleware);
    }
    this.#hookCache = new Map();
  }

  /** Every actor option name the middleware stack understands. */
  get actorOptions(): ReadonlySet<string> {
    return new Set(this.middleware.flatMap((m) => m.actorOptions ?? []));
  }

  /** Registered actors by name. */
  get actors(): ReadonlyMap<string, Actor> {
    return this.#actors;
  }

  /** Declared canonical queues. */
  get queues(): ReadonlySet<string> {
    return this.#queues;
  }

  /** Registers an actor and declares its queue. Throws when the name is taken. */
  declareActor(actor: Actor): void {
    if (this.#actors.has(actor.name)) {
      throw new ActorDefinitionError(
        `actor "${actor.name}" is already declared on this broker: actor names must be unique (rename one, or define it on another broker)`,
      );
    }
    this.#emitSync("beforeDeclareActor", this, actor);
    this.declareQueue(actor.queueName);
    this.#actors.set(actor.name, actor);
    this.#emitSync("afterDeclareActor", this, actor);
  }

  /** The actor registered under `name`. @throws ActorNotFoundError */
  getActor(name: string): Actor {
    const actor = this.#actors.get(name);
    if (actor === undefined) {
      throw new ActorNotFoundError(name);
    }
    return actor;
  }

  /** Declares a canonical queue (and so its `.DQ` and `.XQ`). Idempotent. */
  declareQueue(queueName: string): void {
    const name = qName(queueName);
    if (this.#queues.has(name)) {
      return;
    }
    this.#emitSync("beforeDeclareQueue", this, name);
    this.#queues.add(name);
    this.#emitSync("afterDeclareQueue", this, name);
  }

  /**
   * Publishes a message, to `q.DQ` with an `eta` when `delayMs` > 0. Resolves
   * once the backend has accepted it (RabbitMQ: confirmed) with the message as published.
   *
   * @throws MessageTooLargeError when the encoded body exceeds {@link Broker.maxMessageBytes}
   */
  async enqueue<M extends Message>(message: M, options: EnqueueOptions = {}): Promise<M> {
    const delayMs = options.delayMs ?? 0;
    const published = this.#toPublished(message, delayMs);
    // Hot path: hooks that all ran synchronously return undefined, and nothing is awaited.
    const before = this.emitBefore("beforeEnqueue", this, published, delayMs);
    if (before !== undefined) {
      await before;
    }
    await this.publish(published, this.#encode(published, options.republish === true));
    const after = this.emitAfter("afterEnqueue", this, published, delayMs);
    if (after !== undefined) {
      await after;
    }
    return published;
  }

  /**
   * Publishes many messages in one burst and waits once for all their confirms: each message
   * goes through exactly what {@link Broker.enqueue} does (its queue declared, the
   * `beforeEnqueue` and `afterEnqueue` hooks, the size check, a durable confirmed publish), but
   * the publishes are pipelined instead of one confirm round trip each. Never rejects for a
   * message: the results, one per input message in input order, tell which were published
   * (`ok: true`, with the message as published) and which were not (`ok: false`, with the
   * error `enqueue` would have rejected with). On RabbitMQ every message settles within the
   * broker's `confirmTimeoutMs`.
   *
   * @example
   * ```ts
   * const results = await broker.enqueueMany([add.message(1, 2), add.message(3, 4)]);
   * const failed = results.filter((r) => !r.ok);
   * ```
   */
  async enqueueMany<M extends Message>(
    messages: readonly M[],
    options: EnqueueManyOptions = {},
  ): Promise<EnqueueResult<M>[]> {
    const delayMs = options.delayMs ?? 0;
    const results: EnqueueResult<M>[] = new Array(messages.length);
    const published: M[] = new Array(messages.length);
    // 1. Prepare every message and run its before hooks; async hooks run side by side.
    const pendingBefore: Promise<void>[] = [];
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      try {
        published[i] = this.#toPublished(message, delayMs);
        const before = this.emitBefore("beforeEnqueue", this, published[i]!, delayMs);
        if (before !== undefined) {
          pendingBefore.push(
            before.catch((error: unknown) => {
              results[i] = { message: published[i]!, ok: false, error: toError(error) };
            }),
          );
        }
      } catch (error) {
        results[i] = { message: published[i] ?? message, ok: false, error: toError(error) };
      }
    }
    if (pendingBefore.length > 0) {
      await Promise.all(pendingBefore);
    }
    // 2. One burst: every publish is handed to the transport before any confirm is awaited.
    const confirms: Promise<void>[] = [];
    for (let i = 0; i < messages.length; i++) {
      if (results[i] !== undefined) {
        continue;
      }
      const message = published[i]!;
      let confirmed: Promise<void>;
      try {
        confirmed = this.publish(message, this.#encode(message, false));
      } catch (error) {
        confirmed = Promise.reject(error);
      }
      confirms.push(
        confirmed.then(
          () => {
            results[i] = { message, ok: true };
          },
          (error: unknown) => {
            results[i] = { message, ok: false, error: toError(error) };
          },
        ),
      );
    }
    // 3. One wait for every confirm (each bounded by the transport's own timeout).
    await Promise.all(confirms);
    // 4. The after hooks of those published, side by side when async.
    const pendingAfter: Promise<void>[] = [];
    for (let i = 0; i < messages.length; i++) {
      const result = results[i]!;
      if (!result.ok) {
        continue;
      }
      try {
        const after = this.emitAfter("afterEnqueue", this, result.message, delayMs);
        if (after !== undefined) {
          pendingAfter.push(
            after.catch((error: unknown) => {
              results[i] = { message: result.message, ok: false, error: toError(error) };
            }),
          );
        }
      } catch (error) {
        results[i] = { message: result.message, ok: false, error: toError(error) };
      }
    }
    if (pendingAfter.length > 0) {
      await Promise.all(pendingAfter);
    }
    return results;
  }

  // The message as published: to `q.DQ` with an `eta` when delayed, else to `q` without one.
  #toPublished<M extends Message>(message: M, delayMs: number): M {
    const queueName = qName(message.queueName);
    this.declareQueue(queueName);
    if (delayMs > 0) {
      return message.copy({
        queueName: dqName(queueName),
        options: { ...message.options, eta: Date.now() + Math.ceil(delayMs) },
      }) as M;
    }
    if (queueName !== message.queueName || message.options.eta !== undefined) {
      return message.withOptions({ eta: undefined }).copy({ queueName }) as M;
    }
    return message;
  }

  // The encoded body; @throws MessageTooLargeError past maxMessageBytes unless republished.
  #encode(message: Message, republish: boolean): Buffer {
    const body = message.encode();
    if (body.length > this.maxMessageBytes && !republish) {
      throw new MessageTooLargeError(message.actorName, body.length, this.maxMessageBytes);
    }
    return body;
  }

  /** Runs a `before*` hook on every middleware, in registration order. */
  emitBefore<K extends BeforeHook>(hook: K, ...args: HookArgs<K>): Promise<void> | undefined {
    return this.#emit(hook, this.#hooked(hook), args);
  }

  /** Runs an `after*` hook on every middleware, in reverse registration order. */
  emitAfter<K extends AfterHook>(hook: K, ...args: HookArgs<K>): Promise<void> | undefined {
    return this.#emit(hook, this.#hooked(hook, true), args);
  }

  /**
   * Connects to the transport, so that start-up fails early when it is unreachable.
   * Backends that connect lazily override it; the default does nothing.
   */
  async connect(): Promise<void> {}

  /** Publishes one message as it is (to `message.queueName`); `body` is `message.encode()`. */
  protected abstract publish(message: Message, body: Buffer): Promise<void>;

  /** Subscribes to a queue (`q` or `q.DQ`); `onDelivery` is called for each delivery. */
  abstract consume(
    queueName: string,
    options: ConsumeOptions,
    onDelivery: (delivery: Delivery) => void,
  ): Promise<Consumer>;

  /** Waits until `q` and `q.DQ` hold no message, ready or unacked. */
  abstract join(queueName: string, options?: JoinOptions): Promise<void>;

  /** Drops every message of `q`, `q.DQ` and `q.XQ`. */
  abstract flush(queueName: string): Promise<void>;

  /** Drops every message of every declared queue. */
  async flushAll(): Promise<void> {
    for (const queue of this.#queues) {
      await this.flush(queue);
    }
  }

  /** Message counts of a queue family. */
  abstract getQueueCounts(queueName: string): Promise<QueueCounts>;

  /** Closes connections; pending publishes fail. */
  abstract close(): Promise<void>;

  // The middleware with `hook`, and their hook functions looked up once: a lookup by the hook's
  // name on each call would see a different class at every step (a megamorphic load).
  #hooked(hook: string, reverse = false): HookList {
    let list = this.#hookCache.get(hook);
    if (list === undefined) {
      const middleware = this.middleware.filter((m) => typeof m[hook as keyof Middleware] === "function");
      if (reverse) {
        middleware.reverse();
      }
      list = {
        middleware,
        fns: middleware.map((m) => m[hook as keyof Middleware] as (...args: unknown[]) => unknown),
      };
      this.#hookCache.set(hook, list);
    }
    return list;
  }

  // Returns undefined when every hook ran synchronously, so the hot path awaits nothing.
  #emit(hook: string, list: HookList, args: unknown[], from = 0): Promise<void> | undefined {
    const { middleware, fns } = list;
    for (let i = from; i < fns.length; i++) {
      let pending: unknown;
      try {
        pending = fns[i]!.apply(middleware[i], args);
      } catch (error) {
        this.#hookFailed(hook, middleware[i]!, error);
        continue;
      }
      if (pending instanceof Promise) {
        return pending.then(
          () => this.#emit(hook, list, args, i + 1),
          (error: unknown) => {
            this.#hookFailed(hook, middleware[i]!, error);
            return this.#emit(hook, list, args, i + 1);
          },
        );
      }
    }
    return undefined;
  }

  #emitSync<K extends BeforeHook | AfterHook>(hook: K, ...args: HookArgs<K>): void {
    const list = this.#hooked(hook, hook.startsWith("after"));
    const pending = this.#emit(hook, list, args);
    pending?.catch((error: unknown) => this.logger.error({ err: error, hook }, "middleware hook failed"));
  }

  #hookFailed(hook: string, middleware: Middleware, error: unknown): void {
    if (error instanceof MiddlewareError) {
      throw error;
    }
    this.logger.error(
      { err: error, hook, middleware: middleware.name ?? middleware.constructor.name },
      "middleware hook failed; going on",
    );
  }
}

let globalBroker: Broker | undefined;
let brokerFactory: (() => Broker) | undefined;

/**
 * The global broker that `defineActor` uses when no `broker` option is given.
 * When none was set, the default factory builds one (RabbitMQ from `RABBITMQ_URL`).
 */
export function getBroker(): Broker {
  if (globalBroker === undefined) {
    if (brokerFactory === undefined) {
      throw new OpsqError(
        "no global broker: call setBroker(broker) before defining actors without a broker option",
      );
    }
    globalBroker = brokerFactory();
  }
  return globalBroker;
}

/** Sets the global broker. */
export function setBroker(broker: Broker): void {
  globalBroker = broker;
}

/** True when a global broker was set or built. */
export function hasBroker(): boolean {
  return globalBroker !== undefined;
}

/** Registers how the global broker is built when none was set (used by the RabbitMQ backend). */
export function setDefaultBrokerFactory(factory: () => Broker): void {
  brokerFactory = factory;
}
