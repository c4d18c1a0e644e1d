import { describe, expect, it } from "vitest";
import { bearerTokenMatches, isLoopbackHost } from "../../../src/http/bearer-auth.js";

describe("bearerTokenMatches", () => {
  it("accepts exactly `Bearer <token>` (scheme in any case)", () => {
    expect(bearerTokenMatches("Bearer abc", "abc")).toBe(true);
    expect(bearerTokenMatches("bearer abc", "abc")).toBe(true);
    expect(bearerTokenMatches("Bearer abd", "abc")).toBe(false);
    expect(bearerTokenMatches("Bearer abcd", "abc")).toBe(false);
    expect(bearerTokenMatches("Basic abc", "abc")).toBe(false);
    expect(bearerTokenMatches("abc", "abc")).toBe(false);
    expect(bearerTokenMatches(undefined, "abc")).toBe(false);
    expect(bearerTokenMatches("Bearer ", "")).toBe(false);
  });
});

describe("isLoopbackHost", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["localhost", true],
    ["::1", true],
    ["[::1]", true],
    ["0.0.0.0", false],
    ["::", false],
    ["10.0.0.1", false],
    ["example.com", false],
  ])("%s → %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
