/**
 * The service's actors, on a RabbitMQ broker of its own (RABBITMQ_URL). The queue is
 * CONSUMER_QUEUE (default `consumer-service`), so several copies can run side by side.
 *
 * Run a worker for them:  npx opsq worker ./dist/actors.js
 */
import { defineActor, getContext, RabbitmqBroker } from "opsq";

/** The queue of this module's actors. */
export const QUEUE = process.env.CONSUMER_QUEUE ?? "consumer-service";

/** The broker of this module's actors; `opsq worker` uses it because the module exports it. */
export const broker = new RabbitmqBroker({
  url: process.env.RABBITMQ_URL ?? "amqp://guest:guest@localhost:5672",
});

/** Greets `name`: logs a `greeted` line and returns the greeting. */
export const greet = defineActor(
  "greet",
  (name: string): string => {
    const greeting = `hello, ${name}`;
    getContext().logger.info({ name, greeting }, "greeted");
    return greeting;
  },
  { broker, queue: QUEUE, maxRetries: 3 },
);
