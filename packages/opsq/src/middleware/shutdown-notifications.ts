/**
 * ShutdownNotifications: tells running actors that declared `notifyShutdown`
 * that the worker is stopping, by aborting their signal with `Shutdown`.
 *
 * @module
 */
import type { Broker } from "../broker.js";
import { Shutdown } from "../errors.js";
import type { MessageProxy } from "../message-proxy.js";
import { getOption } from "../options.js";
import type { Worker } from "../worker.js";
import type { Middleware } from "./middleware.js";

/** Options of {@link ShutdownNotifications}. */
export interface ShutdownNotificationsOptions {
  /** Default for actors that set no `notifyShutdown`. @default false */
  notifyShutdown?: boolean;
}

/** Aborts the signal of in-flight `notifyShutdown` attempts with {@link Shutdown} when the worker stops. */
export class ShutdownNotifications implements Middleware {
  readonly name = "ShutdownNotifications";
  readonly actorOptions = ["notifyShutdown"] as const;
  readonly #notifyShutdown: boolean;
  readonly #running = new Set<MessageProxy>();

  /** @param options the default */
  constructor(options: ShutdownNotificationsOptions = {}) {
    this.#notifyShutdown = options.notifyShutdown ?? false;
  }

  beforeProcessMessage(broker: Broker, proxy: MessageProxy): void {
    const actor = broker.actors.get(proxy.message.actorName);
    if (getOption(proxy.message, actor?.options, "notifyShutdown", this.#notifyShutdown)) {
      this.#running.add(proxy);
    }
  }

  afterProcessMessage(_broker: Broker, proxy: MessageProxy): void {
    if (this.#running.size > 0) {
      this.#running.delete(proxy);
    }
  }

  afterSkipMessage(_broker: Broker, proxy: MessageProxy): void {
    if (this.#running.size > 0) {
      this.#running.delete(proxy);
    }
  }

  /** Notifies the attempts of the worker that is stopping (several workers may share a broker). */
  beforeWorkerShutdown(_broker: Broker, worker: Worker): void {
    for (const proxy of this.#running) {
      if (proxy.workerId === worker.id) {
        proxy.logger.info("worker shutting down; notifying the actor");
        proxy.abort(new Shutdown());
      }
    }
  }
}
