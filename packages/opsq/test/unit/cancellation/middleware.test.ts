import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import type {
  CancellationBackend,
  CancellationChanges,
  CancellationListener,
  CancellationSubscription,
} from "../../../src/cancellation/backend.js";
import { cancel, cancellationBackendOf } from "../../../src/cancellation/cancel.js";
import { MemoryCancellationBackend } from "../../../src/cancellation/memory.js";
import { Cancellation } from "../../../src/cancellation/middleware.js";
import { pipeline } from "../../../src/composition.js";
import { getContext } from "../../../src/context.js";
import { MessageCancelled, MiddlewareError, OpsqError, ResultFailure } from "../../../src/errors.js";
import { Callbacks } from "../../../src/middleware/callbacks.js";
import type { Middleware } from "../../../src/middleware/middleware.js";
import { Pipelines } from "../../../src/middleware/pipelines.js";
import { Retries } from "../../../src/middleware/retries.js";
import { TimeLimit } from "../../../src/middleware/time-limit.js";
import { MemoryResultBackend } from "../../../src/results/memory.js";
import { Results } from "../../../src/results/middleware.js";
import { captureLogger, deferred, quietLogger, workerPool } from "../helpers.js";

const pool = workerPool();
afterEach(() => pool.stopAll());

/**
 * A memory backend whose announcements can be lost (`announce = false`: as when the LISTEN
 * connection is down), whose reads can miss everything (`blind`), and which can be unreachable
 * (`down`: reads and subscriptions fail), counting successful subscriptions, reads and lookups.
 */
class FlakyBackend implements CancellationBackend {
  readonly inner = new MemoryCancellationBackend();
  readonly ttlMs = this.inner.ttlMs;
  announce = true;
  blind = false;
  down = false;
  subscriptions = 0;
  refused = 0;
  reads = 0;
  lookups = 0;

  cancel(messageIds: readonly string[]): Promise<void> {
    return this.inner.cancel(messageIds);
  }

  isCancelled(messageId: string): Promise<boolean> {
    this.lookups++;
    return this.inner.isCancelled(messageId);
  }

  async changes(cursor: number | undefined): Promise<CancellationChanges> {
    this.reads++;
    this.#failIfDown();
    const changes = await this.inner.changes(cursor);
    return this.blind ? { entries: [], cursor: changes.cursor } : changes;
  }

  async subscribe(listener: CancellationListener): Promise<CancellationSubscription> {
    this.#failIfDown();
    this.subscriptions++;
    return this.inner.subscribe({
      onCancel: (entries) => {
        if (this.announce) {
          listener.onCancel(entries);
        }
      },
      onSubscribe: () => listener.onSubscribe?.(),
    });
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  #failIfDown(): void {
    if (this.down) {
      this.refused++;
      throw new Error("connect ECONNREFUSED postgres://app:hunter2@db:5432/app");
    }
  }
}

function cancellationBroker(backend: CancellationBackend, extra: Middleware[] = [], strict = false) {
  const { logger, lines } = captureLogger();
  const results = new MemoryResultBackend();
  const broker = new StubBroker({
    middleware: [
      new TimeLimit(),
      new Callbacks(),
      new Pipelines(),
      new Retries({ maxRetries: 3, minBackoffMs: 1, maxBackoffMs: 2 }),
      new Results({ backend: results, storeResults: true }),
      ...extra,
      new Cancellation({ backend, pollIntervalMs: 10, strict }),
    ],
    logger,
  });
  return { broker, lines, results };
}

/** Resolves with the signal's reason once it is aborted. */
function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(signal.reason)));
}

