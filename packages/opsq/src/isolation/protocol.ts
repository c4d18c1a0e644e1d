/**
 * What the parent and an isolated runner say to each other. Everything is
 * JSON-shaped: a child process's IPC channel carries JSON, and a thread gets
 * the same shapes so that both modes behave alike.
 *
 * @module
 */
import type { MessageDict } from "../message.js";
import type { SerializedError } from "./error-transfer.js";

/** Parent → runner: run one attempt. */
export interface RunRequest {
  readonly type: "run";
  /** Matches the reply to the request. */
  readonly id: number;
  /** The actor to look up in the runner. */
  readonly actorName: string;
  /** The handler's arguments, as the worker passes them (kwargs last when there are any). */
  readonly args: readonly unknown[];
  /** The message, so that `getContext()` works in the runner (absent outside a worker). */
  readonly message?: MessageDict;
  /** The delivery's redelivered flag. */
  readonly redelivered: boolean;
}

/**
 * Runner → parent: the handler returned (its result as JSON text, absent for `undefined`; or,
 * when JSON cannot hold it, why in `unencodable`).
 */
export interface DoneReply {
  readonly type: "done";
  readonly id: number;
  readonly json?: string;
  readonly unencodable?: { readonly name: string; readonly message: string };
}

/** Runner → parent: the handler threw (or the runner could not run it). */
export interface FailedReply {
  readonly type: "failed";
  readonly id: number;
  readonly error: SerializedError;
}

/** Runner (process mode) → parent: an uncaught error is about to end the runner. */
export interface CrashedReply {
  readonly type: "crashed";
  readonly error: SerializedError;
}

/** Anything a runner sends. */
export type RunnerReply = DoneReply | FailedReply | CrashedReply;
