/**
 * Scale-out figures in one run, against the single node on 5672 (classic and quorum queues) and,
 * when `RABBITMQ_URLS` names ≥ 2 nodes (as `scripts/rabbitmq-cluster.sh run` sets), the cluster
 * (quorum); every cell on a fresh queue (declared from node 1, so in the cluster node 1 leads it,
 * deleted after), `--rounds` rounds, each over every target:
 * - enqueue: P = 1–4 producer processes (fixtures/producer.mjs, all `send()` in flight, each its
 *   own connection, producer i on node i mod 3) released together: confirmed / (last confirm −
 *   release); and `sendMany` for P = 1;
 * - drain: W = 1, 2, 4 `opsq worker` processes (concurrency 50; worker i on node i mod 3) on a queue
 *   pre-filled with `--messages`: spawn → last handler start, and first → last;
 * - combined: P producers (at most 500 sends in flight each) and W workers at once for
 *   `--combined-seconds`: handler starts and confirms per second after the first second, and the
 *   backlog left;
 * with the cores the whole machine and RabbitMQ (every beam.smp) were busy during each cell.
 *
 * Usage: npm run bench:scale [-- --rounds 2 --messages 20000 --combined-seconds 6 --quick
 *   --only single|cluster|enqueue|drain|combined]
 *
 * @module
 */
import { describeMachine } from "./lib/machine.js";
import { combinedCell } from "./scale/combined.js";
import { drainCell } from "./scale/drain.js";
import { enqueueCell } from "./scale/enqueue.js";
import { parseScaleOptions } from "./scale/options.js";
import { CELLS, MATRIX, PRODUCERS, report, WORKERS } from "./scale/report.js";
import { Figures } from "./scale/table.js";
import { closeTarget, openTarget, type Target, targets } from "./scale/target.js";

const options = parseScaleOptions(process.argv.slice(2));
const cluster = (process.env.RABBITMQ_URLS ?? "").split(",").filter(Boolean);
const all = targets(process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672", cluster).filter((t) =>
  options.only === "single" ? t.urls.length === 1 : options.only === "cluster" ? t.urls.length > 1 : true,
);
if (options.only === "cluster" && all.length === 0) {
  process.stderr.write("bench/scale: --only cluster needs RABBITMQ_URLS with at least two nodes\n");
  process.exit(2);
}
const sections = (Object.keys(CELLS) as (keyof typeof CELLS)[]).filter(
  (s) => !(Object.keys(CELLS) as string[]).includes(options.only ?? "") || options.only === s,
);
const figures = new Figures();
const machine = describeMachine(undefined);
let failures = 0;

/** Runs one cell, records its figures, logs a line; a failed cell is logged, counted and skipped. */
async function cell(
  section: string,
  target: Target,
  name: string,
  measure: () => Promise<Record<string, number>>,
) {
  try {
    const values = await measure();
    for (const [metric, value] of Object.entries(values))
      figures.add(section, target.name, name, metric, value);
    const shown = Object.entries(values).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(2)}`);
    process.stderr.write(`${section} | ${target.name} | ${name}: ${shown.join(", ")}\n`);
  } catch (error) {
    failures++;
    process.stderr.write(
      `${section} | ${target.name} | ${name} FAILED: ${(error as Error).message.slice(0, 500)}\n`,
    );
  }
}

const cpu = (used: { machineCores: number; rabbitCores: number }) => ({
  machine: used.machineCores,
  rabbit: used.rabbitCores,
});

for (let round = 0; round < options.rounds; round++) {
  for (const target of all) {
    const context = await openTarget(target, options.messages);
    try {
      if (sections.includes("enqueue")) {
        for (const [name, p, mode] of [
          ...PRODUCERS.map((p) => [String(p), p, "send"] as const),
          ["1 sendMany", 1, "sendMany"] as const,
        ]) {
          await cell("enqueue", target, name, async () => {
            const run = await enqueueCell(context, target, p, options.messages, mode);
            return { rate: run.rate, failed: run.failed, ...cpu(run.cpu) };
          });
        }
      }
      if (sections.includes("drain")) {
        for (const w of WORKERS) {
          await cell("drain", target, String(w), async () => {
            const run = await drainCell(context, target, w, options.messages);
            return {
              spawn: run.spawnRate,
              firstLast: run.firstLastRate,
              workerUs: run.workerCpuUs,
              count: run.count,
              ...cpu(run.cpu),
            };
          });
        }
      }
      if (sections.includes("combined")) {
        for (const [p, w] of MATRIX) {
          await cell("combined", target, `${p}×${w}`, async () => {
            const run = await combinedCell(context, target, p, w, options.combinedSeconds);
            const { processed, enqueued, backlog, failed } = run;
            return { processed, enqueued, backlog, failed, ...cpu(run.cpu) };
          });
        }
      }
    } finally {
      await closeTarget(context);
    }
  }
}

process.stdout.write(report({ figures, targets: all, options, machine, sections }));
if (failures > 0) {
  process.stderr.write(`${failures} cell(s) failed\n`);
  process.exitCode = 1;
}
