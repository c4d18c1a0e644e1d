import { describe, expect, it } from "vitest";
import { createLogger, getLogger, redactUrl, setLogger } from "../../src/logger.js";
import { captureLogger } from "./helpers.js";

describe("redactUrl", () => {
  it("hides the password of an AMQP URL", () => {
    expect(redactUrl("amqp://guest:secret@h:5672/v")).toBe("amqp://guest:***@h:5672/v");
  });

  it("hides every password when a text holds several URLs", () => {
    // Given an error message naming two URLs with credentials
    const text =
      "cannot reach amqp://u1:p1@a:5672/x, tried amqps://u2:p%40ss@b/y too; postgres://pg:pw@db/app";

    // When I redact it, then I expect no password left and the rest unchanged
    expect(redactUrl(text)).toBe(
      "cannot reach amqp://u1:***@a:5672/x, tried amqps://u2:***@b/y too; postgres://pg:***@db/app",
    );
  });

  it.each([
    "amqp://h:5672/v",
    "amqp://guest@h:5672/v",
    "https://example.com/a:b",
    "no url here: user:pw",
    "amqp://h:5672/%2F",
  ])("leaves %j unchanged", (text) => {
    expect(redactUrl(text)).toBe(text);
  });

  it("hides a password that contains a colon, and an empty user's password", () => {
    expect(redactUrl("amqp://u:pa:ss@h/")).toBe("amqp://u:***@h/");
    expect(redactUrl("redis://:secret@h:6379")).toBe("redis://:***@h:6379");
  });
});

describe("loggers", () => {
  it("creates loggers at the level asked, else OPSQ_LOG_LEVEL, else info", () => {
    // Given no explicit level and OPSQ_LOG_LEVEL set
    const saved = process.env.OPSQ_LOG_LEVEL;
    try {
      process.env.OPSQ_LOG_LEVEL = "debug";
      // Then I expect the environment's level, unless one is given
      expect(createLogger().level).toBe("debug");
      expect(createLogger({ level: "warn" }).level).toBe("warn");
      delete process.env.OPSQ_LOG_LEVEL;
      expect(createLogger().level).toBe("info");
    } finally {
      if (saved === undefined) {
        delete process.env.OPSQ_LOG_LEVEL;
      } else {
        process.env.OPSQ_LOG_LEVEL = saved;
      }
    }
  });

  it("shares one root logger that setLogger replaces", () => {
    // Given the root logger
    const before = getLogger();
    expect(getLogger()).toBe(before);

    // When I replace it
    const { logger } = captureLogger();
    setLogger(logger);

    // Then I expect the new one, and restore the old one
    try {
      expect(getLogger()).toBe(logger);
    } finally {
      setLogger(before);
    }
  });
});
