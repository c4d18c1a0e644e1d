/**
 * {@link LlmClient} for any OpenAI-compatible endpoint (OpenAI, OpenRouter, Ollama, vLLM,
 * llama.cpp server, …) on the official `openai` SDK (v6, which runs on Node 20).
 *
 * The SDK is loaded with dynamic `import()` on the first request, so constructing a client
 * (e.g. while a worker boots) costs nothing. The SDK retries connection errors, 408, 409, 429
 * and 5xx itself (`maxRetries`); what still fails is thrown as an {@link LlmRequestError}.
 * The caller's AbortSignal is passed to every request, so aborting cancels the HTTP request.
 *
 * @module
 */
import type OpenAI from "openai";
import { LlmRequestError } from "../errors.js";
import { redactError, redactUrl, redactUrlValue } from "../redact.js";
import type { ChatMessage, ChatOptions, ChatResult, LlmClient, ToolCall } from "./llm-client.js";

/** Options of {@link OpenAiCompatibleClient}. */
export interface OpenAiCompatibleClientOptions {
  /** Base URL including the version prefix, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  /**
   * Bearer token. Local servers often need none; a placeholder is then sent because the SDK
   * requires a key.
   */
  apiKey?: string;
  /** Default model name. */
  model: string;
  /** Retries per request on connection errors, 408, 409, 429 and 5xx. @default 2 */
  maxRetries?: number;
  /** Per-attempt HTTP timeout. @default 60000 */
  requestTimeoutMs?: number;
}

/** Sent when no API key is configured (the SDK refuses to start without one). */
const PLACEHOLDER_API_KEY = "no-key-configured";

type OpenAiModule = typeof import("openai");
type WireMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type WireTool = OpenAI.Chat.Completions.ChatCompletionTool;

/** Chat client speaking the OpenAI Chat Completions API with native tool calling. */
export class OpenAiCompatibleClient implements LlmClient {
  /** Default model for requests. */
  readonly model: string;
  readonly #options: OpenAiCompatibleClientOptions;
  #sdk: Promise<{ module: OpenAiModule; client: OpenAI }> | undefined;

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
    const { module, client } = await this.#load();
    const model = options.model ?? this.model;
    const body: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = {
      model,
      messages: messages.map(toWireMessage),
    };
    if (options.tools?.length) body.tools = options.tools.map(toWireTool);
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await client.chat.completions.create(body, { signal: options.signal });
    } catch (error) {
      options.signal.throwIfAborted();
      throw this.#toLlmError(error, module, model);
    }
    const choice = completion.choices[0];
    if (!choice) {
      throw new LlmRequestError(
        `LLM ${this.endpoint} returned no choices for model "${model}"`,
        "invalid-response",
      );
    }
    const toolCalls: ToolCall[] = [];
    for (const call of choice.message.tool_calls ?? []) {
      if (call.type === "function") {
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

  #load(): Promise<{ module: OpenAiModule; client: OpenAI }> {
    this.#sdk ??= import("openai").then((module) => ({
      module,
      client: new module.OpenAI({
        baseURL: this.#options.baseUrl,
        apiKey: this.#options.apiKey || PLACEHOLDER_API_KEY,
        organization: null,
        project: null,
        maxRetries: this.#options.maxRetries ?? 2,
        timeout: this.#options.requestTimeoutMs ?? 60_000,
      }),
    }));
    return this.#sdk;
  }

  /**
   * Converts an SDK error to a one-line {@link LlmRequestError} without secrets — in its
   * message, and in the messages, stacks and fields of its whole `cause` chain, which a logger
   * prints (fetch's error quotes the full URL, password included).
   */
  #toLlmError(error: unknown, module: OpenAiModule, model: string): Error {
    redactError(error, this.#secrets());
    const where = `LLM request to ${this.endpoint} (model "${model}")`;
    if (error instanceof module.APIConnectionTimeoutError) {
      return new LlmRequestError(`${where} timed out`, "timeout", undefined, { cause: error });
    }
    if (error instanceof module.APIConnectionError) {
      return new LlmRequestError(
        `${where} could not connect: ${this.#clean(error)}`,
        "connection",
        undefined,
        {
          cause: error,
        },
      );
    }
    if (error instanceof module.APIError && typeof error.status === "number") {
      const detail = this.#clean(error).replace(/^\d{3}\s*/, "");
      return new LlmRequestError(
        `${where} failed with HTTP ${error.status}${detail ? `: ${detail}` : ""}`,
        "status",
        error.status,
        { cause: error },
      );
    }
    return error instanceof Error ? error : new Error(redactUrl(String(error)));
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

  /** The error's message on one line, at most 300 characters, with the API key removed. */
  #clean(error: Error): string {
    let text = redactUrl(error.message).replace(/\s+/g, " ").trim();
    const key = this.#options.apiKey;
    if (key) text = text.split(key).join("***");
    return text.length > 300 ? `${text.slice(0, 297)}...` : text;
  }
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

function toWireTool(tool: {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}): WireTool {
  return {
    type: "function",
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  };
}
