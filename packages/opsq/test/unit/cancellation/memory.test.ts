import { describe, expect, it } from "vitest";
import { checkMessageIds, DEFAULT_CANCEL_TTL_MS } from "../../../src/cancellation/backend.js";
import { MemoryCancellationBackend } from "../../../src/cancellation/memory.js";
import type { CancelledEntry } from "../../../src/index.js";

describe("MemoryCancellationBackend", () => {
  it("stores cancels for ttlMs, then forgets them", async () => {
    // Given a backend with a 1 s TTL on a clock the test moves
    let now = 5_000;
    const backend = new MemoryCancellationBackend({ ttlMs: 1_000, now: () => now });

    // When two ids are cancelled
    await backend.cancel(["a", "b", "a"]);

    // Then I expect them cancelled until the TTL passes
    expect(await backend.isCancelled("a")).toBe(true);
    expect(await backend.isCancelled("c")).toBe(false);
    now += 999;
    expect(await backend.isCancelled("b")).toBe(true);
    now += 1;
    expect(await backend.isCancelled("b")).toBe(false);
    expect((await backend.changes(undefined)).entries).toEqual([]);
  });

  it("returns the changes since a cursor, and everything without one", async () => {
    const backend = new MemoryCancellationBackend({ ttlMs: 1_000, now: () => 0 });
    await backend.cancel(["a"]);
    const first = await backend.changes(undefined);
    expect(first.entries).toEqual([{ messageId: "a", expiresAt: 1_000 }]);

    await backend.cancel(["b"]);
    const second = await backend.changes(first.cursor);
    expect(second.entries).toEqual([{ messageId: "b", expiresAt: 1_000 }]);
    expect((await backend.changes(second.cursor)).entries).toEqual([]);
    expect((await backend.changes(undefined)).entries.map((entry) => entry.messageId).sort()).toEqual([
      "a",
      "b",
    ]);
  });

  it("announces each cancel to subscribers before cancel() resolves, until they unsubscribe", async () => {
    const backend = new MemoryCancellationBackend({ ttlMs: 10, now: () => 100 });
    const heard: (readonly CancelledEntry[] | undefined)[] = [];
    let subscribed = 0;
    const subscription = await backend.subscribe({
      onCancel: (entries) => heard.push(entries),
      onSubscribe: () => subscribed++,
    });
    expect(subscribed).toBe(1);

    await backend.cancel(["x", "y"]);
    expect(heard).toEqual([
      [
        { messageId: "x", expiresAt: 110 },
        { messageId: "y", expiresAt: 110 },
      ],
    ]);

    await subscription.close();
    await backend.cancel(["z"]);
    expect(heard).toHaveLength(1);
  });

  it("ignores an empty list, and rejects bad ids and a bad TTL in one line", async () => {
    const backend = new MemoryCancellationBackend();
    expect(backend.ttlMs).toBe(DEFAULT_CANCEL_TTL_MS);
    await backend.cancel([]);
    expect((await backend.changes(undefined)).entries).toEqual([]);
    await expect(backend.cancel([42 as unknown as string])).rejects.toThrow(
      "invalid message id 42: expected a non-empty string of at most 255 characters",
    );
    await expect(backend.cancel(["x".repeat(256)])).rejects.toThrow("invalid message id");
    expect(() => new MemoryCancellationBackend({ ttlMs: 0 })).toThrow(
      "MemoryCancellationBackend ttlMs must be a whole number of milliseconds ≥ 1, got 0",
    );
    expect(() => checkMessageIds("abc" as unknown as string[])).toThrow(
      "cancel() needs an array of message ids",
    );
  });
});