describe("Cancellation: messages not started yet", () => {
  it("does not run a queued message cancelled while the worker is busy; acks it, logs it and stores the cancellation", async () => {
    // Given one slot held by a blocker, and a victim queued behind it
    const backend = new MemoryCancellationBackend();
    const { broker, lines, results } = cancellationBroker(backend);
    const release = deferred();
    const ran: string[] = [];
    const job = defineActor(
      "job",
      async (name: string) => {
        ran.push(name);
        if (name === "blocker") {
          await release.promise;
        }
      },
      { broker },
    );
    const worker = await pool.start(broker, { concurrency: 1 });
    await job.send("blocker");
    const victim = await job.send("victim");

    // When the victim is cancelled before it starts
    await cancel(victim, { broker });
    release.resolve();
    await broker.join("default");
    await worker.join();

    // Then I expect it never ran, was acked (not dead-lettered), logged, and its result is the cancellation
    expect(ran).toEqual(["blocker"]);
    expect(broker.deadLetters("default")).toEqual([]);
    expect(worker.stats).toMatchObject({ acked: 2, nacked: 0 });
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: "message cancelled; acked without running it",
        message_id: victim.messageId,
      }),
    );
    await expect(results.getResult(victim)).rejects.toThrow(ResultFailure);
    await expect(results.getResult(victim)).rejects.toMatchObject({ errorType: "MessageCancelled" });
  });

  it("does not run a message cancelled before the worker booted (the cancels are loaded at boot)", async () => {
    // Given a message cancelled while no worker runs
    const backend = new MemoryCancellationBackend();
    const { broker } = cancellationBroker(backend);
    const ran: number[] = [];
    const job = defineActor("job", (n: number) => void ran.push(n), { broker });
    const first = await job.send(1);
    await job.send(2);
    await backend.cancel([first.messageId]);

    // When a worker starts
    const worker = await pool.start(broker);
    await broker.join("default");
    await worker.join();

    // Then I expect only the other message ran
    expect(ran).toEqual([2]);
    expect(worker.stats).toMatchObject({ acked: 2, nacked: 0 });
  });

  it("does not run a delayed message cancelled before its eta", async () => {
    // Given a message delayed by 50 ms, held by the worker
    const backend = new MemoryCancellationBackend();
    const { broker } = cancellationBroker(backend);
    const ran: string[] = [];
    const job = defineActor("job", (name: string) => void ran.push(name), { broker });
    const worker = await pool.start(broker);
    const delayed = await job.sendWithOptions({ args: ["delayed"], delayMs: 50 });

    // When it is cancelled before it is due (and another delayed message is sent)
    await cancel(delayed.messageId, { backend });
    await job.sendWithOptions({ args: ["kept"], delayMs: 50 });
    await broker.join("default");
    await worker.join();

    // Then I expect it never ran, and nothing was dead-lettered
    expect(ran).toEqual(["kept"]);
    expect(broker.deadLetters("default")).toEqual([]);
  });

  it("does not run the pending retry of a cancelled message", async () => {
    // Given a message that fails once and is retried after 100 ms
    const backend = new MemoryCancellationBackend();
    const { broker } = cancellationBroker(backend);
    const attempts: number[] = [];
    const flaky = defineActor(
      "flaky",
      () => {
        attempts.push(getContext().retries);
        throw new Error("first attempt fails");
      },
      { broker, minBackoffMs: 100, maxBackoffMs: 100 },
    );
    const worker = await pool.start(broker);
    const sent = await flaky.send();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (attempts.length === 1 && worker.stats.delayed === 1) {
          clearInterval(check);
          resolve();
        }
      }, 2);
    });

    // When it is cancelled while its retry waits
    await cancel(sent, { backend });
    await broker.join("default");
    await worker.join();

    // Then I expect no second attempt, and no dead letter
    expect(attempts).toEqual([0]);
    expect(broker.deadLetters("default")).toEqual([]);
  });
});

