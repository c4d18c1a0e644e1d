/** Enqueue cells: P producer processes released together on one empty queue. */
import { type BenchContext, deleteFamilies } from "../lib/amqp.js";
import { type CpuUse, startCpu } from "./cpu.js";
import { startProducers } from "./producers.js";
import { freshQueue, type Target } from "./target.js";

/** One enqueue run. */
export interface EnqueueRun {
  /** Confirmed messages / (last confirm − common release), msg/s. */
  rate: number;
  failed: number;
  cpu: CpuUse;
}

/** `producers` processes send `messages` between them (`send()` all in flight, or `sendMany`). */
export async function enqueueCell(
  context: BenchContext,
  target: Target,
  producers: number,
  messages: number,
  mode: "send" | "sendMany" = "send",
): Promise<EnqueueRun> {
  const queue = await freshQueue(context, target, `enq-${producers}`);
  const each = Math.ceil(messages / producers);
  const ready = await startProducers(target, queue, producers, { messages: each, mode });
  try {
    const cpu = startCpu(target.urls.length > 1);
    const { go, results } = ready.release();
    const all = await results;
    const used = cpu();
    const confirmed = all.reduce((sum, r) => sum + r.confirmed, 0);
    const last = Math.max(...all.map((r) => r.lastConfirm));
    return {
      rate: (confirmed * 1000) / (last - go),
      failed: all.reduce((s, r) => s + r.failed, 0),
      cpu: used,
    };
  } finally {
    ready.kill();
    await deleteFamilies(context, [queue]);
  }
}
