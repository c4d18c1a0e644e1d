import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { MemoryDedupBackend } from "../../../src/dedup/memory.js";
import { Dedup } from "../../../src/dedup/middleware.js";
import { DuplicateMessage, MessageTooLargeError } from "../../../src/errors.js";
import { Message } from "../../../src/message.js";
import { Retries } from "../../../src/middleware/retries.js";
import { deferred, quietLogger, workerPool } from "../helpers.js";

const pool = workerPool();
afterEach(() => pool.stopAll());

function dedupBroker(now: () => number = Date.now) {
  const backend = new MemoryDedupBackend({ now });
  const broker = new StubBroker({
    middleware: [new Dedup({ backend }), new Retries({ minBackoffMs: 1, maxBackoffMs: 2 })],
    logger: quietLogger(),
  });
  return { broker, backend };
}

describe("Dedup", () => {
  it("rejects a second send with the key while the first is queued, naming the first", async () => {
    const { broker } = dedupBroker();
    const actor = defineActor("job", () => "ok", { broker });
    const first = await actor.sendWithOptions({ dedupKey: "k" });
    const second = actor.sendWithOptions({ dedupKey: "k" });
    await expect(second).rejects.toBeInstanceOf(DuplicateMessage);
    await expect(second).rejects.toMatchObject({ dedupKey: "k", firstMessageId: first.messageId });
    expect((await broker.getQueueCounts("default")).ready).toBe(1);
    // another key, or none, goes through
    await actor.sendWithOptions({ dedupKey: "other" });
    await actor.send();
  });

  it("refuses the key while the first runs, then within its TTL; frees it after", async () => {
    let clock = 1_000_000;
    const { broker } = dedupBroker(() => clock);
    const started = deferred();
    const release = deferred();
    const actor = defineActor(
      "slow",
      async () => {
        started.resolve();
        await release.promise;
      },
      { broker },
    );
    await pool.start(broker);
    await actor.sendWithOptions({ dedupKey: "k", dedupTtlMs: 5_000 });
    await started.promise;
    await expect(actor.sendWithOptions({ dedupKey: "k" })).rejects.toBeInstanceOf(DuplicateMessage);
    release.resolve();
    await broker.join("default");
    clock += 4_999;
    await expect(actor.sendWithOptions({ dedupKey: "k" })).rejects.toBeInstanceOf(DuplicateMessage);
    clock += 1;
    await expect(actor.sendWithOptions({ dedupKey: "k" })).resolves.toBeInstanceOf(Message);
  });

  it("keeps the key through retries, and releases it when the message is dead-lettered", async () => {
    const { broker, backend } = dedupBroker();
    let attempts = 0;
    const actor = defineActor(
      "flaky",
      () => {
        attempts += 1;
        throw new Error("no");
      },
      { broker, maxRetries: 2 },
    );
    await pool.start(broker);
    const first = await actor.sendWithOptions({ dedupKey: "k" });
    await broker.join("default");
    expect(attempts).toBe(3);
    expect(await backend.holder("k")).toBeUndefined();
    await expect(actor.sendWithOptions({ dedupKey: "k" })).resolves.not.toMatchObject({
      messageId: first.messageId,
    });
  });

  it("acks unrun a duplicate that reached the queue without the middleware, and a message that already succeeded", async () => {
    const { broker, backend } = dedupBroker();
    const runs: string[] = [];
    const actor = defineActor("job", (name: string) => void runs.push(name), { broker });
    await backend.claim("k", "someone-else", 60_000);
    const duplicate = new Message({
      queueName: "default",
      actorName: "job",
      args: ["dup"],
      options: { dedup_key: "k" },
    });
    broker.publishRaw("default", duplicate.encode());
    const done = new Message({
      queueName: "default",
      actorName: "job",
      args: ["done"],
      options: { dedup_key: "d" },
    });
    await backend.claim("d", done.messageId, 60_000);
    await backend.complete("d", done.messageId, 60_000);
    broker.publishRaw("default", done.encode());
    const fresh = await actor.sendWithOptions({ args: ["fresh"], dedupKey: "f" });
    await pool.start(broker);
    await broker.join("default");
    expect(runs).toEqual(["fresh"]);
    expect(await backend.holder("f")).toBeUndefined(); // succeeded, TTL 0: released
    expect(broker.deadLetters("default")).toEqual([]);
    expect(fresh.options.dedup_key).toBe("f");
  });

  it("frees the key of a send whose publish failed after publishHoldMs", async () => {
    let clock = 1_000_000;
    const backend = new MemoryDedupBackend({ now: () => clock });
    const broker = new StubBroker({
      middleware: [new Dedup({ backend, publishHoldMs: 1_000 })],
      logger: quietLogger(),
      maxMessageBytes: 300,
    });
    const actor = defineActor("job", (_text: string) => {}, { broker });
    await expect(actor.sendWithOptions({ args: ["x".repeat(400)], dedupKey: "k" })).rejects.toBeInstanceOf(
      MessageTooLargeError,
    );
    await expect(actor.sendWithOptions({ args: ["small"], dedupKey: "k" })).rejects.toBeInstanceOf(
      DuplicateMessage,
    );
    clock += 1_000;
    const sent = await actor.sendWithOptions({ args: ["small"], dedupKey: "k" });
    // once confirmed, the key is held for holdMs (1 day), not publishHoldMs
    clock += 60_000;
    expect(await backend.holder("k")).toEqual({ messageId: sent.messageId, done: false });
  });

  it("refuses a bad dedupKey or dedupTtlMs at send", () => {
    const { broker } = dedupBroker();
    const actor = defineActor("job", () => "ok", { broker });
    expect(() => actor.sendWithOptions({ dedupKey: "" })).toThrow(/dedupKey must be/);
    expect(() => actor.sendWithOptions({ dedupKey: "k", dedupTtlMs: -1 })).toThrow(/dedupTtlMs must be/);
  });
});