describe("Cancellation: running messages", () => {
  it("aborts a running message's signal with MessageCancelled before cancel() resolves; it is acked, not retried", async () => {
    // Given a running message waiting on its signal, with 3 retries allowed, callbacks and a pipeline after it
    const backend = new MemoryCancellationBackend();
    const { broker, lines, results } = cancellationBroker(backend);
    const started = deferred<AbortSignal>();
    const attempts: number[] = [];
    const called: string[] = [];
    const slow = defineActor(
      "slow",
      async () => {
        attempts.push(getContext().retries);
        started.resolve(getContext().signal);
        await aborted(getContext().signal);
        throw getContext().signal.reason;
      },
      { broker, onFailure: "failed", onSuccess: "succeeded" },
    );
    defineActor("failed", () => void called.push("onFailure"), { broker });
    defineActor("succeeded", () => void called.push("onSuccess"), { broker });
    const next = defineActor("next", () => void called.push("next step"), { broker });
    const worker = await pool.start(broker);
    const sent = await pipeline([slow.message(), next.message()], broker).run();
    const signal = await started.promise;

    // When it is cancelled
    await cancel(sent, { broker });

    // Then I expect its signal aborted already, with MessageCancelled
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(MessageCancelled);
    expect(signal.reason).toMatchObject({ messageId: sent.messageId });
    await broker.join("default");
    await worker.join();
    // …one attempt only, acked, no callback, no next step, the cancellation stored as its result
    expect(attempts).toEqual([0]);
    expect(called).toEqual([]);
    expect(broker.deadLetters("default")).toEqual([]);
    expect(worker.stats).toMatchObject({ acked: 1, nacked: 0, running: 0 });
    await expect(results.getResult(sent)).rejects.toMatchObject({ errorType: "MessageCancelled" });
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "message cancelled; aborting the attempt", message_id: sent.messageId }),
    );
  });

  it("is not retried whatever the middleware order (Retries' after hook running first)", async () => {
    // Given Cancellation registered before Retries, so that Retries sees the outcome first
    const backend = new MemoryCancellationBackend();
    const broker = new StubBroker({
      middleware: [
        new Cancellation({ backend, pollIntervalMs: 10 }),
        new Retries({ maxRetries: 3, minBackoffMs: 1, maxBackoffMs: 2 }),
      ],
      logger: quietLogger(),
    });
    const started = deferred();
    const attempts: number[] = [];
    const slow = defineActor(
      "slow",
      async () => {
        attempts.push(getContext().retries);
        started.resolve();
        await aborted(getContext().signal);
      },
      { broker },
    );
    const worker = await pool.start(broker);
    const sent = await slow.send();
    await started.promise;

    // When it is cancelled while running
    await cancel(sent, { broker });
    await broker.join("default");
    await worker.join();

    // Then I expect one attempt, acked, no retry
    expect(attempts).toEqual([0]);
    expect(broker.deadLetters("default")).toEqual([]);
    expect(worker.stats).toMatchObject({ acked: 1, nacked: 0 });
  });

  it("frees the slot at once even when the handler ignores its signal", async () => {
    // Given one slot taken by a handler that never finishes nor looks at its signal
    const backend = new MemoryCancellationBackend();
    const { broker } = cancellationBroker(backend);
    const started = deferred();
    const done: string[] = [];
    const job = defineActor(
      "job",
      async (name: string) => {
        if (name === "stuck") {
          started.resolve();
          await new Promise(() => {});
        }
        done.push(name);
      },
      { broker },
    );
    const worker = await pool.start(broker, { concurrency: 1 });
    const stuck = await job.send("stuck");
    await job.send("after");
    await started.promise;

    // When the stuck message is cancelled
    await cancel(stuck, { broker });
    await broker.join("default");
    await worker.join();

    // Then I expect the next message ran, and the stuck one was acked
    expect(done).toEqual(["after"]);
    expect(worker.stats).toMatchObject({ acked: 2, nacked: 0, running: 0 });
  });

  it("leaves other messages alone, and a cancel of an unknown id is harmless (stored until it expires)", async () => {
    // Given a backend whose clock the test moves
    let now = 1_000_000;
    const backend = new MemoryCancellationBackend({ ttlMs: 60_000, now: () => now });
    const { broker } = cancellationBroker(backend);
    const ran: number[] = [];
    const job = defineActor("job", (n: number) => void ran.push(n), { broker });
    const worker = await pool.start(broker);

    // When an id no message has is cancelled, and messages are sent
    await cancel("no-such-message", { broker });
    await job.send(1);
    await job.send(2);
    await broker.join("default");
    await worker.join();

    // Then I expect them run, and the unknown id stored, then expired
    expect(ran.sort()).toEqual([1, 2]);
    expect(await backend.isCancelled("no-such-message")).toBe(true);
    now += 60_001;
    expect(await backend.isCancelled("no-such-message")).toBe(false);
    expect((await backend.changes(undefined)).entries).toEqual([]);
  });
});

