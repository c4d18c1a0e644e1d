import { describe, expect, it } from "vitest";
import { TaskRuntime } from "../../../src/actors/runtime.js";
import { OfflineLlmClient } from "../../../src/agent/offline-llm-client.js";
import { AllowListSecurityManager } from "../../../src/agent/security.js";
import { echoTool } from "../../../src/agent/tools/index.js";
import { loadConfig } from "../../../src/config.js";
import { ConfigError } from "../../../src/errors.js";
import type { TaskStore } from "../../../src/task-store-interface.js";

const store = {} as TaskStore;

describe("TaskRuntime", () => {
  it("fills in the built-in tools, allow-all security and the configured deadline", async () => {
    const llm = new OfflineLlmClient();
    const runtime = new TaskRuntime({ store, llm, config: loadConfig({}) });
    expect(runtime.embedded).toBe(true);
    const resolved = await runtime.get();
    expect(resolved.store).toBe(store);
    expect(resolved.llm).toBe(llm);
    expect((resolved.tools as readonly { name: string }[]).map((tool) => tool.name)).toEqual([
      "calculator",
      "current_time",
      "echo",
    ]);
    expect(await resolved.security.checkToolCall({ toolName: "anything", arguments: {}, goal: "g" })).toEqual(
      {
        allowed: true,
      },
    );
    expect(resolved.timeoutMs).toBe(20_000);
    expect(await runtime.get()).toBe(resolved);
    await runtime.close();
  });

  it("keeps what was given", async () => {
    const security = new AllowListSecurityManager(["echo"]);
    const runtime = new TaskRuntime({
      store,
      llm: new OfflineLlmClient(),
      tools: [echoTool],
      security,
      timeoutMs: 50,
      config: loadConfig({}),
    });
    expect(await runtime.get()).toMatchObject({ tools: [echoTool], security, timeoutMs: 50 });
  });

  it("refuses to fall back to a private embedded database when DATABASE_URL is unset", async () => {
    const runtime = new TaskRuntime({ config: loadConfig({}) });
    expect(runtime.embedded).toBe(false);
    await expect(runtime.get()).rejects.toThrow(ConfigError);
    await expect(runtime.get()).rejects.toThrow(
      "DATABASE_URL is not set; the ops-core worker needs a real PostgreSQL database",
    );
    await runtime.close();
  });
});
