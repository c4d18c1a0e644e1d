/**
 * Broker URLs on the command line: repeated or comma-separated `--broker-url`, checked before
 * anything connects, handed to the modules' broker through `RABBITMQ_URLS` and `RABBITMQ_URL`.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyBrokerUrls, brokerUrlsArgument, checkBrokerUrls } from "../../../src/cli/broker-url.js";
import { CliError, ExitCode } from "../../../src/cli/exit-codes.js";

const A = "amqp://u:secret@a:5673";
const B = "amqp://u:secret@b:5674";

describe("checkBrokerUrls", () => {
  it("accepts a comma-separated list and normalises it", () => {
    expect(checkBrokerUrls(` ${A} , ${B} `, "--broker-url")).toBe(`${A},${B}`);
  });

  it("names the bad URL by its position, never quoting it", () => {
    let error: unknown;
    try {
      checkBrokerUrls(`${A},http://u:secret@b`, "RABBITMQ_URLS");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(ExitCode.IMPORT_ERROR);
    expect((error as Error).message).toBe(
      "RABBITMQ_URLS (URL 2 of 2) must start with amqp:// or amqps://, not http://",
    );
    expect(() => checkBrokerUrls(" , ", "RABBITMQ_URLS")).toThrow("RABBITMQ_URLS holds no URL");
  });
});

describe("brokerUrlsArgument", () => {
  it("accumulates repeated flags, each possibly a list", () => {
    const first = brokerUrlsArgument(A, undefined);
    expect(brokerUrlsArgument(`${B},${A}`, first)).toBe(`${A},${B},${A}`);
  });
});

describe("applyBrokerUrls", () => {
  let saved: Record<string, string | undefined>;
  beforeEach(() => {
    saved = { RABBITMQ_URLS: process.env.RABBITMQ_URLS, RABBITMQ_URL: process.env.RABBITMQ_URL };
  });
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) {
        delete process.env[name];
      } else {
        process.env[name] = value;
      }
    }
  });

  it("sets RABBITMQ_URLS to the list and RABBITMQ_URL to its first URL", () => {
    process.env.RABBITMQ_URLS = "amqp://old:5672";
    applyBrokerUrls(`${A},${B}`);
    expect(process.env.RABBITMQ_URLS).toBe(`${A},${B}`);
    expect(process.env.RABBITMQ_URL).toBe(A);
  });

  it("checks the environment when no flag is given", () => {
    process.env.RABBITMQ_URLS = `${A},nope`;
    expect(() => applyBrokerUrls(undefined)).toThrow(/RABBITMQ_URLS \(URL 2 of 2\) is not a valid URL/);
    delete process.env.RABBITMQ_URLS;
    process.env.RABBITMQ_URL = "redis://x";
    expect(() => applyBrokerUrls(undefined)).toThrow(/RABBITMQ_URL must start with amqp/);
  });
});
