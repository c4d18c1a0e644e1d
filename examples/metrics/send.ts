/**
 * A producer: 20 resizes and a few failing calls, to see the counters move. Start a worker
 * first (see actors.ts or embedded.ts), then:  npx tsx send.ts
 */
import { getBroker } from "opsq";
import { flaky, resize } from "./actors.js";

for (let i = 1; i <= 20; i += 1) await resize.send(i * 100);
for (const fail of [false, true, false]) await flaky.send(fail);
console.log("sent 20 resizes and 3 flaky calls (1 fails twice, then is dead-lettered)");
await getBroker().close();
