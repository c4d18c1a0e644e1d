/**
 * A worker started from code, inside the service's own process: it consumes the actors' queue,
 * and the service sends a message and waits for its result (kept in memory by the Results
 * middleware), then stops the worker.
 *
 * node dist/main.js Ada
 */
import { getResult, MemoryResultBackend, Results, Worker } from "opsq";
import { broker, greet } from "./actors.js";

const backend = new MemoryResultBackend();
broker.addMiddleware(new Results({ backend }));
const worker = new Worker(broker, { concurrency: 4 });
await worker.start();
try {
  const name = process.argv[2] ?? "world";
  const sent = await greet.sendWithOptions({ args: [name], storeResults: true });
  // Typed from the actor's return type.
  const greeting: string = await getResult(sent, { backend, block: true, timeoutMs: 10_000 });
  console.log(`${greeting} (run by a worker started from code)`);
} finally {
  await worker.stop({ timeoutMs: 5_000 });
  await broker.close();
}
