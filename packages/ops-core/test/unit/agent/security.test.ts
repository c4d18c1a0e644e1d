import { describe, expect, it } from "vitest";
import { AllowAllSecurityManager, AllowListSecurityManager } from "../../../src/agent/security.js";

const request = (toolName: string) => ({ toolName, arguments: {}, goal: "g" });

describe("security managers", () => {
  it("AllowAllSecurityManager allows everything", () => {
    expect(new AllowAllSecurityManager().checkToolCall()).toEqual({ allowed: true });
  });

  it("AllowListSecurityManager allows only listed tools and says why otherwise", () => {
    const manager = new AllowListSecurityManager(["echo"]);
    expect(manager.checkToolCall(request("echo"))).toEqual({ allowed: true });
    expect(manager.checkToolCall(request("calculator"))).toEqual({
      allowed: false,
      reason: 'tool "calculator" is not on the allow-list',
    });
  });
});
