import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLlmClient } from "../../../src/agent/create-llm-client.js";
import { OfflineLlmClient } from "../../../src/agent/offline-llm-client.js";
import { OpenAiCompatibleClient } from "../../../src/agent/openai-compatible-client.js";
import { loadConfig } from "../../../src/config.js";
import { type FakeLlm, startFakeLlm } from "../../helpers/fake-llm.js";

describe("createLlmClient", () => {
  let fake: FakeLlm;
  beforeAll(async () => {
    fake = await startFakeLlm();
  });
  afterAll(() => fake.close());

  it("uses the offline demo model when OPS_LLM_BASE_URL is not set", () => {
    expect(createLlmClient(loadConfig({}).llm)).toBeInstanceOf(OfflineLlmClient);
  });

  it("talks to OPS_LLM_BASE_URL with OPS_LLM_API_KEY and OPS_LLM_MODEL", async () => {
    const config = loadConfig({
      OPS_LLM_BASE_URL: fake.baseUrl,
      OPS_LLM_API_KEY: "sk-env",
      OPS_LLM_MODEL: "env-model",
    });
    const llm = createLlmClient(config.llm);
    expect(llm).toBeInstanceOf(OpenAiCompatibleClient);
    await llm.chat([{ role: "user", content: "hi" }], { signal: AbortSignal.timeout(5000) });
    expect(fake.chatRequests()[0]).toMatchObject({ model: "env-model", authorization: "Bearer sk-env" });
  });

  it("sends a placeholder key to servers that need none", async () => {
    fake.reset();
    const llm = createLlmClient(loadConfig({ OPS_LLM_BASE_URL: fake.baseUrl }).llm);
    await llm.chat([{ role: "user", content: "hi" }], { signal: AbortSignal.timeout(5000) });
    expect(fake.chatRequests()[0]!.authorization).toBe("Bearer no-key-configured");
  });
});
