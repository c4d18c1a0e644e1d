/**
 * The default middleware stack.
 *
 * @module
 */
import { AgeLimit } from "./age-limit.js";
import { Callbacks } from "./callbacks.js";
import type { Middleware } from "./middleware.js";
import { Pipelines } from "./pipelines.js";
import { Retries } from "./retries.js";
import { ShutdownNotifications } from "./shutdown-notifications.js";
import { TimeLimit } from "./time-limit.js";

/**
 * A fresh default stack, in Dramatiq's order: AgeLimit, TimeLimit,
 * ShutdownNotifications, Callbacks, Pipelines, Retries.
 */
export function defaultMiddleware(): Middleware[] {
  return [
    new AgeLimit(),
    new TimeLimit(),
    new ShutdownNotifications(),
    new Callbacks(),
    new Pipelines(),
    new Retries(),
  ];
}
