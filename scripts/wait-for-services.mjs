// Waits (up to 90 s) until RabbitMQ completes an AMQP handshake and PostgreSQL answers SELECT 1.
// Used by .ci/run; exits 1 with one line per service that never answered.
import amqp from "amqplib";
import postgres from "postgres";

const rabbitUrl = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const deadline = Date.now() + 90_000;
const redact = (url) => url.replace(/(\/\/[^:/@]*):[^@/]*@/, "$1:***@");

async function until(name, url, probe) {
  let last;
  while (Date.now() < deadline) {
    try {
      await probe();
      console.log(`[ci] ${name} ready at ${redact(url)}`);
      return true;
    } catch (error) {
      last = error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  console.error(`[ci] ${name} unreachable at ${redact(url)}: ${last?.message ?? last}`);
  return false;
}

const rabbit = until("RabbitMQ", rabbitUrl, async () => {
  const connection = await amqp.connect(rabbitUrl);
  await connection.close();
});
const pg = until("PostgreSQL", databaseUrl, async () => {
  const sql = postgres(databaseUrl, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`select 1`;
  } finally {
    await sql.end({ timeout: 1 });
  }
});
const ok = (await Promise.all([rabbit, pg])).every(Boolean);
process.exit(ok ? 0 : 1);
