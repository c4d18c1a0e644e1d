import { Message } from "opsq";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { WORKER_ID } from "../../../src/actors/execute-agent-task.js";
import { OfflineLlmClient } from "../../../src/agent/offline-llm-client.js";
import { OpenAiCompatibleClient } from "../../../src/agent/openai-compatible-client.js";
import type { TaskStore } from "../../../src/task-store-interface.js";
import { type ActorHarnessOptions, ActorTestBed } from "../../helpers/actor-harness.js";

describe("execute_agent_task on a StubBroker worker", () => {
  const bed = ActorTestBed.use({ beforeAll, afterAll, beforeEach, afterEach });
  const _fakeLlm = (maxRetries = 0) => bed.fakeLlm(maxRetries);
  const start = (options: Partial<ActorHarnessOptions> = {}) => bed.start(options);

  it("runs a task with a tool call to completion and acks the message", async () => {
    const h = await start();
    const { task } = await h.submit("[[tool:echo]] ping");
    await h.join();
    const done = await bed.embedded.store.getTask(task.taskId);
    expect(done).toMatchObject({ status: "completed", attempts: 1, workerId: WORKER_ID, errorMessage: null });
    expect(done.result).toMatchObject({ answer: 'Tool echo returned: {"text":"ping"}', steps: 2 });
    expect(done.createdAt <= done.startedAt! && done.startedAt! <= done.completedAt!).toBe(true);
    const requests = bed.fake.chatRequests();
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({
      model: "fake-model",
      authorization: "Bearer sk-unit",
      messages: [{ role: "system" }, { role: "user", content: "[[tool:echo]] ping" }],
    });
    expect(requests[0]!.tools?.map((tool) => tool.function.name)).toEqual([
      "calculator",
      "current_time",
      "echo",
    ]);
    expect(requests[1]!.messages.at(-1)).toMatchObject({ role: "tool", content: '{"text":"ping"}' });
    expect(h.worker.stats).toMatchObject({ acked: 1, nacked: 0 });
    expect(h.broker.deadLetters(h.queue)).toHaveLength(0);
  });

  it("runs with the offline model", async () => {
    const h = await start({ llm: new OfflineLlmClient() });
    const { task } = await h.submit("What is 6 * 7?");
    await h.join();
    const done = await bed.embedded.store.getTask(task.taskId);
    expect(done.status).toBe("completed");
    expect(done.result).toMatchObject({
      model: "opsq-offline-demo",
      answer: expect.stringContaining('"result":42'),
    });
  });

  it("does nothing for a redelivered message of a finished task", async () => {
    const h = await start();
    const { task, message } = await h.submit("hello");
    await h.join();
    const finished = await bed.embedded.store.getTask(task.taskId);
    expect(finished.status).toBe("completed");
    h.broker.publishRaw(h.queue, message.encode());
    await h.join();
    expect(await bed.embedded.store.getTask(task.taskId)).toEqual(finished);
    expect(bed.fake.chatRequests()).toHaveLength(1);
    expect(h.worker.stats).toMatchObject({ acked: 2, nacked: 0 });
    expect(h.logs.some((line) => line.msg === "task already finished; nothing to run")).toBe(true);
  });

  it("acks and logs a message for a task that does not exist", async () => {
    const h = await start();
    await h.send("task_missing");
    await h.join();
    expect(h.worker.stats).toMatchObject({ acked: 1, nacked: 0 });
    expect(h.logs).toContainEqual(
      expect.objectContaining({ msg: "task not found; nothing to run", taskId: "task_missing" }),
    );
    expect(bed.fake.chatRequests()).toHaveLength(0);
  });

  it("dead-letters a message without a task id at once, without retries", async () => {
    const h = await start();
    await h.broker.enqueue(new Message({ queueName: h.queue, actorName: "execute_agent_task", args: [] }));
    await h.join();
    const [dead] = h.broker.deadLetters(h.queue);
    expect(dead?.reason?.message).toBe(
      "execute_agent_task needs a task id string as its argument (got undefined)",
    );
    expect(h.worker.stats).toMatchObject({ acked: 0, nacked: 1 });
  });

  it("retries a transient LLM failure and then completes", async () => {
    const h = await start();
    const { task } = await h.submit("[[status:500x1]] flaky");
    await h.join();
    expect(await bed.embedded.store.getTask(task.taskId)).toMatchObject({ status: "completed", attempts: 2 });
    expect(bed.fake.chatRequests().map((request) => request.status)).toEqual([500, 200]);
    expect(h.logs).toContainEqual(
      expect.objectContaining({ msg: "attempt failed; retry scheduled", retries: 1 }),
    );
    expect(h.broker.deadLetters(h.queue)).toHaveLength(0);
  });

  it("marks the task failed with the last reason and dead-letters the message when retries run out", async () => {
    const h = await start({ maxRetries: 1 });
    const { task } = await h.submit("[[status:503]] down");
    await h.join();
    const failed = await bed.embedded.store.getTask(task.taskId);
    expect(failed).toMatchObject({ status: "failed", attempts: 2 });
    expect(failed.errorMessage).toBe(
      `LLM request to ${bed.fake.baseUrl} (model "fake-model") failed with HTTP 503: fake error 503 (gave up after 2 attempts)`,
    );
    const dead = h.broker.deadLetteredMessages(h.queue);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ args: [task.taskId], options: { retries: 1 } });
    expect(bed.fake.chatRequests()).toHaveLength(2);
  });

  it("writes the final failure once the database is back when retries ran out during an outage", async () => {
    // Given a database that refuses every claim, and the first attempt to mark the task failed
    const refused = () =>
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    let failTaskCalls = 0;
    const store: Partial<TaskStore> = {
      claimTask: async () => {
        throw refused();
      },
      failTask: async (id, reason) => {
        if (failTaskCalls++ === 0) throw refused();
        return bed.embedded.store.failTask(id, reason);
      },
    };
    const h = await start({ maxRetries: 1, store: Object.assign(Object.create(bed.embedded.store), store) });

    // When the retries are spent and the message dead-lettered
    const { task } = await h.submit("hello");
    await h.join();
    expect(h.broker.deadLetters(h.queue)).toHaveLength(1);

    // Then the failure is written in the background once the database answers
    await vi.waitFor(
      async () => expect((await bed.embedded.store.getTask(task.taskId)).status).toBe("failed"),
      { timeout: 10_000 },
    );
    expect((await bed.embedded.store.getTask(task.taskId)).errorMessage).toBe(
      "connect ECONNREFUSED 127.0.0.1:5432 (gave up after 2 attempts)",
    );
    expect(h.logs.map((line) => line.msg)).toContain(
      "could not mark the task failed yet (retrying in the background)",
    );
  });

  it("keeps the credentials of OPS_LLM_BASE_URL out of every log line and of the task", async () => {
    // Given an endpoint URL with a password (which the client refuses, naming the URL)
    const password = "pa%2Fss-LLM-9f2c";
    const baseUrl = bed.fake.baseUrl.replace("http://", `http://alice:${password}@`);
    const llm = new OpenAiCompatibleClient({
      baseUrl,
      apiKey: "sk-unit-key-77",
      model: "fake-model",
      maxRetries: 0,
    });
    const h = await start({ llm, maxRetries: 1 });

    // When its task fails (a configuration error: permanent, no retry)
    const { task } = await h.submit("hello");
    await h.join();
    const failed = await bed.embedded.store.getTask(task.taskId);
    expect(failed).toMatchObject({ status: "failed", attempts: 1 });
    expect(failed.errorMessage).toContain("alice:***@");
    expect(bed.fake.chatRequests()).toHaveLength(0);

    // Then no log line, nor the task, holds the password (as written or decoded) or the key
    const logged = JSON.stringify([h.logs, failed]);
    expect(logged).toContain("alice:***@");
    for (const secret of [password, decodeURIComponent(password), "LLM-9f2c", "sk-unit-key-77"]) {
      expect(logged).not.toContain(secret);
    }
  });

  it("fails a permanent LLM error at once: no retry, the message dead-lettered", async () => {
    const h = await start();
    const { task } = await h.submit("[[status:401]] denied");
    await h.join();
    expect(await bed.embedded.store.getTask(task.taskId)).toMatchObject({
      status: "failed",
      attempts: 1,
      errorMessage: `LLM request to ${bed.fake.baseUrl} (model "fake-model") failed with HTTP 401: fake error 401`,
    });
    expect(bed.fake.chatRequests()).toHaveLength(1);
    expect(h.worker.stats).toMatchObject({ acked: 0, nacked: 1 });
    expect(h.broker.deadLetteredMessages(h.queue)).toMatchObject([{ args: [task.taskId] }]);
  });

  it("fails the task and dead-letters the message when a permanent error escapes the run", async () => {
    const store: Partial<TaskStore> = {
      completeTask: async () => {
        throw Object.assign(new Error("value too long for type character varying(10)"), { code: "22001" });
      },
    };
    const h = await start({ store: Object.assign(Object.create(bed.embedded.store), store) });
    const { task } = await h.submit("hello");
    await h.join();
    expect(await bed.embedded.store.getTask(task.taskId)).toMatchObject({
      status: "failed",
      attempts: 1,
      errorMessage: "value too long for type character varying(10)",
    });
    expect(h.broker.deadLetters(h.queue)).toHaveLength(1);
    expect(h.worker.stats).toMatchObject({ nacked: 1 });
  });

  it("leaves a task handed back at shutdown for the next worker, which completes it", async () => {
    // No retries left: a hand-back at shutdown is no failure, so the task is not marked failed.
    const h = await start({ concurrency: 1, maxRetries: 0 });
    bed.fake.enqueue({ delayMs: 5_000, content: "too late" });
    const { task } = await h.submit("slow one");
    await bed.fake.waitFor((requests) => requests.length === 1);
    await h.worker.stop({ timeoutMs: 20 });
    await bed.fake.waitFor((requests) => requests[0]!.aborted);
    const interrupted = await bed.embedded.store.getTask(task.taskId);
    expect(interrupted).toMatchObject({ status: "running", attempts: 1, errorMessage: null });

    await h.startWorker();
    await h.join();
    expect(await bed.embedded.store.getTask(task.taskId)).toMatchObject({
      status: "completed",
      attempts: 2,
      result: expect.objectContaining({ answer: "Fake answer to: slow one" }),
    });
    expect(h.broker.deadLetters(h.queue)).toHaveLength(0);
  });
});
