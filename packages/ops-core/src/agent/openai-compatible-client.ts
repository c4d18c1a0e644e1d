/**
 * {@link LlmClient} for any OpenAI-compatible endpoint (OpenAI, OpenRouter, Ollama, vLLM,
 * llama.cpp server, …): `POST {baseUrl}/chat/completions` with native tool calling.
 *
 * It speaks the wire format itself over a keep-alive `node:http(s)` agent (see `json-post.ts`)
 * instead of the `openai` SDK over fetch, which cost about 0.3 ms of CPU per request; the
 * behaviour is the SDK's: a bearer key (a placeholder when none is configured), a per-attempt
 * timeout, retries of connection errors, timeouts, 408, 409, 429 and 5xx (`maxRetries`), and
 * the caller's AbortSignal cancelling the HTTP request. What still fails is thrown as an
 * {@link LlmRequestError}, without secrets; a base URL with credentials in it is refused with a
 * {@link ConfigError} (permanent) on the first request.
 *
 * @module
 */
import { ConfigError, LlmRequestError } from "../errors.js";
import { redactError, redactUrl, redactUrlValue } from "../redact.js";
import { JsonPoster, JsonPostFailure } from "./json-post.js";
import type {
  ChatMessage,
  ChatOptions,
  ChatResult,
  LlmClient,
  ToolCall,
  ToolDefinition,
} from "./llm-client.js";

/** Options of {@link OpenAiCompatibleClient}. */
export interface OpenAiCompatibleClientOptions {
  /** Base URL including the version prefix, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  /**
   * Bearer token. Local servers often need none; a placeholder is then sent, as the `openai`
   * SDK did.
   */
  apiKey?: string;
  /** Default model name. */
  model: string;
  /** Retries per request on connection errors, timeouts, 408, 409, 429 and 5xx. @default 2 */
  maxRetries?: number;
  /** Per-attempt HTTP timeout. @default 60000 */
  requestTimeoutMs?: number;
}

/** Sent when no API key is configured. */
const PLACEHOLDER_API_KEY = "no-key-configured";

/** A Chat Completions message in the wire format. */
type WireMessage = Record<string, unknown>;

/** The parts of a Chat Completions response this client reads. */
interface WireCompletion {
  model?: string;
  choices?: {
    finish_reason?: string | null;
    message?: {
      content?: string | null;
      tool_calls?: { id: string; type: string; function?: { name: string; arguments: string } }[];
    };
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** Chat client speaking the OpenAI Chat Completions API with native tool calling. */
export class OpenAiCompatibleClient implements LlmClient {
  /** Default model for requests. */
  readonly model: string;
  readonly #options: OpenAiCompatibleClientOptions;
  #poster: JsonPoster | undefined;

  /** @param options endpoint, key and retry settings (the key is never logged) */
  constructor(options: OpenAiCompatibleClientOptions) {
    this.model = options.model;
    this.#options = options;
  }

  /** The endpoint, with any credentials in the URL redacted. For logs. */
  get endpoint(): string {
    return redactUrlValue(this.#options.baseUrl);
  }

  /** Sends one Chat Completions request. See {@link LlmClient.chat}. */
  async chat(messages: readonly ChatMessage[], options: ChatOptions): Promise<ChatResult> {
    options.signal.throwIfAborted();
    const model = options.model ?? this.model;
    const body: Record<string, unknown> = { model, messages: messages.map(toWireMessage) };
    if (options.tools?.length) body.tools = options.tools.map(toWireTool);
    let text: string;
    try {
      const response = await this.#load().post(JSON.stringify(body), options.signal);
      if (response.status < 200 || response.status > 299) {
        throw this.#statusError(response.status, response.text, model);
      }
      text = response.text;
    } catch (error) {
      options.signal.throwIfAborted();
      throw this.#toLlmError(error, model);
    }
    const completion = parseCompletion(text);
    if (!completion) {
      throw new LlmRequestError(
        `LLM ${this.endpoint} returned a body that is not a JSON object for model "${model}"`,
        "invalid-response",
      );
    }
    const choice = completion.choices?.[0];
    if (!choice?.message) {
      throw new LlmRequestError(
        `LLM ${this.endpoint} returned no choices for model "${model}"`,
        "invalid-response",
      );
    }
    const toolCalls: ToolCall[] = [];
    for (const call of choice.message.tool_calls ?? []) {
      if (call.type === "function" && call.function) {
        toolCalls.push({ id: call.id, name: call.function.name, arguments: call.function.arguments });
      }
    }
    return {
      content: choice.message.content ?? null,
      toolCalls,
      usage: completion.usage && {
        promptTokens: completion.usage.prompt_tokens,
        completionTokens: completion.usage.completion_tokens,
        totalTokens: completion.usage.total_tokens,
      },
      finishReason: choice.finish_reason ?? "stop",
      model: completion.model || model,
    };
  }

  #load(): JsonPoster {
    if (this.#poster) return this.#poster;
    const url = new URL(`${this.#options.baseUrl.replace(/\/+$/, "")}/chat/completions`);
    if (url.username || url.password) {
      // As fetch did: credentials in the URL are refused rather than silently dropped or sent.
      throw new ConfigError(
        `OPS_LLM_BASE_URL ${this.endpoint} holds credentials (user:password@), which are not sent; put the key in OPS_LLM_API_KEY`,
        "OPS_LLM_BASE_URL",
      );
    }
    this.#poster = new JsonPoster(url, {
      maxRetries: this.#options.maxRetries ?? 2,
      timeoutMs: this.#options.requestTimeoutMs ?? 60_000,
      headers: { authorization: `Bearer ${this.#options.apiKey || PLACEHOLDER_API_KEY}` },
    });
    return this.#poster;
  }

  /** A non-2xx answer: `HTTP <status>: <the API's error message>`. */
  #statusError(status: number, text: string, model: string): LlmRequestError {
    const detail = this.#clean(errorDetail(text));
    return new LlmRequestError(
      `${this.#where(model)} failed with HTTP ${status}${detail ? `: ${detail}` : ""}`,
      "status",
      status,
    );
  }

