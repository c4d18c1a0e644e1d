/**
 * The task lifecycle middleware on its own: an `execute_agent_task` actor defined here (so each
 * test chooses its retry policy and behaviour) on a StubBroker worker, with the lifecycle and
 * opsq's Cancellation, on the embedded store. Each outcome of a message must lead to one final
 * status, written once, as opsq decided it (maxRetries, the message's max_retries, retryWhen,
 * throws, UnrecoverableError), never re-derived.
 */
import {
  Cancellation,
  cancel,
  createLogger,
  defineActor,
  getContext,
  MemoryCancellationBackend,
  type MiddlewareOptions,
  UnrecoverableError,
  Worker,
} from "opsq";
import { StubBroker } from "opsq/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { agentTaskMessage, EXECUTE_AGENT_TASK } from "../../src/agent-task-message.js";
import { AgentTaskFailedError } from "../../src/errors.js";
import { FinalWriteRetries } from "../../src/services/final-write-retries.js";
import { CANCELLED_REASON, taskLifecycle } from "../../src/task-lifecycle.js";
import type { TaskStore } from "../../src/task-store-interface.js";
import { createEmbeddedStore, type EmbeddedStore } from "../helpers/embedded-store.js";

class QuotaError extends Error {
  override name = "QuotaError";
}

/** What the actor does on each attempt (after claiming the task); `attempt` counts from 1. */
type Behaviour = (taskId: string, attempt: number, signal: AbortSignal) => Promise<void>;

