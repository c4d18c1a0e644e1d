/**
 * How the fake OpenAI-compatible server (`fake-llm.ts`) decides and shapes its answers: the
 * wire types, the `[[…]]` directives in the last user message, and the completion body.
 */

/** A scripted reply (see `FakeLlm.enqueue`). */
export interface FakeReply {
  /** HTTP status; non-2xx sends an OpenAI-style error body. @default 200 */
  status?: number;
  /** Assistant text. @default null when toolCalls are given, else "Fake scripted answer" */
  content?: string | null;
  /** Tool calls to request; `arguments` may be an object (JSON-encoded for you) or raw text. */
  toolCalls?: { id?: string; name: string; arguments?: unknown }[];
  /** @default "tool_calls" with tool calls, else "stop" */
  finishReason?: string;
  /** Wait this long before answering (aborts are detected meanwhile). */
  delayMs?: number;
}

/** A chat message as the OpenAI wire format has it. */
export interface WireMessage {
  role: string;
  content?: string | null | { type: string; text?: string }[];
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

const DIRECTIVE = /\[\[(delay|status|tool):([^\]]*(?:\][^\]][^\]]*)*)\]\]/g;

/** Counters that make directives stateful (`[[status:500x2]]`) and call ids unique. */
export class ReplyState {
  readonly #statusCounts = new Map<string, number>();
  #counter = 0;

  /** How many times `key` was seen before this call. */
  countStatus(key: string): number {
    const seen = this.#statusCounts.get(key) ?? 0;
    this.#statusCounts.set(key, seen + 1);
    return seen;
  }

  /** A fresh number for ids. */
  next(): number {
    return ++this.#counter;
  }

  /** Forgets the directive counters. */
  reset(): void {
    this.#statusCounts.clear();
  }
}

/**
 * The reply the directives in the last user message ask for; directives apply in order, and
 * the default is `Fake answer to: <message without directives>`.
 */
export function replyFromDirectives(messages: WireMessage[], state: ReplyState): FakeReply {
  const lastUserIndex = messages.map((m) => m.role).lastIndexOf("user");
  const userText = textOf(messages[lastUserIndex]);
  const cleaned = userText.replace(DIRECTIVE, "").replace(/\s+/g, " ").trim();
  let delay: { delayMs?: number } = {};
  for (const [, kind, value = ""] of userText.matchAll(DIRECTIVE)) {
    if (kind === "delay") delay = { delayMs: Number(value) };
    if (kind === "status") {
      const [code, times] = value.split("x");
      const seen = state.countStatus(`${value}|${userText}`);
      if (times === undefined || seen < Number(times)) return { status: Number(code), ...delay };
    }
    if (kind === "tool") {
      const split = value.indexOf(":");
      const name = split === -1 ? value : value.slice(0, split);
      const args: unknown = split === -1 ? { text: cleaned } : JSON.parse(value.slice(split + 1));
      const result = messages
        .slice(lastUserIndex + 1)
        .filter((m) => m.role === "tool")
        .at(-1);
      if (!result) return { toolCalls: [{ name, arguments: args }], ...delay };
      return { content: `Tool ${name} returned: ${textOf(result)}`, ...delay };
    }
  }
  return { content: `Fake answer to: ${cleaned}`, ...delay };
}

/** A `chat.completion` body for `reply`. */
export function completionBody(model: string, reply: FakeReply, state: ReplyState): object {
  const toolCalls = (reply.toolCalls ?? []).map((call) => ({
    id: call.id ?? `call_fake_${state.next()}`,
    type: "function",
    function: {
      name: call.name,
      arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments ?? {}),
    },
  }));
  const content =
    reply.content !== undefined ? reply.content : toolCalls.length ? null : "Fake scripted answer";
  return {
    id: `chatcmpl-fake-${state.next()}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
        finish_reason: reply.finishReason ?? (toolCalls.length ? "tool_calls" : "stop"),
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  };
}

/** An OpenAI-style error body for `status`. */
export function errorBody(status: number): object {
  const type =
    status === 401
      ? "authentication_error"
      : status === 429
        ? "rate_limit_error"
        : status >= 500
          ? "server_error"
          : "invalid_request_error";
  return { error: { message: `fake error ${status}`, type, code: null } };
}

function textOf(message: WireMessage | undefined): string {
  const content = message?.content;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part) => part.text ?? "").join("");
  return "";
}
