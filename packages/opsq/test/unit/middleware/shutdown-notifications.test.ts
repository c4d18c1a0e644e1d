import { afterEach, describe, expect, it } from "vitest";
import { defineActor } from "../../../src/actor.js";
import { StubBroker } from "../../../src/brokers/stub.js";
import { getContext } from "../../../src/context.js";
import { Shutdown } from "../../../src/errors.js";
import type { Middleware } from "../../../src/middleware/middleware.js";
import { Retries } from "../../../src/middleware/retries.js";
import { ShutdownNotifications } from "../../../src/middleware/shutdown-notifications.js";
import { deferred, quietLogger, workerPool } from "../helpers.js";

const pool = workerPool();
afterEach(() => pool.stopAll());

function stubBroker(middleware: Middleware[]): StubBroker {
  return new StubBroker({ middleware, logger: quietLogger() });
}

describe("ShutdownNotifications", () => {
  it("aborts the signal of notifyShutdown actors with Shutdown, and lets the others finish", async () => {
    // Given two running actors, one declared notifyShutdown
    const broker = stubBroker([new ShutdownNotifications()]);
    const bothStarted = [deferred(), deferred()];
    const finishPolite = deferred();
    const outcomes: Record<string, unknown> = {};
    const notified = defineActor(
      "notified",
      async () => {
        const { signal } = getContext();
        bothStarted[0]!.resolve();
        outcomes.notified = await new Promise((resolve) =>
          signal.addEventListener("abort", () => resolve(signal.reason)),
        );
      },
      { broker, notifyShutdown: true },
    );
    const polite = defineActor(
      "polite",
      async () => {
        const { signal } = getContext();
        bothStarted[1]!.resolve();
        await finishPolite.promise;
        outcomes.polite = signal.aborted;
      },
      { broker },
    );
    const worker = await pool.start(broker);
    await notified.send();
    await polite.send();
    await Promise.all(bothStarted.map((d) => d.promise));

    // When the worker stops
    const stopping = worker.stop({ timeoutMs: 2000 });
    await new Promise((resolve) => setImmediate(resolve));
    finishPolite.resolve();
    await stopping;

    // Then I expect the notified actor to get Shutdown, its attempt failed with it (no Retries here),
    // and the other to finish with an open signal
    expect(outcomes.notified).toBeInstanceOf(Shutdown);
    expect(outcomes.polite).toBe(false);
    expect(worker.stats).toMatchObject({ acked: 1, nacked: 1 });
    expect(broker.deadLetters("default").map((d) => d.reason)).toEqual([outcomes.notified]);
  });

  it("fails the interrupted attempt, so Retries re-enqueues it, and starts no buffered message", async () => {
    // Given one slot, a notifyShutdown actor that ignores its signal, and three messages
    const broker = stubBroker([new ShutdownNotifications(), new Retries({ minBackoffMs: 60_000 })]);
    const runs: number[] = [];
    const started = deferred();
    const job = defineActor(
      "job",
      async (n: number) => {
        runs.push(n);
        started.resolve();
        await new Promise(() => {});
      },
      { broker, notifyShutdown: true },
    );
    const worker = await pool.start(broker, { concurrency: 1 });
    await job.send(1);
    await job.send(2);
    await job.send(3);
    await started.promise;

    // When the worker stops
    await worker.stop({ timeoutMs: 2000 });

    // Then I expect the first one interrupted at once and parked as a retry, the others back in the queue
    expect(runs).toEqual([1]);
    expect(await broker.getQueueCounts("default")).toEqual({ ready: 2, delayed: 1, deadLettered: 0 });
    expect(worker.stats).toMatchObject({ acked: 1, running: 0 });
  });

  it("notifies only the attempts of the worker that stops, when two workers share a broker", async () => {
    // Given two workers on one broker, each running one notifyShutdown attempt of its own queue
    const broker = stubBroker([new ShutdownNotifications()]);
    const started = { a: deferred(), b: deferred() };
    const reasons: Record<string, unknown> = {};
    const release = deferred();
    const waitFor = (name: "a" | "b") => async () => {
      const { signal } = getContext();
      started[name].resolve();
      reasons[name] = await Promise.race([
        new Promise((resolve) => signal.addEventListener("abort", () => resolve(signal.reason))),
        release.promise.then(() => "finished"),
      ]);
    };
    const a = defineActor("a", waitFor("a"), { broker, queue: "qa", notifyShutdown: true });
    const b = defineActor("b", waitFor("b"), { broker, queue: "qb", notifyShutdown: true });
    const workerA = await pool.start(broker, { queues: ["qa"] });
    await pool.start(broker, { queues: ["qb"] });
    await a.send();
    await b.send();
    await Promise.all([started.a.promise, started.b.promise]);

    // When worker A stops
    const stopping = workerA.stop({ timeoutMs: 5_000 });
    await stopping;
    release.resolve();
    await broker.join("qb");

    // Then I expect A's attempt notified, and B's left to finish
    expect(reasons.a).toBeInstanceOf(Shutdown);
    expect(reasons.b).toBe("finished");
  });

  it("takes notify_shutdown from the message, then the actor, then the default", async () => {
    // Given a default of true, an actor that says false
    const broker = stubBroker([new ShutdownNotifications({ notifyShutdown: true })]);
    const started = [deferred(), deferred(), deferred()];
    const aborted: Record<number, boolean> = { 0: false, 1: false, 2: false };
    const handler = (index: number) => async () => {
      getContext().signal.addEventListener("abort", () => {
        aborted[index] = true;
      });
      started[index]!.resolve();
      await new Promise((resolve) => setTimeout(resolve, 30));
    };
    const byDefault = defineActor("by_default", handler(0), { broker });
    const optedOut = defineActor("opted_out", handler(1), { broker, notifyShutdown: false });
    const optedBackIn = defineActor("opted_back_in", handler(2), { broker, notifyShutdown: false });
    const worker = await pool.start(broker);

    // When a message of each runs, the last one with notifyShutdown set on the message, and the worker stops
    await byDefault.send();
    await optedOut.send();
    await optedBackIn.sendWithOptions({ notifyShutdown: true });
    await Promise.all(started.map((d) => d.promise));
    await worker.stop({ timeoutMs: 2000 });

    // Then I expect the default and the message option to be notified, not the actor that opted out
    expect(aborted).toEqual({ 0: true, 1: false, 2: true });
  });
});
