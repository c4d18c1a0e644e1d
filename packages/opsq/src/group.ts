/**
 * Groups: messages run in parallel, whose results are collected together and
 * whose completion can trigger callbacks (Dramatiq's `group`).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { type Broker, getBroker } from "./broker.js";
import { OpsqError } from "./errors.js";
import type { Message } from "./message.js";
import { DEFAULT_RESULT_TIMEOUT_MS, type ResultBackend, type ResultOf } from "./results/backend.js";
import { resultBackendOf } from "./results/middleware.js";

/** Options of {@link group}. */
export interface GroupOptions {
  /** Broker to enqueue on. @default getBroker() */
  broker?: Broker;
  /** Backend for barriers and results. @default the backend of the broker's Results middleware */
  backend?: ResultBackend;
  /** How long the completion barrier lives (Dramatiq's `barrier_ttl`). @default 86400000 (1 day) */
  barrierTtlMs?: number;
}

/** Options of {@link Group.getResults} and {@link Group.waitFor}. */
export interface GroupWaitOptions {
  /** How long to wait for all results together. @default 10000 */
  timeoutMs?: number;
}

/** The results of a group's messages, in order, each typed from its actor. */
// biome-ignore lint/suspicious/noExplicitAny: any message
export type GroupResults<M extends readonly Message<any, any>[]> = {
  -readonly [K in keyof M]: ResultOf<M[K]>;
};

/** Messages run in parallel; see {@link group}. */
// biome-ignore lint/suspicious/noExplicitAny: any message
export class Group<M extends readonly Message<any, any>[]> {
  readonly #messages: Message[];
  readonly #callbacks: Message[] = [];
  readonly #options: GroupOptions;
  #groupId: string | undefined;

  /** Use {@link group}. */
  constructor(messages: M, options: GroupOptions = {}) {
    if (messages.length === 0) {
      throw new OpsqError("group() needs at least one message");
    }
    this.#messages = [...messages];
    this.#options = options;
  }

  /** The messages, as enqueued once `run()` resolved (with the group options set). */
  get messages(): readonly Message[] {
    return this.#messages;
  }

  /** The group id (`group_completion_uuid`) once run with completion callbacks. */
  get groupId(): string | undefined {
    return this.#groupId;
  }

  /** Adds a message enqueued once, when every message of the group has succeeded. Call before `run()`. */
  addCompletionCallback(message: Message): this {
    if (this.#groupId !== undefined) {
      throw new OpsqError("addCompletionCallback() must be called before run()");
    }
    this.#callbacks.push(message);
    return this;
  }

  /**
   * Enqueues every message. With completion callbacks, first creates the
   * group's barrier (a counter of the members left) in the backend, and sets
   * `group_completion_uuid` / `group_completion_callbacks` on each member.
   */
  async run(options: { delayMs?: number } = {}): Promise<this> {
    const broker = this.#options.broker ?? getBroker();
    if (this.#callbacks.length > 0) {
      const groupId = randomUUID();
      const backend = this.#options.backend ?? resultBackendOf(broker);
      await backend.createBarrier(groupId, this.#messages.length, this.#options.barrierTtlMs ?? 86_400_000);
      this.#groupId = groupId;
      const callbacks = this.#callbacks.map((callback) => callback.asDict());
      for (let i = 0; i < this.#messages.length; i++) {
        this.#messages[i] = this.#messages[i]!.withOptions({
          group_completion_uuid: groupId,
          group_completion_callbacks: callbacks,
        });
      }
    }
    const delayMs = options.delayMs ?? 0;
    for (let i = 0; i < this.#messages.length; i++) {
      this.#messages[i] = await broker.enqueue(this.#messages[i]!, { delayMs });
    }
    return this;
  }

  /**
   * Waits for every message's result, in order (each typed from its actor).
   *
   * @throws ResultFailure for the first member (in order) that failed
   * @throws ResultTimeout when not all finished within `timeoutMs`
   */
  async getResults(options: GroupWaitOptions = {}): Promise<GroupResults<M>> {
    const backend = this.#options.backend ?? resultBackendOf(this.#options.broker ?? getBroker());
    const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_RESULT_TIMEOUT_MS);
    const results: unknown[] = [];
    for (const message of this.#messages) {
      results.push(
        await backend.getResult(message, { block: true, timeoutMs: Math.max(0, deadline - Date.now()) }),
      );
    }
    return results as GroupResults<M>;
  }

  /** Waits until every message has a result; throws as {@link Group.getResults}. */
  async waitFor(options: GroupWaitOptions = {}): Promise<void> {
    await this.getResults(options);
  }
}

/**
 * Groups messages to run in parallel.
 *
 * @param messages built with `actor.message(...)` / `actor.messageWithOptions(...)`
 * @example
 * ```ts
 * const g = await group([add.message(1, 2), add.message(3, 4)]).addCompletionCallback(done.message()).run();
 * const [a, b] = await g.getResults({ timeoutMs: 10_000 }); // number, number
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: any message
export function group<const M extends readonly Message<any, any>[]>(
  messages: M,
  options: GroupOptions = {},
): Group<M> {
  return new Group(messages, options);
}
