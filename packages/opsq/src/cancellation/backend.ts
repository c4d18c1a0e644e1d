/**
 * Cancellation backends: where cancelled message ids are recorded (for `ttlMs`), and how
 * workers hear of them (announcements as they happen, plus a catch-up read).
 *
 * @module
 */
import { OpsqError } from "../errors.js";

/** How long a cancel is kept by default: 7 days, the Retries default `maxBackoffMs`, so it outlives any retry delay. */
export const DEFAULT_CANCEL_TTL_MS = 604_800_000;

/** A cancelled message id and when its cancel expires (Unix ms). */
export interface CancelledEntry {
  /** The cancelled message's id. */
  readonly messageId: string;
  /** When the cancel is forgotten (Unix ms): a message of that id may run after this. */
  readonly expiresAt: number;
}

/** What {@link CancellationBackend.changes} returns. */
export interface CancellationChanges {
  /** Unexpired cancels recorded since the cursor given (all of them without a cursor); may repeat some. */
  readonly entries: readonly CancelledEntry[];
  /** Pass it to the next call to read only what came after (it may overlap, never miss). */
  readonly cursor: number;
}

/** Told of cancels as they are recorded, by {@link CancellationBackend.subscribe}. */
export interface CancellationListener {
  /**
   * Ids just cancelled; `undefined` when the announcement could not carry them (too many at
   * once): read them with {@link CancellationBackend.changes}.
   */
  onCancel(entries: readonly CancelledEntry[] | undefined): void;
  /**
   * The subscription (re)started: announcements made while it was down are lost, so read
   * {@link CancellationBackend.changes}. Called after the first start too.
   */
  onSubscribe?(): void;
}

/** An active subscription. */
export interface CancellationSubscription {
  /** Stops the announcements. */
  close(): Promise<void>;
}

/** Where cancelled message ids are recorded and announced. */
export interface CancellationBackend {
  /** How long a cancel is kept, in ms. */
  readonly ttlMs: number;
  /**
   * Records the ids as cancelled for `ttlMs` (again, if they already were) and announces them;
   * resolves once they are stored. An id no message has is harmless: it just expires.
   */
  cancel(messageIds: readonly string[]): Promise<void>;
  /** True when `messageId` has an unexpired cancel (a direct read). */
  isCancelled(messageId: string): Promise<boolean>;
  /** Unexpired cancels recorded since `cursor` (all of them when `undefined`), and the next cursor. */
  changes(cursor: number | undefined): Promise<CancellationChanges>;
  /** Calls `listener` for each cancel from now on, until the subscription is closed. */
  subscribe(listener: CancellationListener): Promise<CancellationSubscription>;
  /** Connects (and creates storage) now rather than on first use, so that a bad URL shows at start-up. */
  connect(): Promise<void>;
  /** Releases connections (a no-op for the memory backend). */
  close(): Promise<void>;
}

/** Longest message id accepted (Dramatiq's are 36-character UUIDs). */
const MAX_ID_LENGTH = 255;

/**
 * Checks the ids given to `cancel()` and removes duplicates.
 *
 * @throws OpsqError naming the first bad id
 */
export function checkMessageIds(messageIds: readonly unknown[]): string[] {
  if (!Array.isArray(messageIds)) {
    throw new OpsqError("cancel() needs an array of message ids");
  }
  for (const id of messageIds) {
    if (typeof id !== "string" || id.trim() === "" || id.length > MAX_ID_LENGTH) {
      throw new OpsqError(
        `invalid message id ${JSON.stringify(id) ?? String(id)}: expected a non-empty string of at most ${MAX_ID_LENGTH} characters`,
      );
    }
  }
  return [...new Set(messageIds as string[])];
}

/**
 * Checks a `ttlMs` option.
 *
 * @throws OpsqError when it is not a whole number of ms ≥ 1
 */
export function checkTtl(ttlMs: number | undefined, owner: string): number {
  const ttl = ttlMs ?? DEFAULT_CANCEL_TTL_MS;
  if (!Number.isSafeInteger(ttl) || ttl < 1) {
    throw new OpsqError(`${owner} ttlMs must be a whole number of milliseconds ≥ 1, got ${ttlMs}`);
  }
  return ttl;
}
