import { PassThrough } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { logDestination, resolveLogFormat } from "../../src/log-format.js";

describe("resolveLogFormat", () => {
  it("is pretty on a terminal and JSON otherwise when nothing is asked", () => {
    expect(resolveLogFormat(undefined, { isTTY: true })).toBe("pretty");
    expect(resolveLogFormat(undefined, { isTTY: false })).toBe("json");
    expect(resolveLogFormat(undefined, {})).toBe("json");
  });

  it("takes an explicit json or pretty, whatever stdout is", () => {
    expect(resolveLogFormat("json", { isTTY: true })).toBe("json");
    expect(resolveLogFormat(" PRETTY ", { isTTY: false })).toBe("pretty");
  });

  it("falls back to the terminal rule for an empty or unknown value", () => {
    expect(resolveLogFormat("", { isTTY: true })).toBe("pretty");
    expect(resolveLogFormat("xml", { isTTY: false })).toBe("json");
  });
});

describe("logDestination", () => {
  it("is pino's own stdout for JSON", () => {
    expect(logDestination("json")).toBeUndefined();
  });

  it("writes one line with time, level, name, message and fields, the stack below", async () => {
    const output = new PassThrough();
    let text = "";
    output.setEncoding("utf8").on("data", (chunk: string) => {
      text += chunk;
    });
    const logger = pino(
      { name: "opsq", redact: { paths: ["password"], censor: "***" } },
      logDestination("pretty", output)!,
    );

    logger.error({ queue: "emails", password: "hunter2", err: new Error("boom") }, "actor failed");
    await new Promise((resolve) => setTimeout(resolve, 50));

    const [first, ...rest] = text.split("\n");
    expect(first).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] ERROR \(opsq\): actor failed \{.*"queue":"emails".*\}$/,
    );
    expect(rest.join("\n")).toMatch(/Error: boom\n\s+at /);
    // Redaction happens before formatting; no colour codes off a terminal.
    expect(text).not.toContain("hunter2");
    expect(text).toContain('"password":"***"');
    expect(text).not.toContain("\u001b[");
  });
});
