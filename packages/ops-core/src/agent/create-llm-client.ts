/**
 * Picks the LLM client from configuration: the OpenAI-compatible client when a base URL is
 * configured, otherwise the offline demo model. Neither opens a connection until the first
 * request.
 *
 * @module
 */
import type { LlmConfig } from "../config.js";
import type { LlmClient } from "./llm-client.js";
import { OfflineLlmClient } from "./offline-llm-client.js";
import { OpenAiCompatibleClient } from "./openai-compatible-client.js";

/** Builds the client described by `config` (see `OPS_LLM_*` in `config.ts`). */
export function createLlmClient(config: LlmConfig): LlmClient {
  if (!config.baseUrl) return new OfflineLlmClient();
  return new OpenAiCompatibleClient({
    baseUrl: config.baseUrl,
    model: config.model,
    maxRetries: config.maxRetries,
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
  });
}
