/**
 * opsq in one process, on the in-memory StubBroker (no RabbitMQ needed):
 * defining actors, sending messages, retries with backoff, a dead letter once
 * retries run out, and a pipeline. Prints what happened.
 *
 * Run it:  npx tsx stub-demo.ts
 */
import { pathToFileURL } from "node:url";
import { createLogger, defineActor, getContext, pipeline, Worker } from "opsq";
import { StubBroker } from "opsq/testing";

/** What the demo saw. */
export interface DemoOutcome {
  /** The additions run ("add(2, 3) = 5"), the pipeline's first step included. */
  added: string[];
  /** The attempts of `flaky_fetch` ("failed" or "succeeded"), in order. */
  flakyAttempts: string[];
  /** What `report` received at the end of the pipeline add(1, 2) → multiply(10) → report. */
  pipelineTotal: number | undefined;
  /** Actor names of the dead-lettered messages. */
  deadLettered: string[];
  /** The lines printed. */
  lines: string[];
}

/** Runs the demo; `print` gets each line of the story. */
export async function runStubDemo(print: (line: string) => void = console.log): Promise<DemoOutcome> {
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    print(line);
  };
  // A silent logger keeps the story readable; the default logs JSON lines.
  const broker = new StubBroker({ logger: createLogger({ level: "silent" }) });

  // 1. Define actors: a name, a typed handler, a queue; retry options per actor.
  const added: string[] = [];
  const add = defineActor(
    "add",
    (x: number, y: number) => {
      added.push(`add(${x}, ${y}) = ${x + y}`);
      say(added.at(-1)!);
      return x + y;
    },
    { broker, queue: "demo" },
  );

  const flakyAttempts: string[] = [];
  const flakyFetch = defineActor(
    "flaky_fetch",
    (url: string) => {
      const { retries } = getContext();
      if (retries < 2) {
        flakyAttempts.push("failed");
        say(`flaky_fetch(${url}): attempt ${retries + 1} failed, the Retries middleware will try again`);
        throw new Error("connection reset");
      }
      flakyAttempts.push("succeeded");
      say(`flaky_fetch(${url}): attempt ${retries + 1} succeeded`);
      return `contents of ${url}`;
    },
    { broker, queue: "demo", maxRetries: 5, minBackoffMs: 10, maxBackoffMs: 100 },
  );

  const doomed = defineActor(
    "doomed",
    () => {
      say(`doomed(): attempt ${getContext().retries + 1} failed`);
      throw new Error("this always fails");
    },
    { broker, queue: "demo", maxRetries: 1, minBackoffMs: 10, maxBackoffMs: 100 },
  );

  // In a pipeline, each step's result is appended to the next step's arguments.
  const multiply = defineActor("multiply", (factor: number, value?: number) => factor * (value ?? 0), {
    broker,
    queue: "demo",
  });
  let pipelineTotal: number | undefined;
  const report = defineActor(
    "report",
    (total?: number) => {
      pipelineTotal = total;
    },
    { broker, queue: "demo" },
  );

  // 2. Start a worker, as `opsq worker` would.
  const worker = new Worker(broker, { concurrency: 4 });
  await worker.start();

  // 3. Send messages; typed: add.send("2", 3) would not compile.
  await add.send(2, 3);
  await flakyFetch.send("https://example.com");
  await doomed.send();
  await pipeline([add.message(1, 2), multiply.pipeMessage(10), report.pipeMessage()], broker).run();

  // 4. Wait until the queue and its delay queue (where retries wait) are empty.
  await broker.join("demo", { timeoutMs: 10_000 });
  await worker.stop();
  await broker.close();

  const deadLettered = broker.deadLetteredMessages("demo").map((message) => message.actorName);
  say(`pipeline add(1, 2) → multiply(10) → report received ${pipelineTotal}`);
  say(`dead-lettered after their retries ran out: ${deadLettered.join(", ") || "none"}`);
  return { added, flakyAttempts, pipelineTotal, deadLettered, lines };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runStubDemo();
}
