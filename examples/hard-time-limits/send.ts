/**
 * A producer: one crunch that finishes (0.2 s) and one that is killed at its 10 s limit, in a
 * thread and in a process. Start a worker first (npx opsq worker ./actors.ts), then:  npx tsx send.ts
 */
import { getBroker } from "opsq";
import { crunch, crunchInProcess } from "./actors.js";

await crunch.send(200);
await crunch.send(60_000);
await crunchInProcess.send(200);
await crunchInProcess.send(60_000);
console.log("sent: the 60 s crunches are killed after 10 s and dead-lettered to example-hard-limits.XQ");
await getBroker().close();
