/**
 * The enqueue process of the peers' benchmark, one per measured run (`node --import tsx` this file):
 * opens BENCH_PEER, warms up with BENCH_WARMUP jobs the same way, then enqueues BENCH_MESSAGES jobs
 * to BENCH_QUEUE one at a time (all pending, then awaited) or batched (BENCH_MODE `one` | `batch`),
 * and prints one JSON line: {@link EnqueueResult}. The settings come in BENCH_SETTINGS (JSON).
 */
import { machineBusyMs } from "../lib/machine.js";
import type { EnqueueMode, EnqueueResult } from "./measure.js";
import { PEER_NAMES, type PeerName, type PeerSettings } from "./peer.js";
import { OPENERS } from "./registry.js";

const name = process.env.BENCH_PEER as PeerName;
const mode = process.env.BENCH_MODE as EnqueueMode;
const queue = process.env.BENCH_QUEUE ?? "";
const count = Number(process.env.BENCH_MESSAGES);
const warmup = Number(process.env.BENCH_WARMUP ?? 2000);
if (!PEER_NAMES.includes(name) || (mode !== "one" && mode !== "batch") || !queue || !(count > 0)) {
  console.error("enqueue-child: BENCH_PEER, BENCH_MODE, BENCH_QUEUE and BENCH_MESSAGES are required");
  process.exit(2);
}
const settings = JSON.parse(process.env.BENCH_SETTINGS ?? "{}") as PeerSettings;
const peer = await OPENERS[name](settings);
const enqueue = (n: number) => (mode === "one" ? peer.enqueueOne(queue, n) : peer.enqueueBatch(queue, n));
try {
  if (warmup > 0) await enqueue(warmup);
  const cpu = process.cpuUsage();
  const busy = machineBusyMs();
  const started = performance.now();
  await enqueue(count);
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const result: EnqueueResult = {
    rate: count / (elapsed / 1000),
    processCpuUs: (used.user + used.system) / count,
    machineCpuUs: ((machineBusyMs() - busy) * 1000) / count,
  };
  console.log(JSON.stringify(result));
} finally {
  await peer.close();
}
process.exit(0);
