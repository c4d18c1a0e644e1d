/**
 * A producer: starts a long report, cancels it after a second (the worker aborts it), and
 * cancels a delayed one before it runs (it never starts). Start a worker first (see actors.ts),
 * then, with the same DATABASE_URL:  npx tsx send.ts
 */
import { cancel, getBroker } from "opsq";
import { backend, buildReport } from "./actors.js";

const running = await buildReport.send("yearly", 100); // ~10 s of work
const later = await buildReport.sendWithOptions({ args: ["weekly", 10], delayMs: 5_000 });
await new Promise((resolve) => setTimeout(resolve, 1_000));
await cancel([running, later]); // resolves once the cancels are stored
console.log(`cancelled ${running.messageId} (running) and ${later.messageId} (not started)`);
await getBroker().close();
await backend.close();
