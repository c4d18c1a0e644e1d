/**
 * ops-core's `createLogger` follows opsq's format rule, in a real process (pretty output goes to
 * file descriptor 1): JSON when piped, pretty with `OPS_LOG_FORMAT` or `OPSQ_LOG_FORMAT`, secrets
 * censored in both.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { childEnv, REPO_ROOT } from "../helpers/worker-process.js";

async function logOnce(env: Record<string, string>): Promise<string> {
  const script = `import { createLogger } from "ops-core"; createLogger().info({ llm: { apiKey: "sk-secret" } }, "hello");`;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
    cwd: REPO_ROOT,
    env: childEnv(env),
    timeout: 20_000,
  });
  return stdout;
}

describe("ops-core createLogger: format", () => {
  it("is JSON when stdout is a pipe", async () => {
    expect(JSON.parse(await logOnce({}))).toMatchObject({
      name: "ops-core",
      msg: "hello",
      llm: { apiKey: "***" },
    });
  });

  it.each(["OPS_LOG_FORMAT", "OPSQ_LOG_FORMAT"])(
    "is pretty with %s=pretty, the API key still censored",
    async (name) => {
      const stdout = await logOnce({ [name]: "pretty" });

      expect(stdout).toMatch(
        /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(ops-core\): hello \{"llm":\{"apiKey":"\*\*\*"\}\}\n$/,
      );
      expect(stdout).not.toContain("sk-secret");
    },
  );
});
