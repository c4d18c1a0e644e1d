/**
 * `ops-core submit <goal>`: stores and enqueues an agent task; with `--wait`, follows it to a
 * terminal status and prints the answer. When RabbitMQ is unreachable the task is stored anyway,
 * with its message in the outbox (a worker's relay sends it later): the command says so on
 * stderr and exits 0.
 *
 * @module
 */
import { TaskValidationError } from "../../errors.js";
import { validateSubmitRequest } from "../../submit-request.js";
import { submitTask } from "../../submit-task.js";
import type { JsonObject } from "../../task.js";
import { ExitCode } from "../exit-codes.js";
import { type CliIo, configOf } from "../io.js";
import { followTask } from "./follow-task.js";
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
  /** How long a task may stay pending before the hint about consumers, in ms. @default 5000 */
  hintAfterMs?: number;
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
    const { RabbitmqBroker } = await import("opsq");
    const broker = new RabbitmqBroker({ url: config.rabbitmqUrl });
    // A passive declare: counts the consumers without creating anything.
    const consumersOf = async () => (await broker.inspectQueue(config.actor.queue)).consumers;
    try {
      const task = await submitTask(request, { store, broker, queue: config.actor.queue });
      io.out(`${task.taskId} ${task.status}`);
      if (task.delivery === "deferred") {
        io.err(
          `ops-core: RabbitMQ is unreachable (${task.deliveryError}); task ${task.taskId} is stored and its message will be sent when RabbitMQ is back (a worker's outbox relay sends it)`,
        );
      }
      if (!flags.wait) return ExitCode.OK;
      return await followTask(
        store,
        task,
        {
          timeoutS: flags.timeout,
          pollMs: flags.pollMs,
          hintAfterMs: flags.hintAfterMs,
          queue: config.actor.queue,
          consumersOf,
        },
        io,
      );
    } finally {
      await broker.close().catch(() => {});
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
