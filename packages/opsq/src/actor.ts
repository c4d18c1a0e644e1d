/**
 * Actors: a named handler bound to a queue and a broker. The same object sends
 * messages (producers) and runs them (workers), so `send()` is typed from the
 * handler's parameters.
 *
 * @module
 */
import { type Broker, getBroker } from "./broker.js";
import type { EnqueueManyOptions, EnqueueResult } from "./enqueue-result.js";
import { ActorDefinitionError } from "./errors.js";
import { isolate } from "./isolation/isolate.js";
import { attachIsolationLifecycle } from "./isolation/lifecycle.js";
import { type IsolationOptions, resolveIsolation } from "./isolation/options.js";
import { runnerHandlers } from "./isolation/runtime.js";
import { Message, type WireOptions } from "./message.js";
import { checkOptionValue } from "./message-validation.js";
import { type MessageOptions, type MiddlewareOptions, toWireKey, toWireOptions } from "./options.js";
import { DEFAULT_QUEUE, isValidName, qName } from "./queue-names.js";

/** An actor's handler: positional arguments in, a result (or a promise of one) out. */
export type Handler<A extends unknown[], R> = (...args: A) => R | PromiseLike<R>;

/**
 * The parameters of a handler without its last one (the piped result), e.g. `[x: number]`
 * for `(x: number, y: number) => …`; a rest parameter stays as it is.
 */
export type LeadingArgs<A extends unknown[]> = A extends [...infer Leading, unknown]
  ? Leading
  : A extends [...infer Leading, (infer _Last)?]
    ? Leading
    : A;

/** Options of {@link defineActor}: where the actor lives, plus middleware options. */
export interface ActorOptions extends MiddlewareOptions {
  /** The queue its messages go to. @default "default" */
  queue?: string;
  /** The broker to register on. @default getBroker() */
  broker?: Broker;
  /**
   * Dramatiq's actor `priority`: among the messages a worker holds in its prefetch buffer,
   * those of actors with a lower priority run first (a whole number; negative runs before the
   * default). Not RabbitMQ's message priority (the `brokerPriority` option). @default 0
   */
  priority?: number;
  /**
   * Run the handler in a worker thread or child process of its own, killed when the attempt is
   * aborted (time limit, worker shutdown, cancellation), so a handler that ignores its signal
   * (a CPU loop, a stuck call) cannot keep a worker slot. Arguments and results cross as JSON.
   * See docs/HARD-TIME-LIMITS.md.
   * @default none: the handler runs in the worker's event loop
   */
  isolation?: IsolationOptions;
}

/** Options of {@link Actor.sendWithOptions}: arguments, a delay and per-message options. */
export type SendOptions<A extends unknown[]> = MessageOptions & {
  /** Keyword arguments; the handler receives them as one extra trailing argument (see README). */
  kwargs?: Record<string, unknown>;
  /** Deliver no earlier than this many ms from now (through the `.DQ`). */
  delayMs?: number;
  /** Raw wire options, merged last (for options only Python middleware read). */
  wireOptions?: WireOptions;
} & ([] extends A ? { args?: A } : { args: A });

const CORE_OPTIONS = new Set(["queue", "broker"]);

/**
 * A named, typed unit of work.
 *
 * @typeParam A - positional argument types of the handler
 * @typeParam R - the handler's (awaited) result type
 */
export class Actor<A extends unknown[] = unknown[], R = unknown> {
  /** Name messages are routed by; unique per broker. */
  readonly name: string;
  /** Canonical queue of its messages. */
  readonly queueName: string;
  /** The broker it is registered on. */
  readonly broker: Broker;
  /**
   * Dramatiq's `priority`: among the messages a worker holds (its prefetch), lower runs first.
   * Not RabbitMQ's message priority (that is the `brokerPriority` message option). @default 0
   */
  readonly priority: number;
  /** Middleware options given at definition (camelCase). */
  readonly options: Readonly<MiddlewareOptions>;
  /** The handler the worker calls (for an isolated actor, one that runs it in a runner). */
  readonly fn: Handler<A, R>;
  readonly #handler: Handler<A, R>;

