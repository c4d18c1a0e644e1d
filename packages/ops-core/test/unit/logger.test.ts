import { describe, expect, it, vi } from "vitest";
import { createLogger, type Logger } from "../../src/logger.js";

describe("createLogger", () => {
  it("writes JSON lines with secret-looking fields censored", () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const logger = createLogger({ level: "info", name: "test" });
      // A pino logger is usable wherever ops-core takes a Logger (checked by the compiler).
      const asServiceLogger: Logger = logger;
      expect(asServiceLogger).toBe(logger);
      logger.info({ apiKey: "sk-1", llm: { apiKey: "sk-2" }, db: { password: "pw" } }, "hello");
      logger.flush();
    } finally {
      spy.mockRestore();
    }
    const line = JSON.parse(lines.join("")) as Record<string, unknown>;
    expect(line).toMatchObject({
      name: "test",
      msg: "hello",
      apiKey: "***",
      llm: { apiKey: "***" },
      db: { password: "***" },
    });
  });
});
