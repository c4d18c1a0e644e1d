/**
 * `PeriodicPass`: runs an async pass every `intervalMs`, never two at once (a pass still running
 * when the next is due makes that one skip), on an unref'd timer, and stops by waiting for the
 * pass under way. The outbox relay and the stale-task reaper both run on it.
 *
 * @module
 */

/** Runs `pass` periodically, one at a time, between {@link PeriodicPass.start} and {@link PeriodicPass.stop}. */
export class PeriodicPass {
  readonly #pass: () => Promise<unknown>;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  /** @param pass one pass; it must not reject (handle and log its own errors) @param intervalMs time between passes */
  constructor(pass: () => Promise<unknown>, intervalMs: number) {
    this.#pass = pass;
    this.#intervalMs = intervalMs;
  }

  /** Schedules a pass every `intervalMs` (the first one `intervalMs` from now); a second call does nothing. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.#running ??= this.#pass().finally(() => {
        this.#running = undefined;
      });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops scheduling passes and waits for the one under way, if any. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
