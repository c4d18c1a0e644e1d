/**
 * The consumer half of the raw limit (see `raw-limit.ts`), run as its own process like the
 * worker: hand-written postgres.js + amqplib + node:http, no opsq, no drizzle, no SDK. For each
 * message, with `RAW_CONCURRENCY` in flight (prefetch 2 × that, as opsq's worker): the task
 * store's claim statement, the same Chat Completions request the worker sends (system prompt,
 * goal, the built-in tools), the store's completion statement with a result of the same shape,
 * then the ack. Prints `raw consumer ready` once consuming; stops on SIGTERM.
 *
 * Environment: `DATABASE_URL`, `DATABASE_SCHEMA`, `RABBITMQ_URL`, `RAW_QUEUE`, `RAW_LLM_URL`
 * (the fake LLM's base URL), `RAW_CONCURRENCY`.
 *
 * @module
 */
import { Agent, request } from "node:http";
import amqp from "amqplib";
import postgres from "postgres";
import { DEFAULT_SYSTEM_PROMPT } from "../src/agent/run-agent.js";
import { ToolRegistry } from "../src/agent/tool-registry.js";
import { builtinTools } from "../src/agent/tools/index.js";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`raw consumer: ${name} is not set`);
  return value;
};
const concurrency = Number(env("RAW_CONCURRENCY"));
const queue = env("RAW_QUEUE");
const llm = new URL(`${env("RAW_LLM_URL")}/chat/completions`);
const workerId = `raw:${process.pid}`;

/** The store's claim and completion statements (`src/db/task-store.ts`), verbatim in effect. */
const COLUMNS =
  "task_id, task_type, name, status, created_at, updated_at, started_at, completed_at, input_data, result, error_message, attempts, worker_id, heartbeat_at";
const CLAIM = `update task set status = 'running', started_at = coalesce(started_at, now()), attempts = attempts + 1, worker_id = $2, heartbeat_at = now(), updated_at = now() where task_id = $1 and status in ('pending', 'running') returning ${COLUMNS}`;
const COMPLETE = `update task set status = $2, result = $3::jsonb, error_message = $4, completed_at = now(), updated_at = now() where task_id = $1 and status = 'running' returning ${COLUMNS}`;

const sql = postgres(env("DATABASE_URL"), {
  max: 10,
  onnotice: () => {},
  connection: { application_name: "ops-core-raw-bench", search_path: env("DATABASE_SCHEMA") },
});
const tools = new ToolRegistry(builtinTools()).definitions().map((tool) => ({
  type: "function",
  function: { name: tool.name, description: tool.description, parameters: tool.parameters },
}));
const agent = new Agent({ keepAlive: true });

function chat(body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: llm.hostname,
        port: llm.port,
        path: llm.pathname,
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          authorization: "Bearer no-key-configured",
          "content-length": Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function handle(taskId: string): Promise<void> {
  const [claimed] = await sql.unsafe(CLAIM, [taskId, workerId], { prepare: true });
  if (!claimed) return;
  const goal = (claimed.input_data as { goal: string }).goal;
  const messages = [
    { role: "system", content: DEFAULT_SYSTEM_PROMPT },
    { role: "user", content: goal },
  ];
  const reply = JSON.parse(await chat(JSON.stringify({ model: "fake-model", messages, tools }))) as {
    model: string;
    usage: unknown;
    choices: { message: { content: string } }[];
  };
  const answer = reply.choices[0]!.message.content;
  const result = {
    answer,
    outcome: "answered",
    steps: 1,
    model: reply.model,
    usage: reply.usage,
    toolCalls: [],
    history: [...messages, { role: "assistant", content: answer }],
  };
  await sql.unsafe(COMPLETE, [taskId, "completed", JSON.stringify(result), null], { prepare: true });
}

const connection = await amqp.connect(env("RABBITMQ_URL"));
const channel = await connection.createChannel();
await channel.prefetch(2 * concurrency);
let running = 0;
const waiting: amqp.ConsumeMessage[] = [];
const start = (message: amqp.ConsumeMessage) => {
  running++;
  const { args } = JSON.parse(message.content.toString("utf8")) as { args: [string] };
  handle(args[0]).then(
    () => {
      channel.ack(message);
      running--;
      const next = waiting.shift();
      if (next) start(next);
    },
    (error: unknown) => {
      console.error(`raw consumer: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
};
await channel.consume(queue, (message) => {
  if (!message) return;
  if (running < concurrency) start(message);
  else waiting.push(message);
});
console.log("raw consumer ready");
process.once("SIGTERM", () => {
  void Promise.allSettled([connection.close(), sql.end({ timeout: 2 })]).then(() => process.exit(0));
});
