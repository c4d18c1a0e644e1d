/** `ops-core serve`'s refusals, before anything is opened (no services needed). */
import { describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/program.js";

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (line) => out.push(line), err: (line) => err.push(line), env });
  return { code, out, err };
}

describe("ops-core serve", () => {
  it.each(["0.0.0.0", "192.168.1.20", "::", "example.com"])(
    "refuses to listen on %s without OPS_API_TOKEN, in one line, exit 2",
    async (host) => {
      expect(await run(["serve", "--host", host])).toEqual({
        code: 2,
        out: [],
        err: [
          `ops-core: refusing to listen on ${host} without OPS_API_TOKEN: set a token, or listen on 127.0.0.1`,
        ],
      });
    },
  );

  it("needs DATABASE_URL (after the host check passes)", async () => {
    expect(await run(["serve", "--host", "0.0.0.0"], { OPS_API_TOKEN: "t" })).toEqual({
      code: 2,
      out: [],
      err: [
        "ops-core: DATABASE_URL is not set; `ops-core serve` needs a real PostgreSQL database (e.g. postgres://user@localhost:5432/ops)",
      ],
    });
  });

  it("rejects a port out of range", async () => {
    const { code, err } = await run(["serve", "--port", "70000"]);
    expect(code).toBe(2);
    expect(err.join("\n")).toContain("expected a whole number from 0 to 65535");
  });
});