describe("Cancellation: missed announcements", () => {
  it("catches up by polling: a running message is aborted though its announcement was lost", async () => {
    // Given a backend whose announcements never reach the worker
    const backend = new FlakyBackend();
    backend.announce = false;
    const { broker } = cancellationBroker(backend);
    const started = deferred<AbortSignal>();
    const slow = defineActor(
      "slow",
      async () => {
        started.resolve(getContext().signal);
        await aborted(getContext().signal);
      },
      { broker },
    );
    const worker = await pool.start(broker);
    const sent = await slow.send();
    const signal = await started.promise;

    // When it is cancelled
    await cancel(sent, { backend });

    // Then I expect the poll (every 10 ms) to abort it
    expect(await aborted(signal)).toBeInstanceOf(MessageCancelled);
    await broker.join("default");
    await worker.join();
    expect(worker.stats).toMatchObject({ acked: 1, nacked: 0 });
  });

  it("subscribes again after a failed read, logging the outage once and its end, without the password", async () => {
    // Given a worker on a backend that then becomes unreachable for a while
    const backend = new FlakyBackend();
    const { broker, lines } = cancellationBroker(backend);
    defineActor("job", () => {}, { broker });
    await pool.start(broker);
    expect(backend.subscriptions).toBe(1);

    // When it is down, then back
    backend.down = true;
    await waitUntil(() => lines.some((line) => line.msg.startsWith("cannot read the cancellation backend")));
    await waitUntil(() => backend.refused >= 3);
    backend.down = false;
    await waitUntil(() => lines.some((line) => line.msg.includes("reachable again")));

    // Then I expect a new subscription, one warning (redacted) and one recovery line
    expect(backend.subscriptions).toBe(2);
    const warnings = lines.filter((line) => line.msg.startsWith("cannot read the cancellation backend"));
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings)).not.toContain("hunter2");
    expect(warnings[0]!.reason).toContain("app:***@db");
  });

  it("refuses to boot when the backend cannot be read, with a one-line redacted error", async () => {
    // Given a backend that cannot be read
    const backend = new FlakyBackend();
    backend.down = true;
    const { broker } = cancellationBroker(backend);
    defineActor("job", () => {}, { broker });

    // When a worker starts
    const starting = pool.start(broker);

    // Then I expect a MiddlewareError naming the cause, without the password
    await expect(starting).rejects.toThrow(MiddlewareError);
    await expect(starting).rejects.toThrow(
      "cannot read cancelled messages from the cancellation backend: connect ECONNREFUSED postgres://app:***@db:5432/app",
    );
  });
});

describe("Cancellation: strict", () => {
  it("asks the backend before each message, so a cancel not announced yet still wins", async () => {
    // Given a strict middleware whose backend never announces nor shows a cancel in its reads
    const backend = new FlakyBackend();
    backend.announce = false;
    backend.blind = true;
    const { broker } = cancellationBroker(backend, [], true);
    const ran: string[] = [];
    const job = defineActor("job", (name: string) => void ran.push(name), { broker });
    const worker = await pool.start(broker);
    const victim = job.message("victim");
    await backend.cancel([victim.messageId]);

    // When the cancelled message and another one are processed
    await broker.enqueue(victim);
    await job.send("kept");
    await broker.join("default");
    await worker.join();

    // Then I expect the cancelled one skipped, and one lookup per message
    expect(ran).toEqual(["kept"]);
    expect(backend.lookups).toBe(2);
    expect(worker.stats).toMatchObject({ acked: 2, nacked: 0 });
  });

  it("runs the message when the lookup fails, with a warning", async () => {
    // Given a strict middleware whose lookup fails
    const backend = new FlakyBackend();
    backend.isCancelled = async () => {
      throw new Error("lookup failed");
    };
    const { broker, lines } = cancellationBroker(backend, [], true);
    const ran: string[] = [];
    const job = defineActor("job", (name: string) => void ran.push(name), { broker });
    const worker = await pool.start(broker);

    // When a message is processed
    await job.send("kept");
    await broker.join("default");
    await worker.join();

    // Then I expect it ran, and the failure logged
    expect(ran).toEqual(["kept"]);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "cannot ask the cancellation backend; running the message" }),
    );
  });
});

describe("cancel()", () => {
  it("uses the backend of the broker's Cancellation middleware, and takes ids, messages and arrays", async () => {
    const backend = new MemoryCancellationBackend();
    const broker = new StubBroker({ middleware: [new Cancellation({ backend })], logger: quietLogger() });
    const job = defineActor("job", () => {}, { broker });
    const message = job.message();

    await cancel([message, "other-id"], { broker });
    await cancel("third-id", { broker });

    expect(cancellationBackendOf(broker)).toBe(backend);
    for (const id of [message.messageId, "other-id", "third-id"]) {
      expect(await backend.isCancelled(id)).toBe(true);
    }
  });

  it("says what to do when the broker has no Cancellation middleware", () => {
    const broker = new StubBroker({ middleware: [], logger: quietLogger() });
    expect(() => cancel("id", { broker })).toThrow(
      "this broker has no Cancellation middleware: add one (broker.addMiddleware(new Cancellation({ backend }))) or pass `backend`",
    );
  });

  it("rejects a bad id in one line", async () => {
    const backend = new MemoryCancellationBackend();
    await expect(cancel("", { backend })).rejects.toThrow(OpsqError);
    await expect(cancel("", { backend })).rejects.toThrow(
      'invalid message id "": expected a non-empty string of at most 255 characters',
    );
  });

  it("rejects a bad pollIntervalMs", () => {
    const backend = new MemoryCancellationBackend();
    expect(() => new Cancellation({ backend, pollIntervalMs: 0 })).toThrow(
      "Cancellation pollIntervalMs must be a whole number of milliseconds ≥ 1, got 0",
    );
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error("timed out");
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
