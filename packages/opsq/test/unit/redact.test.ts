import { describe, expect, it } from "vitest";
import { redactUrl } from "../../src/redact.js";

describe("redactUrl: passwords that were not percent-encoded", () => {
  it.each([
    ["a raw slash", "amqp://u:pa/ss@h:5672/v", "amqp://u:***@h:5672/v"],
    ["a space", "cannot parse amqp://u:pa ss@h:5672/v here", "cannot parse amqp://u:***@h:5672/v here"],
    ["a raw @", "amqp://u:p@ss@h/v", "amqp://u:***@h/v"],
    ["a # and a ?", "amqp://u:p#a?s@h/v", "amqp://u:***@h/v"],
    ["a raw @, : and /", "postgres://app:p@ss:w/rd@db/ops", "postgres://app:***@db/ops"],
    ["a raw @, beside a second URL", "amqp://u:p@ss@h,amqp://v:q@k", "amqp://u:***@h,amqp://v:***@k"],
    [
      "a slash and a space in an error",
      "Invalid URL: https://k:a/b c@llm/v1",
      "Invalid URL: https://k:***@llm/v1",
    ],
  ])("hides a password holding %s", (_what, text, expected) => {
    expect(redactUrl(text)).toBe(expected);
    expect(redactUrl(text)).not.toMatch(/pa\/ss|pa ss|p@ss|p#a|a\/b c/);
  });

  it("does not reach across lines or into the next URL", () => {
    expect(redactUrl("amqp://h:5672/v failed\nmail user@example.com")).toBe(
      "amqp://h:5672/v failed\nmail user@example.com",
    );
    expect(redactUrl("amqp://h:1/v and amqp://u:pw@h2/v")).toBe("amqp://h:1/v and amqp://u:***@h2/v");
  });

  it("stays fast on long lines", () => {
    const started = Date.now();
    redactUrl(`${"a".repeat(200_000)}://u:${"b".repeat(200_000)}`);
    redactUrl(`amqp://u:${"x ".repeat(100_000)}`);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
