/**
 * `ops-core submit --wait`: follows a task to a terminal status. On a terminal, one status line
 * is rewritten in place (status, attempt, elapsed); when stdout is piped, a plain line is printed
 * at each change. A task still `pending` after a few seconds gets one hint saying whether any
 * worker consumes its queue.
 *
 * @module
 */
import type { TaskStore } from "../../db/task-store.js";
import { isTerminalStatus, type Task } from "../../task.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { answerOf, formatDuration } from "../format.js";
import type { CliIo } from "../io.js";

/** How the task is followed. */
export interface FollowOptions {
  /** Longest wait, in seconds. */
  timeoutS: number;
  /** How often to look at the task, in ms. @default 200 */
  pollMs?: number;
  /** How long a task may stay `pending` before the hint. @default 5000 */
  hintAfterMs?: number;
  /** The queue the task's message went to, named in the hint. */
  queue: string;
  /** How many consumers the queue has; without it (or when it fails) no hint is given. */
  consumersOf?: () => Promise<number>;
}

/** The hint for a task pending with `consumers` consumers on `queue`. */
export function pendingHint(queue: string, consumers: number): string {
  if (consumers > 0) {
    return `${consumers} worker${consumers === 1 ? " is" : "s are"} consuming ${queue}; the task waits for a free slot`;
  }
  const env = queue === "agent_tasks" ? "" : `OPS_CORE_QUEUE=${queue} `;
  return `no worker is consuming ${queue}: start \`${env}opsq worker ops-core/actors\``;
}

/**
 * Polls the task until it is terminal or `timeoutS` passes.
 *
 * @returns 0 when it completed (its answer printed), 1 when it failed or was cancelled
 * @throws CliError (exit 1) when the wait times out
 */
export async function followTask(
  store: Pick<TaskStore, "getTask">,
  submitted: Task,
  options: FollowOptions,
  io: CliIo,
): Promise<ExitCode> {
  const started = Date.now();
  const deadline = started + options.timeoutS * 1000;
  const hintAt = started + (options.hintAfterMs ?? 5_000);
  let hinted = false;
  let shown = stateOf(submitted);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 200));
    const task = await store.getTask(submitted.taskId);
    const state = stateOf(task);
    if (io.live) {
      io.live(`${task.taskId} ${state} · ${formatDuration(Date.now() - started)}`);
    } else if (state !== shown) {
      io.out(`${task.taskId} ${state}`);
    }
    shown = state;
    if (isTerminalStatus(task.status)) {
      io.live?.("");
      if (task.status === "completed") {
        if (io.live) io.out(`${task.taskId} completed in ${formatDuration(Date.now() - started)}`);
        io.out(`answer: ${answerOf(task) ?? JSON.stringify(task.result)}`);
        return ExitCode.OK;
      }
      if (io.live) io.out(`${task.taskId} ${task.status}`);
      io.err(`ops-core: task ${task.taskId} ${task.status}: ${task.errorMessage ?? "no reason recorded"}`);
      return ExitCode.FAILED;
    }
    if (!hinted && task.status === "pending" && Date.now() >= hintAt && options.consumersOf) {
      hinted = true;
      const consumers = await options.consumersOf().catch(() => undefined);
      if (consumers !== undefined) {
        io.live?.("");
        io.err(`ops-core: ${pendingHint(options.queue, consumers)}`);
      }
    }
    if (Date.now() >= deadline) {
      io.live?.("");
      throw new CliError(
        `task ${task.taskId} is still ${task.status} after ${options.timeoutS} s; it keeps going (see \`ops-core status ${task.taskId}\`)`,
        ExitCode.FAILED,
      );
    }
  }
}

function stateOf(task: Task): string {
  return task.status === "running" ? `running (attempt ${task.attempts})` : task.status;
}
