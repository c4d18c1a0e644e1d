/**
 * The default middleware stack.
 *
 * @module
 */

import { Tracing } from "../tracing/middleware.js";
import { AgeLimit } from "./age-limit.js";
import { Callbacks } from "./callbacks.js";
import type { Middleware } from "./middleware.js";
import { Pipelines } from "./pipelines.js";
import { Retries } from "./retries.js";
import { ShutdownNotifications } from "./shutdown-notifications.js";
import { TimeLimit } from "./time-limit.js";

/**
 * A fresh default stack: Tracing first (its spans cover the other hooks; it records nothing
 * unless the application installs an OpenTelemetry SDK), then Dramatiq's order: AgeLimit,
 * TimeLimit, ShutdownNotifications, Callbacks, Pipelines, Retries.
 */
export function defaultMiddleware(): Middleware[] {
  return [
    new Tracing(),
    new AgeLimit(),
    new TimeLimit(),
    new ShutdownNotifications(),
    new Callbacks(),
    new Pipelines(),
    new Retries(),
  ];
}
