/**
 * A producer: sends one `greet` message to RabbitMQ for a worker to run.
 *
 * npx opsq worker ./dist/actors.js   # terminal 1
 * node dist/send.js Ada              # terminal 2
 */
import { broker, greet } from "./actors.js";

const name = process.argv[2] ?? "world";
const sent = await greet.send(name); // resolves once RabbitMQ confirmed the message
console.log(`sent greet(${JSON.stringify(name)}) as message ${sent.messageId}`);
await broker.close();
