/**
 * `ops-core/actors`, the worker's module: importing it builds a RabbitmqBroker from the
 * environment (no I/O yet), makes it opsq's global broker, and registers the actor with the
 * `OPS_CORE_*` settings and the worker's middleware.
 */
import { Cancellation, getBroker, RabbitmqBroker } from "opsq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TIME_LIMIT_GRACE_MS } from "../../../src/actors/execute-agent-task.js";

const ENV = {
  DATABASE_URL: "postgres://nobody@127.0.0.1:1/unused",
  RABBITMQ_URL: "amqp://guest:guest@127.0.0.1:1",
  OPS_CORE_QUEUE: "unit_agent_tasks",
  OPS_CORE_MAX_RETRIES: "4",
  OPS_CORE_MIN_BACKOFF_MS: "10",
  OPS_CORE_MAX_BACKOFF_MS: "20",
  AGENT_EXECUTION_TIMEOUT: "2.5",
};

describe("ops-core/actors", () => {
  const saved = Object.fromEntries(Object.keys(ENV).map((key) => [key, process.env[key]]));
  let actors: typeof import("../../../src/actors/index.js");

  beforeAll(async () => {
    Object.assign(process.env, ENV);
    actors = await import("../../../src/actors/index.js");
  });
  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await actors?.broker.close();
  });

  it("builds a RabbitmqBroker, makes it the global broker, and exports it", () => {
    expect(actors.broker).toBeInstanceOf(RabbitmqBroker);
    expect(getBroker()).toBe(actors.broker);
    expect(actors.broker.actors.get("execute_agent_task")).toBe(actors.executeAgentTask);
  });

  it("takes its queue, retries, backoff and time limit from the environment", () => {
    expect(actors.executeAgentTask.queueName).toBe("unit_agent_tasks");
    expect(actors.executeAgentTask.options).toMatchObject({
      maxRetries: 4,
      minBackoffMs: 10,
      maxBackoffMs: 20,
      timeLimitMs: 2_500 + TIME_LIMIT_GRACE_MS,
    });
  });

  it("adds the worker's middleware, Cancellation last", () => {
    const names = actors.broker.middleware.map((middleware) => middleware.name);
    expect(names).toEqual(
      expect.arrayContaining(["OpsCoreWorkerRuntime", "OpsCoreTaskLifecycle", "OpsCoreStaleTaskReaper"]),
    );
    expect(actors.broker.middleware.at(-1)).toBeInstanceOf(Cancellation);
  });
});
