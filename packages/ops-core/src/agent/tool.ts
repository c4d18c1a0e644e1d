/**
 * Tools the agent can call: a name, a description for the model, a zod schema for the
 * arguments (sent to the model as JSON Schema via `z.toJSONSchema()`), and `execute`.
 *
 * @module
 */
import { z } from "zod";
import type { JsonValue } from "../task.js";
import type { ToolDefinition } from "./llm-client.js";

/** What a tool receives besides its arguments. */
export interface ToolContext {
  /** Aborted when the agent run is cancelled or times out; long tools should honour it. */
  signal: AbortSignal;
}

/**
 * A tool. Prefer {@link defineTool}, which infers `Input` from the schema.
 *
 * @typeParam Input the validated arguments type
 */
export interface Tool<Input = unknown> {
  /** Name the model calls it by (`^[a-zA-Z0-9_-]{1,64}$`). */
  readonly name: string;
  /** What it does and when to use it, for the model. */
  readonly description: string;
  /** Validates the model's arguments before `execute` sees them. */
  readonly input: z.ZodType<Input>;
  /** Runs the tool; a thrown error becomes a tool error message for the model. */
  execute(input: Input, context: ToolContext): Promise<JsonValue> | JsonValue;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Declares a tool with its arguments type inferred from `input`.
 *
 * @example
 * const echo = defineTool({
 *   name: "echo",
 *   description: "Returns the text it is given.",
 *   input: z.object({ text: z.string() }),
 *   execute: ({ text }) => ({ text }),
 * });
 * @throws {TypeError} when the name is not valid for the OpenAI tools API
 */
export function defineTool<Schema extends z.ZodType>(spec: {
  name: string;
  description: string;
  input: Schema;
  execute(input: z.output<Schema>, context: ToolContext): Promise<JsonValue> | JsonValue;
}): Tool<z.output<Schema>> {
  if (!TOOL_NAME.test(spec.name)) {
    throw new TypeError(`tool name "${spec.name}" must match ${TOOL_NAME} (letters, digits, _ and -)`);
  }
  return {
    name: spec.name,
    description: spec.description,
    input: spec.input as z.ZodType<z.output<Schema>>,
    execute: spec.execute,
  };
}

/** Definitions already computed, per tool object (tools are immutable once defined). */
const definitions = new WeakMap<Tool, ToolDefinition>();

/**
 * The tool as offered to the model: its argument schema as JSON Schema (without `$schema`).
 * Computed once per tool object and then reused, frozen (every agent run offers the same tools).
 */
export function toToolDefinition(tool: Tool): ToolDefinition {
  let definition = definitions.get(tool);
  if (!definition) {
    const { $schema: _ignored, ...parameters } = z.toJSONSchema(tool.input, { io: "input" }) as Record<
      string,
      unknown
    >;
    definition = deepFreeze({ name: tool.name, description: tool.description, parameters });
    definitions.set(tool, definition);
  }
  return definition;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
