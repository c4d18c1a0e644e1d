/**
 * Soak: a queue pre-filled with N messages (200,000 by default) drained by one `opsq worker`
 * process (concurrency 50), its RSS read from /proc every 250 ms, and a timestamp every N/10
 * messages, giving the throughput of each 10 % slice. The worker runs with --expose-gc, so the
 * fixture also reads the live heap after a full GC at each slice (a few ms per slice).
 *
 * V8 grows its young generation to its working size within the first thousands of messages, so
 * RSS steps up once at the start; the growth target is judged after the first 10 % (warm-up), and
 * the whole-drain comparison is reported too.
 */
import { type BenchContext, deleteFamilies, prefilledStatsQueue, waitEmpty } from "./amqp.js";
import { assertAlive, readRecords, rssMb, startStatsWorker } from "./processes.js";
import { linearRegression, mean, sleep, wallClock } from "./stats.js";

export interface SoakFigures {
  messages: number;
  handled: number;
  prefillSeconds: number;
  drainSeconds: number;
  /** msg/s of each 10 % slice. */
  sliceRates: number[];
  /** RSS when ready (idle), and at the start, middle and end of the drain, MB. */
  rssReady: number;
  rssStart: number;
  rssMiddle: number;
  rssEnd: number;
  /** After the warm-up (first 10 %): mean RSS of the first and last quarter, MB, and the growth, %. */
  rssFirstQuarter: number;
  rssLastQuarter: number;
  rssGrowthPercent: number;
  /** The same over the whole drain, warm-up included, %. */
  rssGrowthWholePercent: number;
  /** Regression slope of RSS over messages handled after the warm-up, MB per 100,000 messages. */
  slopeMbPer100k: number;
  samples: number;
  /** Live heap after a full GC at the end of the first and last slice, MB. */
  liveHeapFirst: number;
  liveHeapLast: number;
  /** Heap size (V8 heapTotal) at each slice, MB. */
  heapTotals: number[];
}

export async function measureSoak(context: BenchContext, messages: number): Promise<SoakFigures> {
  const { queue, stats, prefillSeconds } = await prefilledStatsQueue(context, "soak", messages);
  const slice = Math.floor(messages / 10);
  const worker = await startStatsWorker(context.url, {
    queue,
    stats,
    env: { BENCH_SLICE: String(slice) },
    nodeArgs: ["--expose-gc"],
  });
  const pid = worker.child.pid!;
  const rssReady = rssMb(pid);
  const samples: { at: number; rss: number }[] = [];
  const sampler = setInterval(() => samples.push({ at: wallClock(), rss: rssMb(pid) }), 250);
  try {
    await waitEmpty(context, queue, assertAlive([worker]));
    await sleep(500);
  } finally {
    clearInterval(sampler);
    await worker.stop();
  }
  const [record] = readRecords(stats);
  await deleteFamilies(context, [queue]);
  if (record === undefined) throw new Error("the soak worker wrote no record");
  const bounds = [record.first, ...record.slices];
  const sliceRates = record.slices.map((end, i) => slice / ((end - bounds[i]!) / 1000));
  // Samples during the drain, with the messages handled at that time (interpolated between slices).
  const during = samples.filter((s) => s.at >= record.first && s.at <= record.last && Number.isFinite(s.rss));
  const points = [
    { at: record.first, handled: 0 },
    ...record.slices.map((at, i) => ({ at, handled: (i + 1) * slice })),
    { at: record.last, handled: record.count },
  ];
  const handledAt = (at: number) => {
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1]!;
      const b = points[i]!;
      if (at <= b.at) return a.handled + ((b.handled - a.handled) * (at - a.at)) / Math.max(1, b.at - a.at);
    }
    return record.count;
  };
  const growth = (samplesOf: typeof during) => {
    const quarter = Math.max(1, Math.floor(samplesOf.length / 4));
    const first = mean(samplesOf.slice(0, quarter).map((s) => s.rss));
    const last = mean(samplesOf.slice(-quarter).map((s) => s.rss));
    return { first, last, percent: ((last - first) / first) * 100 };
  };
  const warmedUp = during.filter((s) => s.at >= (record.slices[0] ?? record.first));
  const { first, last, percent } = growth(warmedUp);
  const { slope } = linearRegression(
    warmedUp.map((s) => handledAt(s.at)),
    warmedUp.map((s) => s.rss),
  );
  const memory = record.memory ?? [];
  const mb = (bytes: number | undefined) => (bytes === undefined ? Number.NaN : bytes / 2 ** 20);
  return {
    messages,
    handled: record.count,
    prefillSeconds,
    drainSeconds: (record.last - record.first) / 1000,
    sliceRates,
    rssReady,
    rssStart: during[0]?.rss ?? Number.NaN,
    rssMiddle: during[Math.floor(during.length / 2)]?.rss ?? Number.NaN,
    rssEnd: during.at(-1)?.rss ?? Number.NaN,
    rssFirstQuarter: first,
    rssLastQuarter: last,
    rssGrowthPercent: percent,
    rssGrowthWholePercent: growth(during).percent,
    slopeMbPer100k: slope * 100_000,
    samples: during.length,
    liveHeapFirst: mb(memory[0]?.liveHeap),
    liveHeapLast: mb(memory.at(-1)?.liveHeap),
    heapTotals: memory.map((m) => mb(m.heapTotal)),
  };
}