  /**
   * Converts a failure to a one-line {@link LlmRequestError} without secrets — in its message,
   * and in the messages, stacks and fields of its whole `cause` chain, which a logger prints.
   */
  #toLlmError(error: unknown, model: string): Error {
    if (error instanceof LlmRequestError) return error;
    redactError(error, this.#secrets());
    if (error instanceof JsonPostFailure) {
      if (error.kind === "timeout") {
        return new LlmRequestError(`${this.#where(model)} timed out`, "timeout", undefined, { cause: error });
      }
      const reason = error.cause instanceof Error ? error.cause.message : error.message;
      return new LlmRequestError(
        `${this.#where(model)} could not connect: ${this.#clean(reason)}`,
        "connection",
        undefined,
        { cause: error },
      );
    }
    return error instanceof Error ? error : new Error(redactUrl(String(error)));
  }

  #where(model: string): string {
    return `LLM request to ${this.endpoint} (model "${model}")`;
  }

  /** The API key, and the base URL's password as written and decoded. */
  #secrets(): (string | undefined)[] {
    const password = /^[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:(\S*)@/i.exec(this.#options.baseUrl)?.[1];
    let decoded: string | undefined;
    try {
      decoded = password === undefined ? undefined : decodeURIComponent(password);
    } catch {
      decoded = undefined;
    }
    return [this.#options.apiKey, password, decoded];
  }

  /** `text` on one line, at most 300 characters, with URLs' credentials and the secrets removed. */
  #clean(text: string): string {
    let result = redactUrl(text).replace(/\s+/g, " ").trim();
    for (const secret of this.#secrets()) {
      if (secret && secret.length >= 3) result = result.split(secret).join("***");
    }
    return result.length > 300 ? `${result.slice(0, 297)}...` : result;
  }
}

/** The parsed body, or `undefined` when it is not a JSON object. */
function parseCompletion(text: string): WireCompletion | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === "object" ? (parsed as WireCompletion) : undefined;
  } catch {
    return undefined;
  }
}

/** What an error body says, as the `openai` SDK words it: `error.message`, else the JSON, else the text. */
function errorDetail(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  const error = (parsed as { error?: unknown } | null)?.error as { message?: unknown } | undefined;
  if (error === undefined || error === null) return "";
  if (typeof error.message === "string") return error.message;
  return JSON.stringify(error.message ?? error);
}

function toWireMessage(message: ChatMessage): WireMessage {
  switch (message.role) {
    case "system":
    case "user":
      return { role: message.role, content: message.content };
    case "assistant":
      return {
        role: "assistant",
        content: message.content,
        ...(message.toolCalls?.length
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: "function" as const,
                function: { name: call.name, arguments: call.arguments },
              })),
            }
          : {}),
      };
    case "tool":
      return { role: "tool", tool_call_id: message.toolCallId, content: message.content };
  }
}

function toWireTool(tool: ToolDefinition): Record<string, unknown> {
  return {
    type: "function",
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  };
}
