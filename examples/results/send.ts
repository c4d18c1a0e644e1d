/**
 * A producer: sends to the actors of actors.ts through RabbitMQ and reads their results from
 * PostgreSQL. Start a worker first (see actors.ts), then, with the same DATABASE_URL:
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx send.ts
 */
import { getBroker } from "opsq";
import { backend } from "./actors.js";
import { runResultsFlow } from "./flow.js";

if (!process.env.DATABASE_URL) {
  console.error("set DATABASE_URL: the worker stores results there and this script reads them");
  process.exit(2);
}
const outcome = await runResultsFlow();
console.log(`add(1, 2) = ${outcome.sum}`);
console.log(`count_words("   ") failed: ${outcome.failure}`);
console.log(`group results: ${JSON.stringify(outcome.groupResults)}; callback: ${outcome.callbackResult}`);
await getBroker().close();
await backend.close();
