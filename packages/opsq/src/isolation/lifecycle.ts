/**
 * Ties runner pools to workers: the first isolated actor defined on a broker
 * adds {@link IsolationLifecycle} to it, and when the last running worker of
 * the process stops, its runners are killed, so a stopped worker leaves no
 * thread or child process behind. Brokers without isolated actors never get
 * this middleware.
 *
 * @module
 */
import type { Broker } from "../broker.js";
import type { Middleware } from "../middleware/middleware.js";
import { closeIsolationPools } from "./lazy-pool.js";

// Workers running in this process on brokers with isolated actors: pools are shared by them all.
let runningWorkers = 0;

/** Closes the isolation pools once the last running worker has shut down. */
export class IsolationLifecycle implements Middleware {
  readonly name = "IsolationLifecycle";

  beforeWorkerBoot(): void {
    runningWorkers++;
  }

  afterWorkerShutdown(): Promise<void> | undefined {
    runningWorkers = Math.max(0, runningWorkers - 1);
    return runningWorkers === 0 ? closeIsolationPools() : undefined;
  }
}

/** Adds {@link IsolationLifecycle} to `broker` unless it has it. */
export function attachIsolationLifecycle(broker: Broker): void {
  if (!broker.middleware.some((middleware) => middleware instanceof IsolationLifecycle)) {
    broker.addMiddleware(new IsolationLifecycle());
  }
}
