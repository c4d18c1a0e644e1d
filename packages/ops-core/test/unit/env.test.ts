import { describe, expect, it } from "vitest";
import { EnvReader } from "../../src/env.js";
import { ConfigError } from "../../src/errors.js";

describe("EnvReader", () => {
  const read = new EnvReader({
    BLANK: "   ",
    COUNT: " 12 ",
    RATIO: "0.5",
    URL: "amqp://u:pw@mq:5672",
    OPS_LLM_API_KEY: "not-a-real-key",
  });

  it("trims values and treats blank ones as unset", () => {
    expect(read.string("BLANK")).toBeUndefined();
    expect(read.string("MISSING")).toBeUndefined();
    expect(read.integer("COUNT", 0, 100)).toBe(12);
    expect(read.integer("BLANK", 0, 100)).toBeUndefined();
    expect(read.positiveNumber("RATIO", "seconds")).toBe(0.5);
    expect(read.url("URL", ["amqp:"], "amqp://host")).toBe("amqp://u:pw@mq:5672");
  });

  it.each([
    [() => read.integer("COUNT", 0, 10), 'COUNT must be a whole number from 0 to 10 (got "12")'],
    [() => read.integer("RATIO", 0, 10), 'RATIO must be a whole number from 0 to 10 (got "0.5")'],
    [
      () => read.positiveNumber("URL", "seconds"),
      'URL must be a number of seconds greater than 0 (got "amqp://u:***@mq:5672")',
    ],
    [
      () => read.url("URL", ["http:", "https:"], "http://x"),
      'URL must be a http:// or https:// URL such as http://x (got "amqp://u:***@mq:5672")',
    ],
    [
      () => read.matching("COUNT", /^[a-z]+$/, "must be lowercase letters"),
      'COUNT must be lowercase letters (got "12")',
    ],
  ])("throws a one-line ConfigError naming the variable (%#)", (parse, message) => {
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(message);
    try {
      parse();
    } catch (error) {
      expect((error as ConfigError).variable).toBe(message.split(" ")[0]);
    }
  });

  it("never shows the value of a secret variable", () => {
    expect(() => read.matching("OPS_LLM_API_KEY", /^sk-/, "must start with sk-")).toThrow(
      /^OPS_LLM_API_KEY must start with sk-$/,
    );
  });
});
