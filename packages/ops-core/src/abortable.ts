/**
 * Makes a promise settle as soon as a signal aborts, even when the work behind it ignores
 * the signal (a tool that never checks it, say). The work itself is not stopped — Node cannot
 * kill a promise — but the caller stops waiting.
 *
 * @module
 */

/**
 * Resolves or rejects like `promise`, or rejects with `signal.reason` as soon as `signal`
 * aborts, whichever comes first.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
