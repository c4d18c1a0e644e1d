// Run before `npm test` (pretest): makes sure the PostgreSQL database the integration tests use
// exists. It connects to the `postgres` database of the same server and creates the missing one
// (`test` by default, from DATABASE_URL). When the server does not answer, the tests skip their
// PostgreSQL part locally (and fail under CI), so this only says so; when the database is missing
// and cannot be created, it exits 1 with a one-line instruction.
import postgres from "postgres";

const url = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
const redact = (value) => value.replace(/(\/\/[^:/@]*):[^@/]*@/, "$1:***@");
const options = { max: 1, connect_timeout: 5, onnotice: () => {} };

async function probe(target) {
  const sql = postgres(target, options);
  try {
    await sql`select 1`;
    return null;
  } catch (error) {
    return error;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

const parsed = new URL(url);
const database = decodeURIComponent(parsed.pathname.slice(1)) || parsed.username || "postgres";
const problem = await probe(url);
if (problem === null) process.exit(0);
if (problem.code !== "3D000") {
  // Not a missing database: the server is down or refuses us. The tests' own check reports it.
  const outcome = process.env.CI ? "fail (CI is set)" : "be skipped";
  console.warn(
    `[pretest] cannot connect to PostgreSQL at ${redact(url)} (${problem.message}); its tests will ${outcome}`,
  );
  process.exit(0);
}

const admin = new URL(url);
admin.pathname = "/postgres";
const sql = postgres(admin.href, options);
try {
  await sql`create database ${sql(database)}`;
  console.log(`[pretest] created the database "${database}" on ${redact(admin.host)}`);
} catch (error) {
  if (error.code !== "42P04") {
    // 42P04: created meanwhile by another run; anything else is ours to report.
    console.error(
      `[pretest] database "${database}" does not exist and could not be created (${error.message}): create it as a role allowed to (e.g. \`createdb -h ${parsed.hostname} -p ${parsed.port || 5432} -U postgres ${database}\`), or point DATABASE_URL at an existing database`,
    );
    process.exitCode = 1;
  }
} finally {
  await sql.end({ timeout: 1 });
}
