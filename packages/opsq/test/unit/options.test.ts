import { describe, expect, it } from "vitest";
import { Message } from "../../src/message.js";
import { actorNameOf, getOption, toWireKey, toWireOptions } from "../../src/options.js";

function messageWith(options: Record<string, unknown>): Message {
  return new Message({ queueName: "q", actorName: "a", args: [], options });
}

describe("toWireKey", () => {
  it.each([
    ["maxRetries", "max_retries"],
    ["minBackoffMs", "min_backoff"],
    ["maxBackoffMs", "max_backoff"],
    ["onRetryExhausted", "on_retry_exhausted"],
    ["timeLimitMs", "time_limit"],
    ["maxAgeMs", "max_age"],
    ["notifyShutdown", "notify_shutdown"],
    ["onSuccess", "on_success"],
    ["onFailure", "on_failure"],
    ["pipeIgnore", "pipe_ignore"],
    ["brokerPriority", "broker_priority"],
    ["eta", "eta"],
  ])("maps %s to Dramatiq's %s", (name, wire) => {
    expect(toWireKey(name)).toBe(wire);
  });
});

describe("toWireOptions", () => {
  it("converts names, keeps values in ms, names actors and skips undefined", () => {
    // Given message options with an actor reference and an unset option
    const report = { name: "report", send: () => undefined };
    const wire = toWireOptions({ maxRetries: 0, timeLimitMs: 5000, onSuccess: report, maxAgeMs: undefined });

    // Then I expect snake_case keys, the actor's name and no undefined key
    expect(wire).toEqual({ max_retries: 0, time_limit: 5000, on_success: "report" });
  });

  it("sends a bare { name } ActorRef as its name, so Python gets a string", () => {
    // Given callback options given as ActorRefs that are not actor objects
    const wire = toWireOptions({
      onSuccess: { name: "ok" },
      onFailure: { name: "ko" },
      onRetryExhausted: { name: "x" },
    });

    // Then I expect actor names on the wire
    expect(wire).toEqual({ on_success: "ok", on_failure: "ko", on_retry_exhausted: "x" });
  });

  it("refuses functions, which cannot travel as JSON", () => {
    expect(() => toWireOptions({ retryWhen: () => true })).toThrow(/retryWhen.*not JSON/);
  });
});

describe("getOption", () => {
  it("prefers the message option, then the actor option, then the default", () => {
    // Given an actor option and a middleware default
    const actor = { maxRetries: 5 };

    // Then I expect the message to win, then the actor, then the default
    expect(getOption(messageWith({ max_retries: 1 }), actor, "maxRetries", 20)).toBe(1);
    expect(getOption(messageWith({}), actor, "maxRetries", 20)).toBe(5);
    expect(getOption(messageWith({}), {}, "maxRetries", 20)).toBe(20);
    expect(getOption(messageWith({}), undefined, "maxRetries")).toBeUndefined();
  });

  it("treats a message option of 0 or false as set, and null as unset", () => {
    expect(getOption(messageWith({ max_retries: 0 }), { maxRetries: 5 }, "maxRetries", 20)).toBe(0);
    expect(
      getOption(messageWith({ notify_shutdown: false }), { notifyShutdown: true }, "notifyShutdown"),
    ).toBe(false);
    expect(getOption(messageWith({ time_limit: null }), { timeLimitMs: 7 }, "timeLimitMs", 9)).toBe(7);
  });

  it("reads the wire key of a ms option", () => {
    expect(getOption(messageWith({ time_limit: 100 }), {}, "timeLimitMs", 600_000)).toBe(100);
  });
});

describe("actorNameOf", () => {
  it("accepts a name or an actor", () => {
    expect(actorNameOf("report")).toBe("report");
    expect(actorNameOf({ name: "report" })).toBe("report");
    expect(actorNameOf(undefined)).toBeUndefined();
  });
});