  /** Use {@link defineActor}. */
  constructor(name: string, fn: Handler<A, R>, options: ActorOptions = {}) {
    const {
      queue = DEFAULT_QUEUE,
      broker = getBroker(),
      isolation,
      priority = 0,
      ...middlewareOptions
    } = options;
    // Set inside an isolated runner, which imported the module to find this handler.
    const runner = runnerHandlers();
    if (!isValidName(name)) {
      throw new ActorDefinitionError(
        `invalid actor name "${name}": use letters, digits, "_", "." or "-", not starting with a digit, "." or "-"`,
      );
    }
    if (!isValidName(queue) || qName(queue) !== queue) {
      throw new ActorDefinitionError(
        `actor "${name}": invalid queue name "${queue}": use letters, digits, "_", "." or "-", not ending in .DQ or .XQ`,
      );
    }
    const accepted = broker.actorOptions;
    // A runner's broker may lack the parent's custom middleware; the parent checked the options.
    for (const key of runner === undefined ? Object.keys(middlewareOptions) : []) {
      if (!accepted.has(key) && !CORE_OPTIONS.has(key)) {
        throw new ActorDefinitionError(
          `actor "${name}": unknown option "${key}". Options accepted by this broker's middleware: ${[...accepted].sort().join(", ")}. Did you forget to add a middleware to the broker?`,
        );
      }
    }
    for (const [key, value] of Object.entries(middlewareOptions)) {
      const problem = checkOptionValue(key, toWireKey(key), value);
      if (problem !== undefined) {
        throw new ActorDefinitionError(`actor "${name}": ${problem}`);
      }
    }
    if (!Number.isSafeInteger(priority)) {
      throw new ActorDefinitionError(
        `actor "${name}": priority must be a whole number, got ${String(priority)}`,
      );
    }
    this.name = name;
    this.priority = priority;
    this.queueName = queue;
    this.broker = broker;
    this.options = middlewareOptions;
    this.#handler = fn;
    if (runner !== undefined) {
      runner.set(name, fn as (...args: unknown[]) => unknown);
      this.fn = fn;
    } else if (isolation !== undefined) {
      const resolved = resolveIsolation(name, isolation);
      this.fn = isolate(name, resolved, middlewareOptions.throws) as Handler<A, R>;
      attachIsolationLifecycle(broker);
    } else {
      this.fn = fn;
    }
    broker.declareActor(this as unknown as Actor);
  }

  /** Builds a message for this actor without sending it (for pipelines and groups). */
  message(...args: A): Message<A, R> {
    return new Message<A, R>({ queueName: this.queueName, actorName: this.name, args });
  }

  /**
   * Builds a pipeline step: a message with every argument but the last, which the
   * previous step's result fills in when the pipeline runs.
   *
   * @example pipeline([add.message(1, 2), add.pipeMessage(3)]) // add(1, 2), then add(3, 3)
   */
  pipeMessage(...args: LeadingArgs<A>): Message<A, R> {
    return new Message<A, R>({ queueName: this.queueName, actorName: this.name, args: args as unknown as A });
  }

  /**
   * Builds a message with options without sending it. As Dramatiq's `message_with_options`,
   * `delayMs` is kept as the wire option `delay`, which delays the message when it is a
   * pipeline's next step (a pipeline's first step takes its delay from `run({ delayMs })`).
   */
  messageWithOptions(options: SendOptions<A>): Message<A, R> {
    const { delayMs } = options;
    const message = this.#build(options);
    return delayMs === undefined ? message : message.withOptions({ delay: delayMs });
  }

  // The message of sendWithOptions, whose delay is the enqueue's, not an option (as Dramatiq).
  #build(options: SendOptions<A>): Message<A, R> {
    const { args, kwargs, delayMs: _delayMs, wireOptions, ...messageOptions } = options;
    let wire = toWireOptions(messageOptions);
    if (wireOptions !== undefined) {
      wire = { ...wire, ...wireOptions };
    }
    return new Message<A, R>({
      queueName: this.queueName,
      actorName: this.name,
      args: (args ?? []) as A,
      kwargs: kwargs ?? {},
      options: wire,
    });
  }

  /** Sends a message; resolves once the broker accepted it. */
  send(...args: A): Promise<Message<A, R>> {
    return this.broker.enqueue(this.message(...args));
  }

  /**
   * Sends one message per argument list in one burst, waiting once for all the confirms
   * (see {@link Broker.enqueueMany}). Never rejects for a message: the results, in input
   * order, tell which were published and which failed, with the error `send()` would give.
   *
   * @example
   * ```ts
   * const results = await add.sendMany([[1, 2], [3, 4]]);
   * for (const r of results) if (!r.ok) console.error(r.message.messageId, r.error.message);
   * ```
   */
  sendMany(
    argsList: readonly A[],
    options: EnqueueManyOptions = {},
  ): Promise<EnqueueResult<Message<A, R>>[]> {
    return this.broker.enqueueMany(
      argsList.map((args) => this.message(...args)),
      options,
    );
  }

  /** Sends a message with a delay or per-message options. */
  sendWithOptions(options: SendOptions<A>): Promise<Message<A, R>> {
    return this.broker.enqueue(this.#build(options), { delayMs: options.delayMs ?? 0 });
  }

  /** Calls the handler directly, in this process, even for an isolated actor (for tests). */
  async call(...args: A): Promise<R> {
    return await this.#handler(...args);
  }
}

/**
 * Defines an actor and registers it on its broker.
 *
 * @param name unique name on the broker, sent on the wire as `actor_name`
 * @param fn the handler; its parameter types type `send()`
 * @param options queue, broker and middleware options (e.g. `maxRetries`, `timeLimitMs`)
 * @throws ActorDefinitionError on a bad name, a duplicate or an unknown option
 * @example
 * ```ts
 * export const add = defineActor("add", (x: number, y: number) => x + y, { queue: "math", maxRetries: 3 });
 * await add.send(1, 2);
 * await add.sendWithOptions({ args: [1, 2], delayMs: 30_000 });
 * ```
 */
export function defineActor<A extends unknown[], R>(
  name: string,
  fn: Handler<A, R>,
  options: ActorOptions = {},
): Actor<A, Awaited<R>> {
  return new Actor<A, Awaited<R>>(name, fn as Handler<A, Awaited<R>>, options);
}
