/**
 * `ops-core submit <goal>`: stores and enqueues an agent task; with `--wait`, follows it to a
 * terminal status and prints the answer.
 *
 * @module
 */

import { TaskValidationError } from "../../errors.js";
import { submitTask } from "../../scheduler.js";
import { validateSubmitRequest } from "../../submit-request.js";
import { isTerminalStatus, type JsonObject, type Task } from "../../task.js";
import type { TaskStore } from "../../task-store-interface.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { answerOf } from "../format.js";
import { type CliIo, configOf } from "../io.js";
import { withStore } from "./open-store.js";

/** Options of {@link submitCommand}. */
export interface SubmitFlags {
  /** Task type. */
  type: string;
  /** Extra input fields, as a JSON object. */
  input?: string;
  /** Label. */
  name?: string;
  /** The task id (an idempotent submission). */
  id?: string;
  /** Follow the task until it finishes. */
  wait?: boolean;
  /** Longest wait, in seconds. */
  timeout: number;
  /** How often to look at the task while waiting, in ms. @default 200 */
  pollMs?: number;
}

/**
 * Submits the task (validated before anything is opened) and prints `<id> <status>` lines.
 *
 * @returns 0, or with `--wait` 0 when the task completed and 1 when it failed or was cancelled
 */
export async function submitCommand(goal: string, flags: SubmitFlags, io: CliIo): Promise<ExitCode> {
  const request = validateSubmitRequest({
    taskType: flags.type,
    inputData: { ...parseInput(flags.input), goal },
    ...(flags.name === undefined ? {} : { name: flags.name }),
    ...(flags.id === undefined ? {} : { taskId: flags.id }),
  });
  const config = configOf(io);
  return withStore(config, "submit", async (store) => {
    let closeBroker: (() => Promise<void>) | undefined;
    try {
      const task = await submitTask(request, {
        store,
        enqueue: async (taskId) => {
          const actors = await import("../../actors/index.js");
          closeBroker = () => actors.broker.close();
          await actors.enqueueTask(actors.executeAgentTask, taskId);
        },
      });
      io.out(`${task.taskId} ${task.status}`);
      // The message is confirmed; the connection is no longer needed while waiting.
      await closeBroker?.();
      closeBroker = undefined;
      return flags.wait ? await follow(store, task, flags, io) : ExitCode.OK;
    } finally {
      await closeBroker?.().catch(() => {});
    }
  });
}

function parseInput(text: string | undefined): JsonObject {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TaskValidationError("--input", `not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TaskValidationError("--input", "must be a JSON object such as '{\"maxSteps\": 4}'");
  }
  if ("goal" in value) {
    throw new TaskValidationError("--input", "must not contain goal (the goal is the command's argument)");
  }
  return value as JsonObject;
}

/** Prints each status change until the task is terminal or the timeout passes. */
async function follow(store: TaskStore, submitted: Task, flags: SubmitFlags, io: CliIo): Promise<ExitCode> {
  const deadline = Date.now() + flags.timeout * 1000;
  let shown = `${submitted.status}`;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, flags.pollMs ?? 200));
    const task = await store.getTask(submitted.taskId);
    const state = task.status === "running" ? `running (attempt ${task.attempts})` : task.status;
    if (state !== shown) {
      io.out(`${task.taskId} ${state}`);
      shown = state;
    }
    if (isTerminalStatus(task.status)) {
      if (task.status === "completed") {
        io.out(`answer: ${answerOf(task) ?? JSON.stringify(task.result)}`);
        return ExitCode.OK;
      }
      io.err(`ops-core: task ${task.taskId} ${task.status}: ${task.errorMessage ?? "no reason recorded"}`);
      return ExitCode.FAILED;
    }
    if (Date.now() >= deadline) {
      throw new CliError(
        `task ${task.taskId} is still ${task.status} after ${flags.timeout} s; it keeps going (see \`ops-core status ${task.taskId}\`)`,
        ExitCode.FAILED,
      );
    }
  }
}
