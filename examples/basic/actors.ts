/**
 * The example's actors. They are defined on the global broker: RabbitMQ at
 * RABBITMQ_URL (default amqp://guest:guest@localhost:5672), which importing
 * opsq sets up. Nothing connects until a worker starts or a message is sent.
 *
 * Run a worker for them:  npx opsq worker ./actors.ts
 */
import { defineActor, getContext } from "opsq";

/** Adds two numbers; the typed handler types `add.send(x, y)`. */
export const add = defineActor(
  "add",
  (x: number, y: number): number => {
    const sum = x + y;
    getContext().logger.info({ x, y, sum }, "added");
    return sum;
  },
  { queue: "example-math" },
);

/**
 * Fails its first two attempts, as a flaky network call would; the Retries
 * middleware runs it again with exponential backoff (0.5 s, then ~1 s here),
 * up to `maxRetries` times, then dead-letters it to `example-io.XQ`.
 */
export const flakyFetch = defineActor(
  "flaky_fetch",
  async (url: string): Promise<string> => {
    const { retries, logger } = getContext();
    if (retries < 2) {
      throw new Error(`connection reset fetching ${url} (attempt ${retries + 1})`);
    }
    logger.info({ url, attempt: retries + 1 }, "fetched");
    return `contents of ${url}`;
  },
  { queue: "example-io", maxRetries: 5, minBackoffMs: 500, maxBackoffMs: 5_000 },
);

/**
 * A pipeline step: multiplies the previous step's result by `factor`. The
 * Pipelines middleware appends that result as the last argument, and
 * `multiply.pipeMessage(10)` builds the step without it.
 */
export const multiply = defineActor("multiply", (factor: number, value: number): number => factor * value, {
  queue: "example-math",
});

/** The last step of the pipeline: logs what it received. */
export const report = defineActor(
  "report",
  (total: number): void => {
    getContext().logger.info({ total }, "pipeline finished");
  },
  { queue: "example-math" },
);
