/**
 * The real `execute_agent_task` actor on an in-memory StubBroker with an in-process opsq
 * Worker, storing tasks in embedded PGlite: what the unit tests of the actor run against.
 */
import { randomBytes } from "node:crypto";
import { type Cancellation, type Message, Worker } from "opsq";
import { StubBroker } from "opsq/testing";
import { pino } from "pino";
import {
  defineExecuteAgentTask,
  type ExecuteAgentTaskActor,
  enqueueTask,
} from "../../src/actors/execute-agent-task.js";
import { configureTaskRuntime, type RuntimeTaskStore, type TaskRuntime } from "../../src/actors/runtime.js";
import { taskRuntimeMiddleware } from "../../src/actors/runtime-middleware.js";
import type { LlmClient } from "../../src/agent/llm-client.js";
import { OpenAiCompatibleClient } from "../../src/agent/openai-compatible-client.js";
import { submitTask } from "../../src/scheduler.js";
import type { Task } from "../../src/task.js";
import { createEmbeddedStore, type EmbeddedStore } from "./embedded-store.js";
import { type FakeLlm, startFakeLlm } from "./fake-llm.js";

/** A JSON log line of the broker's pino logger. */
export type LogRecord = { level: number; msg: string } & Record<string, unknown>;

/** Options of {@link startActorHarness}. */
export interface ActorHarnessOptions {
  /** The store the actor uses. */
  store: RuntimeTaskStore & Parameters<typeof submitTask>[1]["store"];
  /** The model. */
  llm: LlmClient;
  /** Actor retries. @default 2 */
  maxRetries?: number;
  /** Agent deadline. @default 5000 */
  timeoutMs?: number;
  /** Worker concurrency. @default 2 */
  concurrency?: number;
  /** Extra runtime settings (tools, security). */
  runtime?: Partial<TaskRuntime>;
  /** Adds ops-core's runtime middleware and this Cancellation middleware, as `ops-core/actors` does. */
  cancellation?: Cancellation;
}

/** A running harness. */
export interface ActorHarness {
  broker: StubBroker;
  actor: ExecuteAgentTaskActor;
  queue: string;
  worker: Worker;
  /** Every log line of the broker, the worker and the actor. */
  logs: LogRecord[];
  /** Submits an agent task through the scheduler and returns it with the message sent. */
  submit(goal: string): Promise<{ task: Task; message: Message }>;
  /** Waits until the queue is drained. */
  join(): Promise<void>;
  /** Starts another worker on the same broker (e.g. after stopping the first). */
  startWorker(): Promise<Worker>;
  /** Stops the workers and resets the runtime. */
  stop(): Promise<void>;
}

/** Defines the actor on a fresh StubBroker (millisecond backoffs) and starts a worker. */
export async function startActorHarness(options: ActorHarnessOptions): Promise<ActorHarness> {
  const logs: LogRecord[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const broker = new StubBroker({ logger });
  if (options.cancellation) {
    broker.addMiddleware(taskRuntimeMiddleware({ cancellation: options.cancellation }));
    broker.addMiddleware(options.cancellation);
  }
  const queue = `agent_test_${randomBytes(4).toString("hex")}`;
  const actor = defineExecuteAgentTask({
    broker,
    queue,
    maxRetries: options.maxRetries ?? 2,
    minBackoffMs: 1,
    maxBackoffMs: 5,
    agentTimeoutMs: options.timeoutMs ?? 5_000,
  });
  configureTaskRuntime({
    store: options.store,
    llm: options.llm,
    timeoutMs: options.timeoutMs ?? 5_000,
    ...options.runtime,
  });
  const workers: Worker[] = [];
  const startWorker = async () => {
    const worker = new Worker(broker, { queues: [queue], concurrency: options.concurrency ?? 2 });
    await worker.start();
    workers.push(worker);
    return worker;
  };
  const worker = await startWorker();
  return {
    broker,
    actor,
    queue,
    worker,
    logs,
    async submit(goal) {
      let message: Message | undefined;
      const task = await submitTask(
        { taskType: "agent_task", inputData: { goal } },
        {
          store: options.store,
          enqueue: async (taskId) => {
            message = await enqueueTask(actor, taskId);
          },
        },
      );
      return { task, message: message! };
    },
    join: () => broker.join(queue, { timeoutMs: 10_000 }),
    startWorker,
    async stop() {
      await Promise.all(workers.map((w) => w.stop({ timeoutMs: 100 })));
      configureTaskRuntime(undefined);
    },
  };
}

/** vitest's hooks, passed in (this module is not tied to vitest's globals). */
export interface ActorTestHooks {
  beforeAll(hook: () => Promise<void>, timeoutMs?: number): void;
  afterAll(hook: () => Promise<void>): void;
  beforeEach(hook: () => Promise<void>): void;
  afterEach(hook: () => Promise<void>): void;
}

/**
 * What an actor test file shares: an embedded store (emptied before each test), the fake
 * OpenAI-compatible server (reset after each), and the harnesses its tests start (stopped after
 * each test).
 */
export class ActorTestBed {
  #embedded: EmbeddedStore | undefined;
  #fake: FakeLlm | undefined;
  readonly #harnesses: ActorHarness[] = [];

  private constructor() {}

  /** `const bed = ActorTestBed.use({ beforeAll, afterAll, beforeEach, afterEach })` in a `describe`. */
  static use(hooks: ActorTestHooks): ActorTestBed {
    const bed = new ActorTestBed();
    hooks.beforeAll(async () => {
      [bed.#embedded, bed.#fake] = await Promise.all([createEmbeddedStore(), startFakeLlm()]);
    }, 60_000);
    hooks.afterAll(async () => {
      await Promise.all([bed.#embedded?.close(), bed.#fake?.close()]);
    });
    hooks.beforeEach(() => bed.embedded.reset());
    hooks.afterEach(async () => {
      await Promise.all(bed.#harnesses.splice(0).map((harness) => harness.stop()));
      bed.#fake?.reset();
    });
    return bed;
  }

  /** The embedded store. */
  get embedded(): EmbeddedStore {
    if (this.#embedded === undefined)
      throw new Error("the actor test bed is not ready: use it inside a test");
    return this.#embedded;
  }

  /** The fake LLM server. */
  get fake(): FakeLlm {
    if (this.#fake === undefined) throw new Error("the actor test bed is not ready: use it inside a test");
    return this.#fake;
  }

  /** The real HTTP client on the fake server; no SDK retries unless asked, so counts are exact. */
  fakeLlm(maxRetries = 0): OpenAiCompatibleClient {
    return new OpenAiCompatibleClient({
      baseUrl: this.fake.baseUrl,
      apiKey: "sk-unit",
      model: "fake-model",
      maxRetries,
    });
  }

  /** Starts a harness on the embedded store and the fake LLM (unless `options` say otherwise). */
  async start(options: Partial<ActorHarnessOptions> = {}): Promise<ActorHarness> {
    const harness = await startActorHarness({ store: this.embedded.store, llm: this.fakeLlm(), ...options });
    this.#harnesses.push(harness);
    return harness;
  }
}
