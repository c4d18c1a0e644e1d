/**
 * `OfflineLlmClient` — a deterministic, rule-based stand-in for a language model, used when no
 * `OPS_LLM_BASE_URL` is configured (demos, tests, machines without network). It is NOT a
 * language model: it recognises a few patterns in the goal and always labels its answers with
 * its model name, `opsq-offline-demo`.
 *
 * It exercises the same native tool-calling path as a real model:
 * 1. On the goal turn, if an offered tool fits — `calculator` for an arithmetic expression,
 *    `current_time` for a question about the time or date, `echo` for "echo"/"repeat" — it
 *    requests that tool call.
 * 2. After tool results, it answers by quoting them.
 * 3. Otherwise it answers directly, restating the goal.
 *
 * @module
 */
import type { ChatMessage, ChatOptions, ChatResult, LlmClient, TokenUsage, ToolCall } from "./llm-client.js";

/** The offline model's name, shown in every answer. */
export const OFFLINE_MODEL = "opsq-offline-demo";

/** An arithmetic expression inside free text: digits and operators, with at least one operator. */
const ARITHMETIC = /[-+(]*\s*\d[\d\s.+\-*/%^()]*/g;
const HAS_OPERATOR = /\d\s*\)*\s*[-+*/%^]\s*[-+(]*\s*\.?\d/;
const TIME_WORDS = /\b(time|date|today|now|clock|day)\b/i;
const ECHO_WORDS = /\b(echo|repeat)\b/i;

/** Deterministic offline "model"; see the module comment for its rules. */
export class OfflineLlmClient implements LlmClient {
  /** Always {@link OFFLINE_MODEL}. */
  readonly model = OFFLINE_MODEL;

  /** Produces the next turn from the rules above; throws the signal's reason if aborted. */
  async chat(messages: readonly ChatMessage[], options: ChatOptions): Promise<ChatResult> {
    options.signal.throwIfAborted();
    const last = messages.at(-1);
    const offered = new Set((options.tools ?? []).map((tool) => tool.name));
    if (last?.role === "tool") return this.#reply(messages, answerFromToolResults(messages));
    const goal = [...messages].reverse().find((message) => message.role === "user")?.content ?? "";
    const call = chooseToolCall(goal, offered, messages);
    if (call) return this.#reply(messages, null, [call]);
    return this.#reply(
      messages,
      `[${OFFLINE_MODEL}] No tool was needed. Goal received: "${goal}". ` +
        "(Offline demo model: set OPS_LLM_BASE_URL to use a real one.)",
    );
  }

  #reply(messages: readonly ChatMessage[], content: string | null, toolCalls: ToolCall[] = []): ChatResult {
    return {
      content,
      toolCalls,
      usage: estimateUsage(messages, content ?? JSON.stringify(toolCalls)),
      finishReason: toolCalls.length ? "tool_calls" : "stop",
      model: OFFLINE_MODEL,
    };
  }
}

function chooseToolCall(
  goal: string,
  offered: Set<string>,
  messages: readonly ChatMessage[],
): ToolCall | undefined {
  const id = `offline_call_${messages.filter((message) => message.role === "assistant").length + 1}`;
  const expression = findExpression(goal);
  if (offered.has("calculator") && expression) {
    return { id, name: "calculator", arguments: JSON.stringify({ expression }) };
  }
  if (offered.has("current_time") && TIME_WORDS.test(goal)) {
    return { id, name: "current_time", arguments: "{}" };
  }
  if (offered.has("echo") && ECHO_WORDS.test(goal)) {
    const quoted = /"([^"]*)"|'([^']*)'/.exec(goal);
    const text = quoted ? (quoted[1] ?? quoted[2] ?? "") : goal;
    return { id, name: "echo", arguments: JSON.stringify({ text }) };
  }
  return undefined;
}

/** The longest run of digits and operators in `text` that contains an operator. */
function findExpression(text: string): string | undefined {
  let best: string | undefined;
  for (const match of text.matchAll(ARITHMETIC)) {
    const candidate = match[0].trim().replace(/[-+*/%^(\s.]+$/, "");
    if (HAS_OPERATOR.test(candidate) && candidate.length > (best?.length ?? 0)) best = candidate;
  }
  return best;
}

/** Quotes the results of the last round of tool calls. */
function answerFromToolResults(messages: readonly ChatMessage[]): string {
  const results: string[] = [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role !== "tool") break;
    results.unshift(`${message.name} returned ${message.content}`);
  }
  return `[${OFFLINE_MODEL}] ${results.join("; ")}.`;
}

/** A rough, deterministic token estimate (4 characters per token), not a real tokenizer. */
function estimateUsage(messages: readonly ChatMessage[], output: string): TokenUsage {
  const promptChars = messages.reduce((sum, message) => sum + (message.content?.length ?? 0), 0);
  const promptTokens = Math.ceil(promptChars / 4);
  const completionTokens = Math.ceil(output.length / 4);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}
