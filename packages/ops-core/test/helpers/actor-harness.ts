/**
 * The real `execute_agent_task` actor and its middleware (`registerAgentTasks`) on an in-memory
 * StubBroker with an in-process opsq Worker, storing tasks in embedded PGlite: what the unit
 * tests of the actor and the task lifecycle run against.
 */
import { randomBytes } from "node:crypto";
import { type Cancellation, type Message, Worker } from "opsq";
import { StubBroker } from "opsq/testing";
import { pino } from "pino";
import type { ExecuteAgentTaskActor } from "../../src/actors/execute-agent-task.js";
import { registerAgentTasks } from "../../src/actors/register-agent-tasks.js";
import type { TaskRuntimeOptions } from "../../src/actors/runtime.js";
import type { LlmClient } from "../../src/agent/llm-client.js";
import { OpenAiCompatibleClient } from "../../src/agent/openai-compatible-client.js";
import { agentTaskMessage } from "../../src/agent-task-message.js";
import type { ActorConfig } from "../../src/config.js";
import { submitTask } from "../../src/submit-task.js";
import type { Task } from "../../src/task.js";
import type { TaskStore } from "../../src/task-store-interface.js";
import { createEmbeddedStore, type EmbeddedStore } from "./embedded-store.js";
import { type FakeLlm, startFakeLlm } from "./fake-llm.js";

/** A JSON log line of the broker's pino logger. */
export type LogRecord = { level: number; msg: string } & Record<string, unknown>;

/** Options of {@link startActorHarness}. */
export interface ActorHarnessOptions {
  /** The store the actor uses. */
  store: TaskStore;
  /** The model. */
  llm: LlmClient;
  /** Actor retries. @default 2 */
  maxRetries?: number;
  /** Agent deadline. @default 5000 */
  timeoutMs?: number;
  /** Worker concurrency. @default 2 */
  concurrency?: number;
  /** Extra runtime settings (tools, security). */
  runtime?: Partial<TaskRuntimeOptions>;
  /** Extra actor settings (`throws`-free: queue, retries, reaper). */
  actor?: Partial<ActorConfig>;
  /** Adds this Cancellation middleware, as `ops-core/actors` does. */
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
  /** Sends the task's message as `submitTask` does (task id as message id), without storing anything. */
  send(taskId: string): Promise<Message>;
  /** Submits an agent task through `submitTask` and returns it with the message sent. */
  submit(goal: string): Promise<{ task: Task; message: Message }>;
  /** Waits until the queue is drained. */
  join(): Promise<void>;
  /** Starts another worker on the same broker (e.g. after stopping the first). */
  startWorker(): Promise<Worker>;
  /** Stops the workers. */
  stop(): Promise<void>;
}

/** Defines the actor on a fresh StubBroker (millisecond backoffs) and starts a worker. */
export async function startActorHarness(options: ActorHarnessOptions): Promise<ActorHarness> {
  const logs: LogRecord[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const broker = new StubBroker({ logger });
  const { actor, queue } = registerAgentTasks({
    broker,
    store: options.store,
    llm: options.llm,
    timeoutMs: options.timeoutMs ?? 5_000,
    ...options.runtime,
    actor: {
      queue: `agent_test_${randomBytes(4).toString("hex")}`,
      maxRetries: options.maxRetries ?? 2,
      minBackoffMs: 1,
      maxBackoffMs: 5,
      reapIntervalMs: 0,
      outboxIntervalMs: 0,
      ...options.actor,
    },
    cancellation: options.cancellation,
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
    send: (taskId) => broker.enqueue(agentTaskMessage(taskId, queue)),
    async submit(goal) {
      let message: Message | undefined;
      const recording = {
        enqueue: async (sent: Message) => {
          message = await broker.enqueue(sent);
          return message;
        },
      };
      const task = await submitTask(
        { taskType: "agent_task", inputData: { goal } },
        { store: options.store, broker: recording as Pick<StubBroker, "enqueue">, queue },
      );
      return { task, message: message! };
    },
    join: () => broker.join(queue, { timeoutMs: 10_000 }),
    startWorker,
    async stop() {
      await Promise.all(workers.map((w) => w.stop({ timeoutMs: 100 })));
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
