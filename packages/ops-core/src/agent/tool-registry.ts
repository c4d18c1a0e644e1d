/**
 * The tools available to one agent run, and the safe way to call them: unknown tools, bad JSON,
 * invalid arguments and tool exceptions all become a {@link ToolOutcome} error (fed back to the
 * model), never an exception that ends the run. Only an abort propagates.
 *
 * @module
 */
import type { JsonValue } from "../task.js";
import type { ToolCall, ToolDefinition } from "./llm-client.js";
import { type Tool, type ToolContext, toToolDefinition } from "./tool.js";

/** Result of {@link ToolRegistry.execute}. */
export type ToolOutcome = { ok: true; output: JsonValue } | { ok: false; error: string };

/** A set of tools with unique names. */
export class ToolRegistry {
  readonly #tools = new Map<string, Tool>();

  /** @param tools initial tools (names must be unique) */
  constructor(tools: Iterable<Tool> = []) {
    for (const tool of tools) this.register(tool);
  }

  /**
   * Adds a tool.
   *
   * @throws {TypeError} when a tool with that name is already registered
   */
  register(tool: Tool): this {
    if (this.#tools.has(tool.name)) throw new TypeError(`tool "${tool.name}" is already registered`);
    this.#tools.set(tool.name, tool);
    return this;
  }

  /** The tool called `name`, if registered. */
  get(name: string): Tool | undefined {
    return this.#tools.get(name);
  }

  /** Every registered tool, in registration order. */
  list(): Tool[] {
    return [...this.#tools.values()];
  }

  /** The tools as offered to the model. */
  definitions(): ToolDefinition[] {
    return this.list().map(toToolDefinition);
  }

  /**
   * Parses and validates the call's arguments and runs the tool. Errors are short texts for the
   * model (`unknown tool "x"`, `arguments are not valid JSON`, `invalid arguments: …`, or the
   * tool's own error message).
   *
   * @throws only the signal's reason, when `context.signal` is aborted
   */
  async execute(call: ToolCall, context: ToolContext): Promise<ToolOutcome> {
    const tool = this.#tools.get(call.name);
    if (!tool) return { ok: false, error: `unknown tool "${call.name}"` };
    let raw: unknown;
    try {
      raw = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
    } catch {
      return { ok: false, error: "arguments are not valid JSON" };
    }
    const parsed = tool.input.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
      return { ok: false, error: `invalid arguments: ${where}${issue?.message ?? "invalid"}` };
    }
    try {
      const output = await tool.execute(parsed.data, context);
      return { ok: true, output };
    } catch (error) {
      context.signal.throwIfAborted();
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, error: message };
    }
  }
}
