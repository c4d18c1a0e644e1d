/**
 * How the long-running commands (`serve`, `dashboard`) wait to be stopped, and stop within a
 * bound.
 *
 * @module
 */

/** Resolves on SIGINT, SIGTERM or `signal`; `dispose` removes the listeners. */
export function stopRequested(signal: AbortSignal | undefined): { promise: Promise<void>; dispose(): void } {
  let stop = () => {};
  const promise = new Promise<void>((resolve) => {
    stop = () => resolve();
  });
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  signal?.addEventListener("abort", stop, { once: true });
  if (signal?.aborted) stop();
  return {
    promise,
    dispose: () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      signal?.removeEventListener("abort", stop);
    },
  };
}

/** Waits for `work` (its failure ignored) at most `timeoutMs`. */
export async function withTimeout(work: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => {}),
    new Promise((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}
