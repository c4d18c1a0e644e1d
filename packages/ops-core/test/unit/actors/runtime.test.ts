import { afterEach, describe, expect, it } from "vitest";
import {
  closeTaskRuntime,
  configureTaskRuntime,
  getTaskRuntime,
  isTaskRuntimeConfigured,
  type RuntimeTaskStore,
} from "../../../src/actors/runtime.js";
import { OfflineLlmClient } from "../../../src/agent/offline-llm-client.js";
import { AllowListSecurityManager } from "../../../src/agent/security.js";
import { echoTool } from "../../../src/agent/tools/index.js";
import { ConfigError } from "../../../src/errors.js";

const store = {} as RuntimeTaskStore;

describe("task runtime", () => {
  afterEach(() => configureTaskRuntime(undefined));

  it("fills in the built-in tools, allow-all security and the configured deadline", async () => {
    const llm = new OfflineLlmClient();
    configureTaskRuntime({ store, llm });
    expect(isTaskRuntimeConfigured()).toBe(true);
    const runtime = await getTaskRuntime();
    expect(runtime.store).toBe(store);
    expect(runtime.llm).toBe(llm);
    expect((runtime.tools as readonly { name: string }[]).map((tool) => tool.name)).toEqual([
      "calculator",
      "current_time",
      "echo",
    ]);
    expect(await runtime.security.checkToolCall({ toolName: "anything", arguments: {}, goal: "g" })).toEqual({
      allowed: true,
    });
    expect(runtime.timeoutMs).toBe(20_000);
    expect(await getTaskRuntime()).toBe(runtime);
  });

  it("keeps what was given", async () => {
    const security = new AllowListSecurityManager(["echo"]);
    configureTaskRuntime({ store, llm: new OfflineLlmClient(), tools: [echoTool], security, timeoutMs: 50 });
    expect(await getTaskRuntime()).toMatchObject({ tools: [echoTool], security, timeoutMs: 50 });
  });

  it("refuses to fall back to a private embedded database when DATABASE_URL is unset", async () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      expect(isTaskRuntimeConfigured()).toBe(false);
      await expect(getTaskRuntime()).rejects.toThrow(ConfigError);
      await expect(getTaskRuntime()).rejects.toThrow(
        "DATABASE_URL is not set; the ops-core worker needs a real PostgreSQL database",
      );
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
      await closeTaskRuntime();
    }
  });
});
