/**
 * Actors whose handlers cannot be stopped by an AbortSignal: CPU-bound loops that never yield.
 * `isolation` runs each in a runner (a worker thread or a child process) that is killed at the
 * time limit, so the worker's event loop stays free and its slot is handed back.
 *
 * Run a worker for them:  npx opsq worker ./actors.ts
 */
import { defineActor } from "opsq";

/** Busy-waits `ms` milliseconds without yielding, as a big parse or a tight loop would. */
function spin(ms: number): number {
  const end = Date.now() + ms;
  let turns = 0;
  while (Date.now() < end) turns += 1;
  return turns;
}

/**
 * Crunches numbers for `ms` milliseconds in a worker thread. Past 10 s (the first attempt's
 * limit includes starting the runner, a few hundred ms) the thread is terminated
 * and the attempt fails with TimeLimitExceeded; with `maxRetries: 0` it is then dead-lettered.
 */
export const crunch = defineActor("hard_limits_crunch", (ms: number) => spin(ms) >= 0, {
  queue: "example-hard-limits",
  isolation: { mode: "thread", module: import.meta.url },
  timeLimitMs: 10_000,
  maxRetries: 0,
});

/**
 * The same in a child process, killed with SIGKILL at the limit: this also stops a handler
 * blocked in native code, which a thread cannot be.
 */
export const crunchInProcess = defineActor("hard_limits_crunch_process", (ms: number) => spin(ms) >= 0, {
  queue: "example-hard-limits",
  isolation: { mode: "process", module: import.meta.url },
  timeLimitMs: 10_000,
  maxRetries: 0,
});
