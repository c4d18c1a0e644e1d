/** `ops-core dashboard`'s refusals, before anything is opened (no services needed). */
import { describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/program.js";

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (line) => out.push(line), err: (line) => err.push(line), env });
  return { code, out, err };
}

describe("ops-core dashboard", () => {
  it.each(["0.0.0.0", "192.168.1.20", "example.com"])(
    "refuses to serve on %s without OPSQ_DASHBOARD_TOKEN, in one line, exit 2",
    async (host) => {
      expect(
        await run(["dashboard", "--host", host], { DATABASE_URL: "postgres://u@127.0.0.1:1/x" }),
      ).toEqual({
        code: 2,
        out: [],
        err: [
          `ops-core: refusing to serve the dashboard on ${host} without OPSQ_DASHBOARD_TOKEN: set a token, or listen on 127.0.0.1`,
        ],
      });
    },
  );

  it("needs DATABASE_URL", async () => {
    expect(await run(["dashboard"])).toEqual({
      code: 2,
      out: [],
      err: [
        "ops-core: DATABASE_URL is not set; `ops-core dashboard` needs a real PostgreSQL database (e.g. postgres://user@localhost:5432/ops)",
      ],
    });
  });

  it("rejects a port out of range", async () => {
    const { code, err } = await run(["dashboard", "--port", "70000"]);
    expect(code).toBe(2);
    expect(err.join("\n")).toContain("expected a whole number from 0 to 65535");
  });
});
