/**
 * What an `agent_task`'s `input_data` may contain, validated with zod. The scheduler checks it
 * on submit (so bad input is rejected before a row is written) and the worker checks it again
 * before running (rows may come from elsewhere).
 *
 * @module
 */
import { z } from "zod";
import { TaskInputError } from "./errors.js";
import { storableString } from "./storable-text.js";

/** The task type ops-core runs with an agent. */
export const AGENT_TASK_TYPE = "agent_task";

/** Schema of an agent task's `input_data`. `prompt` is accepted as an alias of `goal`. */
export const agentTaskInputSchema = z
  .object({
    goal: storableString().trim().min(1).max(20_000).optional(),
    prompt: storableString().trim().min(1).max(20_000).optional(),
    model: storableString().trim().min(1).max(200).optional(),
    maxSteps: z.number().int().min(1).max(50).optional(),
  })
  .refine((input) => input.goal !== undefined || input.prompt !== undefined, {
    message: "a non-empty goal (or prompt) string is required",
    path: ["goal"],
  });

/** Validated input of an agent task. */
export interface AgentTaskInput {
  /** What the agent should achieve. */
  goal: string;
  /** Model override for this task. */
  model?: string;
  /** Step limit for this task. */
  maxSteps?: number;
}

/**
 * Validates `inputData` and returns the goal and options.
 *
 * @throws {TaskInputError} one line naming the field, e.g. `input_data.goal: a non-empty goal (or prompt) string is required`
 */
export function parseAgentTaskInput(inputData: unknown): AgentTaskInput {
  const parsed = agentTaskInputSchema.safeParse(inputData);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = ["input_data", ...issue.path.map(String)].join(".");
    throw new TaskInputError(`${path}: ${issue.message}`);
  }
  const { goal, prompt, model, maxSteps } = parsed.data;
  return {
    goal: (goal ?? prompt)!,
    ...(model === undefined ? {} : { model }),
    ...(maxSteps === undefined ? {} : { maxSteps }),
  };
}
