/**
 * `ops-core/actors` as an embedding process uses it: a StubBroker is set as opsq's global broker
 * first, the `OPS_CORE_*` settings come from the environment, and a runtime is configured.
 */
import { createLogger, setBroker, Worker } from "opsq";
import { StubBroker } from "opsq/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TIME_LIMIT_GRACE_MS } from "../../../src/actors/execute-agent-task.js";
import { OfflineLlmClient } from "../../../src/agent/offline-llm-client.js";
import { submitTask } from "../../../src/scheduler.js";
import { createEmbeddedStore, type EmbeddedStore } from "../../helpers/embedded-store.js";

const ENV = {
  OPS_CORE_QUEUE: "unit_agent_tasks",
  OPS_CORE_MAX_RETRIES: "4",
  OPS_CORE_MIN_BACKOFF_MS: "10",
  OPS_CORE_MAX_BACKOFF_MS: "20",
  AGENT_EXECUTION_TIMEOUT: "2.5",
};

describe("ops-core/actors", () => {
  const stub = new StubBroker({ logger: createLogger({ level: "silent" }) });
  const saved = Object.fromEntries(Object.keys(ENV).map((key) => [key, process.env[key]]));
  let actors: typeof import("../../../src/actors/index.js");
  let embedded: EmbeddedStore;

  beforeAll(async () => {
    Object.assign(process.env, ENV);
    setBroker(stub);
    actors = await import("../../../src/actors/index.js");
    embedded = await createEmbeddedStore();
  }, 60_000);
  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    actors?.configureTaskRuntime(undefined);
    await embedded?.close();
  });

  it("uses the global broker that was set before the import, and exports it", () => {
    expect(actors.broker).toBe(stub);
    expect(stub.actors.get("execute_agent_task")).toBe(actors.executeAgentTask);
  });

  it("takes its queue, retries, backoff and time limit from the environment", () => {
    expect(actors.executeAgentTask.queueName).toBe("unit_agent_tasks");
    expect(actors.executeAgentTask.options).toEqual({
      maxRetries: 4,
      minBackoffMs: 10,
      maxBackoffMs: 20,
      timeLimitMs: 2_500 + TIME_LIMIT_GRACE_MS,
    });
  });

  it("runs a task submitted with the scheduler's default enqueue, on the configured runtime", async () => {
    actors.configureTaskRuntime({ store: embedded.store, llm: new OfflineLlmClient() });
    const worker = new Worker(stub, { queues: ["unit_agent_tasks"], concurrency: 1 });
    await worker.start();
    try {
      const task = await submitTask(
        { taskType: "agent_task", inputData: { goal: 'echo "from the module"' } },
        { store: embedded.store },
      );
      await stub.join("unit_agent_tasks", { timeoutMs: 10_000 });
      expect(await embedded.store.getTask(task.taskId)).toMatchObject({
        status: "completed",
        attempts: 1,
        result: expect.objectContaining({ toolCalls: [expect.objectContaining({ name: "echo" })] }),
      });
    } finally {
      await worker.stop();
    }
  });
});
