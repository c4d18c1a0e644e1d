/**
 * A producer: five reindexes (they run one at a time) and six partner pushes (at most two a
 * second). Start a worker first (see actors.ts), then:  npx tsx send.ts
 */
import { getBroker } from "opsq";
import { push, reindex } from "./actors.js";

for (const name of ["users", "orders", "items", "events", "logs"]) await reindex.send(name);
for (let id = 1; id <= 6; id += 1) await push.send(`record-${id}`);
console.log("sent 5 reindexes and 6 pushes: watch the worker's log");
await getBroker().close();
