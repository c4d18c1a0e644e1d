import { describe, expect, it } from "vitest";
import { redactUrl } from "../../src/redact.js";

describe("redactUrl", () => {
  it.each([
    ["postgres://app:s3cret@db:5432/ops", "postgres://app:***@db:5432/ops"],
    ["amqp://guest:guest@localhost:5672", "amqp://guest:***@localhost:5672"],
    ["https://:token@example.com/v1", "https://:***@example.com/v1"],
    ["postgres://app@db/ops", "postgres://app@db/ops"],
    ["http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"],
    [
      "connect to postgres://a:b@h1/x failed, then amqp://c:d@h2 too",
      "connect to postgres://a:***@h1/x failed, then amqp://c:***@h2 too",
    ],
  ])("%s → %s", (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});
