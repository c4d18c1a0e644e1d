/**
 * The one interface the agent loop talks to: a chat model with native tool calling.
 * Messages use ops-core's own camelCase shape; each client converts to its wire format.
 *
 * @module
 */

/** A tool call requested by the model. */
export interface ToolCall {
  /** Id chosen by the model; the tool's reply must carry it back. */
  id: string;
  /** Name of the tool to call. */
  name: string;
  /** Arguments as the model wrote them: a JSON text, not yet parsed or validated. */
  arguments: string;
}

/** One message of a conversation. */
export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string | null; toolCalls?: ToolCall[] }
  | { role: "tool"; toolCallId: string; name: string; content: string };

/** A tool as offered to the model (its arguments described by JSON Schema). */
export interface ToolDefinition {
  /** Name the model uses to call it (`^[a-zA-Z0-9_-]{1,64}$`). */
  name: string;
  /** What the tool does, for the model. */
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

/** Options of {@link LlmClient.chat}. */
export interface ChatOptions {
  /** Tools the model may call; none when omitted or empty. */
  tools?: ToolDefinition[];
  /** Aborts the request (the HTTP request is cancelled, not just ignored). */
  signal: AbortSignal;
  /** Overrides the client's default model for this request. */
  model?: string;
}

/** Token counts reported by the model, when it reports them. */
export interface TokenUsage {
  /** Tokens in the prompt. */
  promptTokens: number;
  /** Tokens generated. */
  completionTokens: number;
  /** Sum of both. */
  totalTokens: number;
}

/** The model's reply to one {@link LlmClient.chat} call. */
export interface ChatResult {
  /** Text of the reply (`null` when the model only requested tool calls). */
  content: string | null;
  /** Tool calls requested by the model (empty when it answered). */
  toolCalls: ToolCall[];
  /** Token usage, when reported. */
  usage: TokenUsage | undefined;
  /** Why generation stopped: `stop`, `tool_calls`, `length`, … */
  finishReason: string;
  /** The model that answered. */
  model: string;
}

/** A chat model with tool calling. */
export interface LlmClient {
  /** Model used when {@link ChatOptions.model} is not given. */
  readonly model: string;
  /**
   * Sends the conversation and returns the model's next turn.
   *
   * @throws the `signal`'s reason when it is aborted; an `LlmRequestError` when the request fails
   */
  chat(messages: readonly ChatMessage[], options: ChatOptions): Promise<ChatResult>;
}
