import { describe, expect, it } from "vitest";
import {
  ActorNotFoundError,
  BrokerError,
  ConnectionClosedError,
  ConnectionError,
  MiddlewareError,
  OpsqError,
  Retry,
  SkipMessage,
  TimeLimitExceeded,
  toError,
} from "../../src/errors.js";

describe("errors", () => {
  it("names each class and keeps the hierarchy", () => {
    const notFound = new ActorNotFoundError("nope");
    expect(notFound).toBeInstanceOf(BrokerError);
    expect(notFound).toBeInstanceOf(OpsqError);
    expect(notFound.name).toBe("ActorNotFoundError");
    expect(notFound.message).toContain('"nope"');
    expect(new ConnectionClosedError("x")).toBeInstanceOf(ConnectionError);
    expect(new SkipMessage("x")).toBeInstanceOf(MiddlewareError);
    expect(new TimeLimitExceeded(50).message).toContain("50 ms");
    expect(new Retry({ delayMs: 5 }).delayMs).toBe(5);
    expect(new Retry().delayMs).toBeUndefined();
  });
});

describe("toError", () => {
  it("returns Errors as they are", () => {
    const error = new TypeError("x");
    expect(toError(error)).toBe(error);
  });

  it.each([
    ["a string", "boom", "boom"],
    ["an object", { code: 7 }, '{"code":7}'],
    ["a number", 42, "42"],
    ["null", null, "null"],
    ["undefined", undefined, "undefined"],
  ])("turns %s into an Error with its text", (_what, thrown, text) => {
    const error = toError(thrown);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe(text);
  });

  it("does not throw on values JSON cannot serialise", () => {
    // Given a circular object and a bigint
    const circular: Record<string, unknown> = { name: "loop" };
    circular.self = circular;

    // When I turn them into Errors, then I expect Errors rather than a TypeError from JSON
    expect(toError(circular)).toBeInstanceOf(Error);
    expect(toError(10n).message).toBe("10");
  });
});
