/**
 * Result backends: where the `Results` middleware keeps each message's result
 * (or final failure), and the group barriers of `group().addCompletionCallback()`.
 *
 * @module
 */

import { errorNameAndMessage } from "../error-text.js";
import { ResultFailure, ResultMissing, ResultTimeout } from "../errors.js";
import type { Message } from "../message.js";

/** The result type a message carries (from its actor's return type). */
// biome-ignore lint/suspicious/noExplicitAny: any argument tuple
export type ResultOf<M> = M extends Message<any, infer R> ? R : never;

/**
 * A stored failure, as Dramatiq's result backends store an exception:
 * `{ "__t": "exception", "type": "ValueError", "message": "..." }`.
 */
export interface StoredFailure {
  __t: "exception";
  type: string;
  message: string;
}

/** A value read from a backend: present (possibly `null`) or absent. */
export type Lookup = { found: true; value: unknown } | { found: false };

/** Options of {@link ResultBackend.getResult} and {@link getResult}. */
export interface GetResultOptions {
  /** Wait for the result instead of throwing `ResultMissing` when it is not there yet. @default false */
  block?: boolean;
  /** How long `block` waits before throwing `ResultTimeout`. @default 10000 */
  timeoutMs?: number;
}

/** Where results and group barriers are kept. */
export interface ResultBackend {
  /** Stores `value` (JSON) under `messageId` for `ttlMs`, replacing any earlier value. */
  store(messageId: string, value: unknown, ttlMs: number): Promise<void>;
  /** The stored, unexpired value of `messageId`. */
  get(messageId: string): Promise<Lookup>;
  /** Like `get`, waiting up to `timeoutMs` for a value to appear. */
  wait(messageId: string, timeoutMs: number): Promise<Lookup>;
  /** Reads a message's result: its value, or its failure re-thrown as `ResultFailure`. */
  getResult<R>(message: Message<readonly unknown[], R> | string, options?: GetResultOptions): Promise<R>;
  /** Creates a group barrier that is released after `count` successes. */
  createBarrier(groupId: string, count: number, ttlMs: number): Promise<void>;
  /**
   * Counts the success of group member `memberId` (its message id), once: a member
   * counted before (a redelivery) does not count again. Resolves `true` for the member
   * whose arrival released the barrier, again if that member is redelivered (so the
   * completion callbacks are enqueued at least once), and `false` otherwise (members
   * remain, another member released it, or the barrier is unknown or expired).
   */
  arriveAtBarrier(groupId: string, memberId: string): Promise<boolean>;
  /** Releases connections (a no-op for the memory backend). */
  close(): Promise<void>;
}

/** Default wait of `getResult({ block: true })`. */
export const DEFAULT_RESULT_TIMEOUT_MS = 10_000;

/** True for Dramatiq's stored-exception shape. */
export function isStoredFailure(value: unknown): value is StoredFailure {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { __t?: unknown }).__t === "exception" &&
    typeof (value as { type?: unknown }).type === "string"
  );
}

/** The stored form of an error. */
export function failureOf(error: Error): StoredFailure {
  return { __t: "exception", ...errorNameAndMessage(error) };
}

/**
 * Shared read logic of the backends: `getResult` on top of `get` / `wait`.
 * Subclasses implement storage; `wait` polls `get` unless overridden.
 */
export abstract class BaseResultBackend implements ResultBackend {
  abstract store(messageId: string, value: unknown, ttlMs: number): Promise<void>;
  abstract get(messageId: string): Promise<Lookup>;
  abstract createBarrier(groupId: string, count: number, ttlMs: number): Promise<void>;
  abstract arriveAtBarrier(groupId: string, memberId: string): Promise<boolean>;
  abstract close(): Promise<void>;

  /** Polls `get` with a growing interval (20 ms up to 500 ms) until found or `timeoutMs`. */
  async wait(messageId: string, timeoutMs: number): Promise<Lookup> {
    const deadline = Date.now() + timeoutMs;
    let intervalMs = 20;
    for (;;) {
      const lookup = await this.get(messageId);
      const left = deadline - Date.now();
      if (lookup.found || left <= 0) {
        return lookup;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, left)));
      intervalMs = Math.min(intervalMs * 2, 500);
    }
  }

  async getResult<R>(
    message: Message<readonly unknown[], R> | string,
    options: GetResultOptions = {},
  ): Promise<R> {
    const messageId = typeof message === "string" ? message : message.messageId;
    const timeoutMs = options.timeoutMs ?? DEFAULT_RESULT_TIMEOUT_MS;
    const lookup = options.block ? await this.wait(messageId, timeoutMs) : await this.get(messageId);
    if (!lookup.found) {
      throw options.block ? new ResultTimeout(messageId, timeoutMs) : new ResultMissing(messageId);
    }
    if (isStoredFailure(lookup.value)) {
      throw new ResultFailure(messageId, lookup.value.type, lookup.value.message);
    }
    return lookup.value as R;
  }
}
