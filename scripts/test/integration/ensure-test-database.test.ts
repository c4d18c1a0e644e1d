/**
 * scripts/ensure-test-database.mjs (pretest): `npm test` creates the database the tests use
 * when the server lacks it.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("../../ensure-test-database.mjs", import.meta.url));
const serverUrl = new URL(process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test");
const database = `opsq_pretest_${randomBytes(6).toString("hex")}`;
const target = new URL(serverUrl.href);
target.pathname = `/${database}`;
const admin = new URL(serverUrl.href);
admin.pathname = "/postgres";

async function exists(): Promise<boolean> {
  const sql = postgres(admin.href, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    return (await sql`select 1 from pg_database where datname = ${database}`).length === 1;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

const run = () =>
  promisify(execFile)(process.execPath, [script], {
    env: { ...process.env, DATABASE_URL: target.href },
    timeout: 30_000,
  });

afterAll(async () => {
  const sql = postgres(admin.href, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`drop database if exists ${sql(database)}`;
  } finally {
    await sql.end({ timeout: 1 });
  }
});

describe("ensure-test-database", () => {
  it("creates the database of DATABASE_URL when it is missing, then leaves it alone", async () => {
    expect(await exists()).toBe(false);

    const first = await run();
    expect(first.stdout).toContain(`created the database "${database}"`);
    expect(await exists()).toBe(true);

    const second = await run();
    expect(second.stdout).toBe("");
  });
});
