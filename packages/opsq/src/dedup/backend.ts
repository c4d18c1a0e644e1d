/**
 * Deduplication backends: who holds each `dedupKey`, and until when.
 *
 * @module
 */

/** The message holding a key. */
export interface DedupHolder {
  /** The id of the message that holds the key. */
  readonly messageId: string;
  /** True once that message succeeded (the key is then held for its TTL only). */
  readonly done: boolean;
}

/** Where deduplication keys are recorded. */
export interface DedupBackend {
  /**
   * Gives `key` to `messageId` for `holdMs` unless another message holds it (unexpired); the same
   * message may claim its key again (a retry, a re-publish). Returns the holder: `messageId`
   * itself when the claim succeeded, else the other message.
   */
  claim(key: string, messageId: string, holdMs: number): Promise<DedupHolder>;
  /** The unexpired holder of `key`, if any. */
  holder(key: string): Promise<DedupHolder | undefined>;
  /** Marks `messageId`'s success: it keeps `key` for `ttlMs` more (released at once when 0). */
  complete(key: string, messageId: string, ttlMs: number): Promise<void>;
  /** Releases `key` if `messageId` holds it (the message failed for good). */
  release(key: string, messageId: string): Promise<void>;
  /** Connects (and creates storage) now rather than on first use. */
  connect(): Promise<void>;
  /** Releases connections (a no-op for the memory backend). */
  close(): Promise<void>;
}
