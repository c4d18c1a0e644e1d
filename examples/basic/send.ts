/**
 * A producer: sends messages to the actors of actors.ts through RabbitMQ.
 * Start a worker first (npx opsq worker ./actors.ts), then:  npx tsx send.ts
 */
import { getBroker, pipeline } from "opsq";
import { add, flakyFetch, multiply, report } from "./actors.js";

// Each send resolves once RabbitMQ confirmed the message.
await add.send(2, 3);
await flakyFetch.send("https://example.com");

// (1 + 2) × 10, then report(30): each step's result is appended to the next step's arguments.
await pipeline([add.message(1, 2), multiply.pipeMessage(10), report.pipeMessage()]).run();

// Delivered no earlier than 5 s from now (through the example-math.DQ delay queue).
await add.sendWithOptions({ args: [40, 2], delayMs: 5_000 });

console.log("sent: add(2, 3), flaky_fetch, a pipeline add → multiply → report, and a delayed add(40, 2)");
await getBroker().close();