describe("taskLifecycle", () => {
  let embedded: EmbeddedStore;
  let broker: StubBroker;
  let worker: Worker | undefined;
  let backend: MemoryCancellationBackend;
  const writes: string[] = [];
  let failNextWrites = 0;

  beforeAll(async () => {
    embedded = await createEmbeddedStore();
  }, 60_000);
  afterAll(() => embedded?.close());
  beforeEach(async () => {
    await embedded.reset();
    writes.length = 0;
    failNextWrites = 0;
  });
  afterEach(async () => {
    await worker?.stop({ timeoutMs: 50 });
    worker = undefined;
  });

  /** The embedded store, recording every final write of the lifecycle (and failing the first ones when asked). */
  const recordingStore = (): TaskStore =>
    Object.assign(Object.create(embedded.store) as TaskStore, {
      failTask: async (...args: Parameters<TaskStore["failTask"]>) => {
        writes.push(`failed ${args[0]}`);
        if (failNextWrites-- > 0) {
          throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
        }
        return embedded.store.failTask(...args);
      },
      cancelTask: async (...args: Parameters<TaskStore["cancelTask"]>) => {
        writes.push(`cancelled ${args[0]}`);
        return embedded.store.cancelTask(...args);
      },
    });

  /** Defines the actor with `options`, adds the lifecycle, starts a worker. */
  async function start(behaviour: Behaviour, options: MiddlewareOptions = {}, concurrency = 2) {
    broker = new StubBroker({ logger: createLogger({ level: "silent" }) });
    backend = new MemoryCancellationBackend();
    const store = recordingStore();
    const finalWrites = new FinalWriteRetries({ initialDelayMs: 10, maxDelayMs: 20, budgetMs: 5_000 });
    broker.addMiddleware(taskLifecycle({ runtime: async () => ({ store, finalWrites }) }));
    broker.addMiddleware(new Cancellation({ backend }));
    const attempts = new Map<string, number>();
    defineActor(
      EXECUTE_AGENT_TASK,
      async (taskId: string) => {
        const attempt = (attempts.get(taskId) ?? 0) + 1;
        attempts.set(taskId, attempt);
        await embedded.store.claimTask(taskId, "w1");
        await behaviour(taskId, attempt, getContext().signal);
      },
      { broker, queue: "lifecycle", minBackoffMs: 1, maxBackoffMs: 2, maxRetries: 2, ...options },
    );
    worker = new Worker(broker, { queues: ["lifecycle"], concurrency });
    await worker.start();
    return { attempts };
  }

  const addTask = async () =>
    (await embedded.store.addTask({ taskType: "agent_task", inputData: { goal: "g" } })).taskId;
  const send = (taskId: string, options: Record<string, number> = {}) =>
    broker.enqueue(agentTaskMessage(taskId, "lifecycle").withOptions(options));
  const join = () => broker.join("lifecycle", { timeoutMs: 10_000 });
  const task = (taskId: string) => embedded.store.getTask(taskId);

  it("writes nothing when the actor succeeds (the actor writes `completed`)", async () => {
    await start(async (taskId) => {
      await embedded.store.completeTask(taskId, { status: "completed", result: "done" });
    });
    const taskId = await addTask();
    await send(taskId);
    await join();
    expect(await task(taskId)).toMatchObject({ status: "completed", result: "done" });
    expect(writes).toEqual([]);
  });

  it("fails the task once, when Retries dead-letters it after maxRetries, with the attempts in the reason", async () => {
    const { attempts } = await start(async () => {
      throw Object.assign(new Error("LLM overloaded"), { code: "ECONNRESET" });
    });
    const taskId = await addTask();
    await send(taskId);
    await join();
    expect(attempts.get(taskId)).toBe(3);
    expect(await task(taskId)).toMatchObject({
      status: "failed",
      attempts: 3,
      errorMessage: "LLM overloaded (gave up after 3 attempts)",
    });
    expect(writes).toEqual([`failed ${taskId}`]);
    expect(broker.deadLetters("lifecycle")).toHaveLength(1);
  });

  it("honours the message's own max_retries over the actor's", async () => {
    const { attempts } = await start(async () => {
      throw new Error("flaky");
    });
    const taskId = await addTask();
    await send(taskId, { max_retries: 0 });
    await join();
    expect(attempts.get(taskId)).toBe(1);
    expect(await task(taskId)).toMatchObject({
      status: "failed",
      errorMessage: "flaky (gave up after 1 attempt)",
    });
    expect(writes).toEqual([`failed ${taskId}`]);
  });

  it("honours retryWhen: retried while it says so (beyond maxRetries), failed once it stops", async () => {
    const seen: number[] = [];
    const { attempts } = await start(
      async (taskId) => {
        // Still running between attempts: nothing was written before Retries gave up.
        expect((await task(taskId)).status).toBe("running");
        throw new Error("not yet");
      },
      {
        maxRetries: 0,
        retryWhen: (retries) => {
          seen.push(retries);
          return retries < 3;
        },
      },
    );
    const taskId = await addTask();
    await send(taskId);
    await join();
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(attempts.get(taskId)).toBe(4);
    expect(await task(taskId)).toMatchObject({
      status: "failed",
      errorMessage: "not yet (gave up after 4 attempts)",
    });
    expect(writes).toEqual([`failed ${taskId}`]);
  });

  it("honours throws: an error listed there fails the task at the first attempt, whatever maxRetries says", async () => {
    const { attempts } = await start(
      async () => {
        throw new QuotaError("quota exceeded for this month");
      },
      { maxRetries: 5, throws: [QuotaError] },
    );
    const taskId = await addTask();
    await send(taskId);
    await join();
    expect(attempts.get(taskId)).toBe(1);
    expect(await task(taskId)).toMatchObject({
      status: "failed",
      errorMessage: "quota exceeded for this month",
    });
    expect(writes).toEqual([`failed ${taskId}`]);
  });

  it("stores the reason and the result an AgentTaskFailedError carries", async () => {
    await start(
      async (taskId) => {
        throw new AgentTaskFailedError(taskId, "Agent stopped after 2 steps without a final answer.", {
          outcome: "step_limit",
          steps: 2,
        });
      },
      { throws: [AgentTaskFailedError] },
    );
    const taskId = await addTask();
    await send(taskId);
    await join();
    expect(await task(taskId)).toMatchObject({
      status: "failed",
      attempts: 1,
      errorMessage: "Agent stopped after 2 steps without a final answer.",
      result: { outcome: "step_limit", steps: 2 },
    });
    expect(writes).toEqual([`failed ${taskId}`]);
  });

  it("fails the task at once on UnrecoverableError", async () => {
    await start(async () => {
      throw new UnrecoverableError("bad configuration");
    });
    const taskId = await addTask();
    await send(taskId);
    await join();
    expect(await task(taskId)).toMatchObject({
      status: "failed",
      attempts: 1,
      errorMessage: "bad configuration",
    });
    expect(writes).toEqual([`failed ${taskId}`]);
  });

  it("cancels the task once when its message is cancelled while running: acked, never retried or failed", async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const { attempts } = await start(async (_taskId, _attempt, signal) => {
      started();
      await new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    });
    const taskId = await addTask();
    await send(taskId);
    await running;
    await cancel(taskId, { backend });
    await join();
    expect(await task(taskId)).toMatchObject({ status: "cancelled", errorMessage: CANCELLED_REASON });
    expect(attempts.get(taskId)).toBe(1);
    expect(writes).toEqual([`cancelled ${taskId}`]);
    expect(broker.deadLetters("lifecycle")).toHaveLength(0);
  });

  it("cancels the task once when its message is skipped because it was cancelled before it ran", async () => {
    const { attempts } = await start(async () => {});
    const taskId = await addTask();
    await cancel(taskId, { backend });
    // The memory backend announces the cancel at once; a short pause lets the worker hear it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await send(taskId);
    await join();
    expect(attempts.get(taskId)).toBeUndefined();
    expect(await task(taskId)).toMatchObject({
      status: "cancelled",
      attempts: 0,
      errorMessage: CANCELLED_REASON,
    });
    expect(writes).toEqual([`cancelled ${taskId}`]);
  });

  it("writes nothing when a worker shutting down hands the message back", async () => {
    await start(() => new Promise<void>(() => {}), { maxRetries: 0 }, 1);
    const taskId = await addTask();
    await send(taskId);
    await vi.waitFor(async () => expect((await task(taskId)).status).toBe("running"));
    await worker!.stop({ timeoutMs: 20 });
    worker = undefined;
    expect(await task(taskId)).toMatchObject({ status: "running", errorMessage: null });
    expect(writes).toEqual([]);
    expect(broker.deadLetters("lifecycle")).toHaveLength(0);
  });

  it("leaves messages of other actors alone", async () => {
    await start(async () => {});
    defineActor(
      "other_actor",
      async (_taskId: string) => {
        throw new UnrecoverableError("not ours");
      },
      { broker, queue: "lifecycle" },
    );
    const taskId = await addTask();
    await broker.enqueue(broker.getActor("other_actor").message(taskId));
    await join();
    expect(writes).toEqual([]);
    expect((await task(taskId)).status).toBe("pending");
  });

  it("retries the failed write in the background when the database is down at that moment", async () => {
    failNextWrites = 2;
    await start(async () => {
      throw new UnrecoverableError("bad input");
    });
    const taskId = await addTask();
    await send(taskId);
    await join();
    await vi.waitFor(async () => expect((await task(taskId)).status).toBe("failed"), { timeout: 5_000 });
    expect(writes).toEqual([`failed ${taskId}`, `failed ${taskId}`, `failed ${taskId}`]);
    expect(await task(taskId)).toMatchObject({ errorMessage: "bad input" });
  });
});
