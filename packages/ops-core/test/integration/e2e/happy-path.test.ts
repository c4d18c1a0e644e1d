/**
 * E2E (ops-core.md §4 scenarios 1, 2, 10, 13): the real worker subprocess on live RabbitMQ and
 * PostgreSQL with the fake LLM — happy path, transition order, tool calls, bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskValidationError } from "../../../src/errors.js";
import {
  E2E_API_KEY,
  E2E_MODEL,
  type E2eContext,
  openE2e,
  servicesAvailable,
  watchStatuses,
} from "../../helpers/e2e.js";

const available = await servicesAvailable();

describe.runIf(available)("E2E: tasks through opsq worker ops-core/actors", () => {
  let e2e: E2eContext;

  beforeAll(async () => {
    e2e = await openE2e();
  });
  afterAll(() => e2e?.close());

  it("runs a task pending → running → completed, stores the result and acks the message", async () => {
    const producer = await e2e.producer();
    const worker = await e2e.worker(producer.queue);
    const submitted = await producer.submit("[[delay:400]] Say hello to the E2E test");
    // The row as inserted (a fast worker may claim it before anyone else looks).
    expect(submitted).toMatchObject({ status: "pending", attempts: 0, startedAt: null });

    const { statuses, snapshots, final } = await watchStatuses(e2e.store, submitted.taskId);
    // Polling starts after the submit, so it sees a contiguous part of the lifecycle; the 400 ms
    // LLM delay makes `running` observable.
    const lifecycle = ["pending", "running", "completed"];
    expect(statuses).toEqual(lifecycle.slice(lifecycle.indexOf(statuses[0]!)));
    expect(statuses).toContain("running");
    expect(snapshots.find((snapshot) => snapshot.status === "running")!.startedAt).not.toBeNull();
    expect(final).toMatchObject({
      status: "completed",
      attempts: 1,
      errorMessage: null,
      workerId: expect.stringMatching(new RegExp(`:${worker.pid}$`)),
      result: expect.objectContaining({
        answer: "Fake answer to: Say hello to the E2E test",
        model: E2E_MODEL,
      }),
    });
    expect(final.createdAt <= final.startedAt!).toBe(true);
    expect(final.startedAt! <= final.completedAt!).toBe(true);
    expect(final.updatedAt > submitted.updatedAt).toBe(true);

    const requests = e2e.fake.chatRequests();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      model: E2E_MODEL,
      authorization: `Bearer ${E2E_API_KEY}`,
      status: 200,
      messages: [
        { role: "system", content: expect.any(String) },
        { role: "user", content: "[[delay:400]] Say hello to the E2E test" },
      ],
    });
    expect(requests[0]!.tools?.map((tool) => tool.function.name)).toEqual([
      "calculator",
      "current_time",
      "echo",
    ]);

    await producer.broker.join(producer.queue, { timeoutMs: 5_000 });
    expect(await producer.broker.getQueueCounts(producer.queue)).toEqual({
      ready: 0,
      delayed: 0,
      deadLettered: 0,
    });
    await worker.waitForLog((line) => line.msg === "task completed" && line.taskId === submitted.taskId);
    expect(worker.output()).not.toContain(E2E_API_KEY);
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  });

  it("runs a tool call: the second LLM request carries the tool result", async () => {
    e2e.fake.reset();
    const producer = await e2e.producer();
    await e2e.worker(producer.queue);
    const submitted = await producer.submit("[[tool:echo]] ping from e2e");
    const { final } = await watchStatuses(e2e.store, submitted.taskId);
    expect(final).toMatchObject({
      status: "completed",
      result: expect.objectContaining({
        answer: 'Tool echo returned: {"text":"ping from e2e"}',
        toolCalls: [expect.objectContaining({ name: "echo", ok: true, output: { text: "ping from e2e" } })],
      }),
    });
    const requests = e2e.fake.chatRequests();
    expect(requests).toHaveLength(2);
    expect(requests[1]!.messages.at(-2)).toMatchObject({
      role: "assistant",
      tool_calls: [{ function: { name: "echo", arguments: '{"text":"ping from e2e"}' } }],
    });
    expect(requests[1]!.messages.at(-1)).toMatchObject({ role: "tool", content: '{"text":"ping from e2e"}' });
  });

  it("runs a task once when it is submitted twice with the same id (a retry after a lost reply)", async () => {
    // Given a worker with room for both messages, and a slow LLM
    const producer = await e2e.producer();
    await e2e.worker(producer.queue, { concurrency: 4 });
    const request = {
      taskType: "agent_task",
      inputData: { goal: "[[delay:600]] Count me once" },
      taskId: `e2e-idem-${Date.now()}`,
    };

    // When the same submission is made twice (both messages reach the worker)
    const [first, second] = [await producer.submit(request), await producer.submit(request)];
    expect(second.taskId).toBe(first.taskId);

    // Then I expect one task, run once: one LLM request, one claim
    const { final } = await watchStatuses(e2e.store, first.taskId);
    expect(final).toMatchObject({ status: "completed", attempts: 1 });
    const runs = e2e.fake.chatRequests().filter((r) => JSON.stringify(r.messages).includes("Count me once"));
    expect(runs).toHaveLength(1);
  });

  it("rejects bad input up front: nothing stored, nothing enqueued", async () => {
    e2e.fake.reset();
    const producer = await e2e.producer();
    const before = await e2e.store.countTasks();
    for (const [request, message] of [
      [
        { taskType: "agent_task", inputData: {} },
        "inputData.goal: a non-empty goal (or prompt) string is required",
      ],
      [
        { taskType: "agent_run", inputData: { goal: "g" } },
        'taskType: unknown task type "agent_run" (known: agent_task)',
      ],
      [{ taskType: "agent_task", prompt: "g", inputData: {} }, "prompt: unknown field"],
    ] as const) {
      await expect(producer.submit(request as never)).rejects.toThrow(TaskValidationError);
      await expect(producer.submit(request as never)).rejects.toThrow(message);
    }
    expect(await e2e.store.countTasks()).toBe(before);
    expect(await producer.broker.getQueueCounts(producer.queue)).toEqual({
      ready: 0,
      delayed: 0,
      deadLettered: 0,
    });
    expect(e2e.fake.chatRequests()).toHaveLength(0);
  });
});
