/**
 * The agent loop, with native tool calling:
 *
 * ```text
 * [system, user goal] → model → tool calls? ─ no → final answer
 *                         ↑           │ yes
 *                         └── tool results (role "tool"), after the security check
 * ```
 *
 * Every model call is one step; after `maxSteps` without a final answer the run stops with
 * outcome `step_limit`. Tool problems (denied, unknown, bad arguments, exceptions) are fed back
 * to the model as the tool's result and recorded; they never end the run. An aborted signal
 * ends it by throwing the signal's reason.
 *
 * @module
 */
import { type Context, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { JsonValue } from "../task.js";
import type { ChatMessage, LlmClient, TokenUsage, ToolCall } from "./llm-client.js";
import { AllowAllSecurityManager, type SecurityManager } from "./security.js";
import { ShortTermMemory } from "./short-term-memory.js";
import { inSpan } from "./spans.js";
import type { Tool } from "./tool.js";
import { ToolRegistry } from "./tool-registry.js";

/** Default {@link RunAgentOptions.maxSteps}. */
export const DEFAULT_MAX_STEPS = 8;

/** Default {@link RunAgentOptions.systemPrompt}. */
export const DEFAULT_SYSTEM_PROMPT =
  "You are an operations agent. Use the available tools when they help, then give a short, direct final answer.";

/** Options of {@link runAgent}. */
export interface RunAgentOptions {
  /** What the agent should achieve (sent as the user message). */
  goal: string;
  /** The model. */
  llm: LlmClient;
  /** Tools the model may call. @default none */
  tools?: ToolRegistry | readonly Tool[];
  /** Checks every tool call before it runs. @default AllowAllSecurityManager */
  security?: SecurityManager;
  /** Most model calls in one run. @default 8 */
  maxSteps?: number;
  /** Cancels the run (and the in-flight HTTP request). */
  signal: AbortSignal;
  /** Model override for this run. @default the client's model */
  model?: string;
  /** System message. @default DEFAULT_SYSTEM_PROMPT */
  systemPrompt?: string;
  /** Where the conversation is recorded; pass one to keep the history if the run is aborted. */
  memory?: ShortTermMemory;
  /** Parent of the run's OpenTelemetry spans (one per LLM call and tool call). @default the active context */
  traceContext?: Context;
}

/** One tool call the model made, and what came of it. */
export interface AgentToolCallRecord {
  /** The step (model call) that requested it, from 1. */
  step: number;
  /** The model's call id. */
  id: string;
  /** Tool name. */
  name: string;
  /** Parsed arguments, or the raw text when it is not valid JSON. */
  arguments: JsonValue;
  /** Whether it ran and succeeded. */
  ok: boolean;
  /** The tool's output, when `ok`. */
  output?: JsonValue;
  /** Why it failed or was denied, when not `ok`. */
  error?: string;
}

/** What {@link runAgent} returns. */
export interface AgentRunResult {
  /** `answered` when the model gave a final answer, `step_limit` when it ran out of steps. */
  outcome: "answered" | "step_limit";
  /** The final answer (`null` on `step_limit`). */
  answer: string | null;
  /** How many model calls were made. */
  steps: number;
  /** The whole conversation, system message first. */
  messages: ChatMessage[];
  /** Every tool call, in order. */
  toolCalls: AgentToolCallRecord[];
  /** Token usage summed over all steps (zeros when the model reports none). */
  usage: TokenUsage;
  /** The model that produced the last turn. */
  model: string;
}

/**
 * Runs the agent loop until a final answer, the step limit, or an abort.
 *
 * @throws the signal's reason when aborted; the LLM client's error when a request fails
 */
export async function runAgent(options: RunAgentOptions): Promise<AgentRunResult> {
  const { goal, llm, signal } = options;
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) {
    throw new RangeError(`maxSteps must be a whole number of at least 1 (got ${maxSteps})`);
  }
  const registry =
    options.tools instanceof ToolRegistry ? options.tools : new ToolRegistry(options.tools ?? []);
  const security = options.security ?? new AllowAllSecurityManager();
  const memory = options.memory ?? new ShortTermMemory();
  const definitions = registry.definitions();
  const toolCalls: AgentToolCallRecord[] = [];
  const usage: TokenUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  let model = options.model ?? llm.model;

  memory.add({ role: "system", content: options.systemPrompt ?? DEFAULT_SYSTEM_PROMPT });
  memory.add({ role: "user", content: goal });
  for (let step = 1; step <= maxSteps; step++) {
    signal.throwIfAborted();
    const requestModel = options.model ?? llm.model;
    const reply = await inSpan(
      {
        name: `chat ${requestModel}`,
        kind: SpanKind.CLIENT,
        attributes: { "gen_ai.operation.name": "chat", "gen_ai.request.model": requestModel },
        parent: options.traceContext,
      },
      async (span) => {
        const result = await llm.chat(memory.messages(), {
          signal,
          ...(definitions.length ? { tools: definitions } : {}),
          ...(options.model ? { model: options.model } : {}),
        });
        span.setAttributes({
          "gen_ai.response.model": result.model,
          "gen_ai.response.finish_reasons": [result.finishReason],
          ...(result.usage
            ? {
                "gen_ai.usage.input_tokens": result.usage.promptTokens,
                "gen_ai.usage.output_tokens": result.usage.completionTokens,
              }
            : {}),
        });
        return result;
      },
    );
    model = reply.model;
    addUsage(usage, reply.usage);
    memory.add({
      role: "assistant",
      content: reply.content,
      ...(reply.toolCalls.length ? { toolCalls: reply.toolCalls } : {}),
    });
    if (reply.toolCalls.length === 0) {
      const result = { outcome: "answered" as const, answer: reply.content ?? "", steps: step };
      return { ...result, messages: memory.messages(), toolCalls, usage, model };
    }
    for (const call of reply.toolCalls) {
      const record = await inSpan(
        {
          name: `execute_tool ${call.name}`,
          attributes: {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": call.name,
            "gen_ai.tool.call.id": call.id,
          },
          parent: options.traceContext,
        },
        async (span) => {
          const done = await runToolCall(call, step, { goal, registry, security, signal });
          if (!done.ok) {
            // Fed back to the model, not thrown: the span still says the call failed.
            span.setStatus({ code: SpanStatusCode.ERROR, message: done.error ?? "failed" });
          }
          return done;
        },
      );
      toolCalls.push(record);
      memory.add({
        role: "tool",
        toolCallId: call.id,
        name: call.name,
        content: record.ok ? toContent(record.output ?? null) : JSON.stringify({ error: record.error }),
      });
    }
  }
  return {
    outcome: "step_limit",
    answer: null,
    steps: maxSteps,
    messages: memory.messages(),
    toolCalls,
    usage,
    model,
  };
}

async function runToolCall(
  call: ToolCall,
  step: number,
  context: { goal: string; registry: ToolRegistry; security: SecurityManager; signal: AbortSignal },
): Promise<AgentToolCallRecord> {
  const args = parseArguments(call.arguments);
  const base = { step, id: call.id, name: call.name, arguments: args };
  const decision = await context.security.checkToolCall({
    toolName: call.name,
    arguments: args,
    goal: context.goal,
  });
  if (!decision.allowed) return { ...base, ok: false, error: `permission denied: ${decision.reason}` };
  const outcome = await context.registry.execute(call, { signal: context.signal });
  return outcome.ok
    ? { ...base, ok: true, output: outcome.output }
    : { ...base, ok: false, error: outcome.error };
}

function parseArguments(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

function toContent(output: JsonValue): string {
  return typeof output === "string" ? output : JSON.stringify(output);
}

function addUsage(total: TokenUsage, usage: TokenUsage | undefined): void {
  if (!usage) return;
  total.promptTokens += usage.promptTokens;
  total.completionTokens += usage.completionTokens;
  total.totalTokens += usage.totalTokens;
}
