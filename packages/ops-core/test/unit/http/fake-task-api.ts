/**
 * An in-memory {@link TaskApi} for the server's unit tests: submit stores a pending task
 * (idempotent by id), list pages newest first, cancel refuses a finished task, watch polls.
 */
import { isDeepStrictEqual } from "node:util";
import { TaskNotFoundError } from "../../../src/errors.js";
import { pollTaskStatus } from "../../../src/http/poll-task-status.js";
import { type TaskApi, TaskConflictError } from "../../../src/http/task-api.js";
import { isTerminalStatus, type Task } from "../../../src/task.js";

/** The fake and the tasks it holds (newest last). */
export interface FakeTaskApi extends TaskApi {
  tasks: Task[];
  /** Sets fields of a stored task (e.g. its status). */
  update(taskId: string, changes: Partial<Task>): void;
}

/** A fresh fake. */
export function fakeTaskApi(): FakeTaskApi {
  const tasks: Task[] = [];
  let clock = Date.parse("2026-01-01T00:00:00.000Z");
  const find = (taskId: string) => tasks.find((task) => task.taskId === taskId);
  const get = async (taskId: string) => {
    const task = find(taskId);
    if (!task) throw new TaskNotFoundError(taskId);
    return { ...task };
  };
  return {
    tasks,
    update(taskId, changes) {
      Object.assign(find(taskId)!, changes);
    },
    async submit(request) {
      const existing = request.taskId === undefined ? undefined : find(request.taskId);
      if (existing) {
        if (!isDeepStrictEqual(existing.inputData, request.inputData)) {
          throw new TaskConflictError(
            existing.taskId,
            `task "${existing.taskId}" already exists with a different request`,
          );
        }
        return { task: { ...existing }, created: false };
      }
      clock += 1000;
      const at = new Date(clock).toISOString();
      const task: Task = {
        taskId: request.taskId ?? `task_${tasks.length + 1}`,
        taskType: request.taskType,
        name: request.name ?? null,
        status: "pending",
        createdAt: at,
        updatedAt: at,
        startedAt: null,
        completedAt: null,
        inputData: request.inputData,
        result: null,
        errorMessage: null,
        attempts: 0,
        workerId: null,
        heartbeatAt: null,
      };
      tasks.push(task);
      return { task: { ...task }, created: true };
    },
    get,
    async list(filter, afterTaskId, limit) {
      let rows = [...tasks].reverse().filter((task) => !filter.status || task.status === filter.status);
      if (afterTaskId !== undefined)
        rows = rows.slice(rows.findIndex((task) => task.taskId === afterTaskId) + 1);
      const page = rows.slice(0, limit);
      return { tasks: page, nextAfterTaskId: rows.length > limit ? page[page.length - 1]!.taskId : null };
    },
    async cancel(taskId) {
      const task = find(taskId);
      if (!task) throw new TaskNotFoundError(taskId);
      if (isTerminalStatus(task.status))
        throw new TaskConflictError(taskId, `task ${taskId} is already ${task.status}`);
      task.status = "cancelled";
      return { ...task };
    },
    watch: (taskId, signal) => pollTaskStatus(() => get(taskId), { signal, intervalMs: 10 }),
  };
}
