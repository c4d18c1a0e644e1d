/**
 * The opsq actor that producer.py feeds. Its name and queue are the Python actor's
 * (`process_order` on `example-orders`); Dramatiq's keyword arguments reach the handler as one
 * trailing object after the positional ones, when there are any.
 *
 * Run a worker for it:  npx opsq worker ./actors.ts
 */
import { defineActor, getContext } from "opsq";

/** Keyword arguments a Python producer may pass (`priority="high"`). */
export interface OrderKwargs {
  priority?: string;
}

/** What the actor handled, for the test. */
export const handled: { orderId: string; quantity: number; priority: string }[] = [];

/** Processes one order sent by `process_order.send(order_id, quantity, priority=…)` in Python. */
export const processOrder = defineActor(
  "process_order",
  (orderId: string, quantity: number, kwargs?: OrderKwargs) => {
    const priority = kwargs?.priority ?? "normal";
    handled.push({ orderId, quantity, priority });
    getContext().logger.info({ orderId, quantity, priority }, "order processed");
  },
  { queue: "example-orders" },
);
