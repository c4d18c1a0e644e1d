/**
 * Actors whose results are stored, and the Results middleware that stores them.
 *
 * Results live in PostgreSQL (`DATABASE_URL`), so the worker stores them and another process
 * (send.ts) reads them. Without `DATABASE_URL` they live in memory, which only works when the
 * worker and the reader are one process (the test).
 *
 * Run a worker for them:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx opsq worker ./actors.ts
 */
import {
  defineActor,
  getBroker,
  getContext,
  MemoryResultBackend,
  PostgresResultBackend,
  type ResultBackend,
  Results,
} from "opsq";

/** Where results are kept: PostgreSQL when `DATABASE_URL` is set, else this process's memory. */
export const backend: ResultBackend = process.env.DATABASE_URL
  ? new PostgresResultBackend({ url: process.env.DATABASE_URL, table: "example_results" })
  : new MemoryResultBackend();

// Results are kept 10 minutes. Added to the global broker: RabbitMQ, or the StubBroker a test set.
getBroker().addMiddleware(new Results({ backend, resultTtlMs: 600_000 }));

/** Adds two numbers; `storeResults` keeps its return value for `getResult`. */
export const add = defineActor("results_add", (x: number, y: number): number => x + y, {
  queue: "example-results",
  storeResults: true,
});

/** Counts the words of a text; its failure on an empty text is stored too (a final failure). */
export const countWords = defineActor(
  "results_count_words",
  (text: string): number => {
    if (text.trim() === "") throw new Error("nothing to count");
    return text.trim().split(/\s+/).length;
  },
  { queue: "example-results", storeResults: true, maxRetries: 0 },
);

/** The group's completion callback: enqueued once, after every member succeeded. */
export const reportDone = defineActor(
  "results_report_done",
  (label: string): string => {
    getContext().logger.info({ label }, "every member of the group is done");
    return label;
  },
  { queue: "example-results", storeResults: true },
);
