/**
 * The middleware contract: Dramatiq's hook set in camelCase. Every hook is
 * optional, so an object literal is a valid middleware. `before*` hooks run in
 * registration order, `after*` hooks in reverse. A hook that throws a
 * {@link MiddlewareError} (e.g. `SkipMessage`) propagates; any other error is
 * logged and swallowed.
 *
 * @module
 */
import type { Actor } from "../actor.js";
import type { Broker } from "../broker.js";
import type { Message } from "../message.js";
import type { MessageProxy } from "../message-proxy.js";
import type { Worker } from "../worker.js";

/** How an attempt ended: a result, or the error it threw (or was aborted with). */
export interface Outcome {
  /** The handler's result when it succeeded. */
  result?: unknown;
  /** The error when it failed. */
  error?: Error;
}

type Hook<Args extends unknown[]> = (...args: Args) => void | Promise<void>;

/** A middleware: any subset of these hooks, plus the actor options it understands. */
export interface Middleware {
  /** Name used in logs. */
  readonly name?: string;
  /** Actor option names (camelCase) this middleware reads; `defineActor` rejects all others. */
  readonly actorOptions?: readonly string[];

  /** Before an actor is registered. */
  beforeDeclareActor?: Hook<[broker: Broker, actor: Actor]>;
  /** After an actor is registered. */
  afterDeclareActor?: Hook<[broker: Broker, actor: Actor]>;
  /** Before a queue is declared. */
  beforeDeclareQueue?: Hook<[broker: Broker, queueName: string]>;
  /** After a queue is declared. */
  afterDeclareQueue?: Hook<[broker: Broker, queueName: string]>;
  /** Before a message is published (`delayMs` is 0 when not delayed). */
  beforeEnqueue?: Hook<[broker: Broker, message: Message, delayMs: number]>;
  /** After a message is published and confirmed. */
  afterEnqueue?: Hook<[broker: Broker, message: Message, delayMs: number]>;
  /** Before a delayed message is held by the worker until its eta. */
  beforeDelayMessage?: Hook<[broker: Broker, message: MessageProxy]>;
  /** Before the actor runs; may throw `SkipMessage`. */
  beforeProcessMessage?: Hook<[broker: Broker, message: MessageProxy]>;
  /** After the actor ran, with its result or error. */
  afterProcessMessage?: Hook<[broker: Broker, message: MessageProxy, outcome: Outcome]>;
  /** After a `beforeProcessMessage` hook skipped the message. */
  afterSkipMessage?: Hook<[broker: Broker, message: MessageProxy]>;
  /** Before the delivery is acked. */
  beforeAck?: Hook<[broker: Broker, message: MessageProxy]>;
  /** After the delivery is acked. */
  afterAck?: Hook<[broker: Broker, message: MessageProxy]>;
  /** Before the delivery is nacked (dead-lettered). */
  beforeNack?: Hook<[broker: Broker, message: MessageProxy]>;
  /** After the delivery is nacked (dead-lettered). */
  afterNack?: Hook<[broker: Broker, message: MessageProxy]>;
  /** Before a worker starts consuming. */
  beforeWorkerBoot?: Hook<[broker: Broker, worker: Worker]>;
  /** After a worker started consuming. */
  afterWorkerBoot?: Hook<[broker: Broker, worker: Worker]>;
  /** When a worker starts to shut down, before it waits for in-flight work. */
  beforeWorkerShutdown?: Hook<[broker: Broker, worker: Worker]>;
  /** After a worker shut down. */
  afterWorkerShutdown?: Hook<[broker: Broker, worker: Worker]>;
}

/** Names of the hooks that run in registration order. */
export type BeforeHook = Extract<keyof Middleware, `before${string}`>;
/** Names of the hooks that run in reverse registration order. */
export type AfterHook = Extract<keyof Middleware, `after${string}`>;
/** Arguments of a hook. */
export type HookArgs<K extends BeforeHook | AfterHook> = Parameters<NonNullable<Middleware[K]>>;
