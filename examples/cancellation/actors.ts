/**
 * A long-running actor that can be cancelled. Cancels live in PostgreSQL (`DATABASE_URL`), so
 * `cancel()` in any process (or `opsq cancel <id> --cancel-url …`) reaches every worker; without
 * `DATABASE_URL`, in this process's memory (tests).
 *
 * Run a worker for it:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx opsq worker ./actors.ts
 */
import {
  Cancellation,
  type CancellationBackend,
  defineActor,
  getBroker,
  getContext,
  MemoryCancellationBackend,
  PostgresCancellationBackend,
} from "opsq";

/** Where cancels are kept: PostgreSQL when `DATABASE_URL` is set, else memory. */
export const backend: CancellationBackend = process.env.DATABASE_URL
  ? new PostgresCancellationBackend({ url: process.env.DATABASE_URL })
  : new MemoryCancellationBackend();

getBroker().addMiddleware(new Cancellation({ backend }));

/** What the actor saw, for the test. */
export const journal = { started: [] as string[], finished: [] as string[], aborted: [] as string[] };

/**
 * Builds a report in `steps` steps of 100 ms. It passes its `signal` to every wait, so a cancel
 * (or the time limit) stops it at once; the signal's reason is a `MessageCancelled`.
 */
export const buildReport = defineActor(
  "cancellation_build_report",
  async (name: string, steps: number) => {
    const { signal, logger } = getContext();
    journal.started.push(name);
    try {
      for (let step = 0; step < steps; step += 1) {
        await new Promise<void>((resolve, reject) => {
          const stop = () => {
            clearTimeout(timer);
            reject(signal.reason);
          };
          const timer = setTimeout(() => {
            signal.removeEventListener("abort", stop);
            resolve();
          }, 100);
          signal.addEventListener("abort", stop, { once: true });
        });
      }
    } catch (error) {
      journal.aborted.push(`${name}: ${(error as Error).name}`);
      throw error;
    }
    journal.finished.push(name);
    logger.info({ name }, "report built");
  },
  { queue: "example-cancellation", timeLimitMs: 60_000 },
);
