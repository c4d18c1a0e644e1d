/** Every figure of one run, and the summary rows (figure, value, target, met) drawn from them. */
import { type DashboardFigures, pairedRatio } from "./dashboard.js";
import type { E2eFigures } from "./e2e.js";
import type { LatencyFigures } from "./latency.js";
import type { Machine } from "./machine.js";
import type { SoakFigures } from "./soak.js";
import type { StartupFigures } from "./startup.js";
import { format, median } from "./stats.js";
import type { DrainFigures, EnqueueFigures } from "./throughput.js";

export interface Results {
  command: string;
  messages: number;
  /** Messages per drain run (the drain section's own count). */
  drainMessages: number;
  rounds: number;
  machine: Machine;
  durationSeconds?: number;
  enqueue?: EnqueueFigures;
  drain?: DrainFigures;
  /** Drain with and without the dashboard open. */
  dashboard?: DashboardFigures;
  /** End-to-end peak (send() and one worker at once), msg/s: median and rounds. */
  peak?: number;
  peaks?: number[];
  light?: LatencyFigures;
  loaded?: LatencyFigures;
  soak?: SoakFigures;
  startup?: StartupFigures;
  fixtureStartup?: StartupFigures;
  e2e?: E2eFigures;
}

export interface Row {
  name: string;
  value: number | undefined;
  unit: string;
  /** e.g. "≥ 0.8" */
  target?: string;
  met?: boolean;
  note?: string;
  /** Shown instead of the value. */
  text?: string;
}

function ratioRow(name: string, opsq: number, raw: number, target = 0.8): Row {
  const ratio = opsq / raw;
  return { name, value: ratio, unit: "×", target: `≥ ${target}`, met: ratio >= target };
}

/** opsq / raw of each round (the rounds are interleaved, so round i of each ran side by side). */
export function roundRatios(opsq: readonly number[], raw: readonly number[]): number[] {
  return opsq.slice(0, raw.length).map((value, i) => value / raw[i]!);
}

/** "median (min–max)" of the values. */
export function spread(values: readonly number[]): string {
  if (values.length === 0) return "—";
  return `${format(median(values))} (${format(Math.min(...values))}–${format(Math.max(...values))})`;
}

/** The target of every throughput ratio opsq / raw amqplib. */
export const THROUGHPUT_TARGET = 0.9;

// The ratio of the medians with its target, and the spread of the rounds' ratios as text.
function spreadRatioRow(name: string, opsq: readonly number[], raw: readonly number[]): Row {
  const row = ratioRow(name, median(opsq), median(raw), THROUGHPUT_TARGET);
  const ratios = roundRatios(opsq, raw);
  const range = `${format(Math.min(...ratios))}–${format(Math.max(...ratios))}`;
  return { ...row, text: `${format(row.value!)} (rounds ${range})` };
}

/** The three drain rates of a run, as "spawn→last / first→last / steady". */
function drainText(drain: DrainFigures, key: string): string {
  return [drain.spawnRates, drain.firstLastRates, drain.rates]
    .map((figures) => format(median(figures[key] ?? [])))
    .join(" / ");
}

/** The summary table, in report order. */
export function summaryRows(results: Results): Row[] {
  const rows: Row[] = [];
  const { enqueue, drain, light, loaded, soak, startup, fixtureStartup, e2e } = results;
  if (enqueue) {
    const raw = median(enqueue.raw);
    const opsq = median(enqueue.opsq);
    rows.push({
      name: "enqueue: raw amqplib publish, pipelined, confirms awaited at the end",
      value: raw,
      unit: "msg/s",
    });
    rows.push({ name: "enqueue: opsq `actor.send()` (each confirmed)", value: opsq, unit: "msg/s" });
    rows.push(
      spreadRatioRow("enqueue ratio opsq / raw (of medians; rounds min–max)", enqueue.opsq, enqueue.raw),
    );
    rows.push({
      name: "enqueue CPU per message, publishing process: raw / opsq",
      value: undefined,
      text: `${format(median(enqueue.rawCpuUs))} / ${format(median(enqueue.opsqCpuUs))}`,
      unit: "µs",
    });
    rows.push({
      name: "enqueue CPU per message, whole machine (RabbitMQ included): raw / opsq",
      value: undefined,
      text: `${format(median(enqueue.rawMachineCpuUs))} / ${format(median(enqueue.opsqMachineCpuUs))}`,
      unit: "µs",
    });
  }
  if (drain) {
    for (const processes of [1, 2]) {
      const rawKey = `raw-${processes}`;
      const opsqKey = `opsq-${processes}`;
      if (!drain.rates[rawKey] || !drain.rates[opsqKey]) continue;
      const plural = processes > 1 ? "es" : "";
      const p = `${processes} process${plural}`;
      rows.push({
        name: `drain, ${p}: raw amqplib, acks batched (spawn→last / first→last / steady)`,
        value: undefined,
        text: drainText(drain, rawKey),
        unit: "msg/s",
      });
      rows.push({
        name: `drain, ${p}: \`opsq worker --processes ${processes}\` (spawn→last / first→last / steady)`,
        value: undefined,
        text: drainText(drain, opsqKey),
        unit: "msg/s",
      });
      for (const [label, figures] of [
        ["first → last", drain.firstLastRates],
        ["spawn → last", drain.spawnRates],
        ["steady", drain.rates],
      ] as const) {
        rows.push(
          spreadRatioRow(
            `drain ratio opsq / raw, ${p}, ${label} (of medians; rounds min–max)`,
            figures[opsqKey] ?? [],
            figures[rawKey] ?? [],
          ),
        );
      }
      rows.push({
        name: `drain CPU per message, ${p}, consumer processes: raw / opsq`,
        value: undefined,
        text: `${format(median(drain.cpuUs[rawKey] ?? []))} / ${format(median(drain.cpuUs[opsqKey] ?? []))}`,
        unit: "µs",
      });
      rows.push({
        name: `drain CPU per message, ${p}, whole machine (RabbitMQ included): raw / opsq`,
        value: undefined,
        text: `${format(median(drain.machineCpuUs[rawKey] ?? []))} / ${format(median(drain.machineCpuUs[opsqKey] ?? []))}`,
        unit: "µs",
      });
    }
  }
  if (results.dashboard) {
    const { dashboard } = results;
    const ratio = pairedRatio(dashboard);
    rows.push({ name: "drain, 1 process, no dashboard", value: median(dashboard.without), unit: "msg/s" });
    rows.push({
      name: "drain, 1 process, dashboard open (3 pages refreshed every second)",
      value: median(dashboard.with),
      unit: "msg/s",
    });
    rows.push({
      name: "drain ratio with / without the dashboard (median of the rounds' ratios)",
      value: ratio,
      unit: "×",
      target: "≥ 0.95",
      met: ratio >= 0.95,
    });
    rows.push({
      name: "dashboard CPU (bench process, with − without), per second of drain",
      value: median(dashboard.cpuMsPerSecond.with) - median(dashboard.cpuMsPerSecond.without),
      unit: "ms/s",
    });
  }
  if (light) {
    rows.push({
      name: `latency send → handler start, light load (1 at a time, ${Math.round(light.rate)}/s): p50`,
      value: light.p50,
      unit: "ms",
      target: "≤ 5",
      met: light.p50 <= 5,
    });
    rows.push({ name: "latency, light load: p99", value: light.p99, unit: "ms" });
  }
  if (results.peak !== undefined) {
    rows.push({
      name: "end-to-end peak: `send()` and one `opsq worker` at once",
      value: results.peak,
      unit: "msg/s",
    });
  }
  if (loaded) {
    rows.push({
      name: `latency at 50 % of peak (${Math.round(loaded.rate)}/s): p50`,
      value: loaded.p50,
      unit: "ms",
    });
    rows.push({ name: "latency at 50 % of peak: p99", value: loaded.p99, unit: "ms" });
  }
  if (soak) {
    rows.push({
      name: `soak: ${soak.handled.toLocaleString("en")} messages, one worker: throughput (median of 10 % slices)`,
      value: median(soak.sliceRates),
      unit: "msg/s",
    });
    rows.push({
      name: "soak: slowest 10 % slice / fastest",
      value: Math.min(...soak.sliceRates) / Math.max(...soak.sliceRates),
      unit: "×",
    });
    rows.push({
      name: "soak: RSS start / middle / end of the drain",
      value: undefined,
      text: `${format(soak.rssStart)} / ${format(soak.rssMiddle)} / ${format(soak.rssEnd)}`,
      unit: "MB",
    });
    rows.push({
      name: "soak: RSS growth after the first 10 % (warm-up), first → last quarter (mean)",
      value: soak.rssGrowthPercent,
      unit: "%",
      target: "< 10",
      met: soak.rssGrowthPercent < 10,
    });
    rows.push({
      name: "soak: RSS growth over the whole drain, warm-up included, first → last quarter",
      value: soak.rssGrowthWholePercent,
      unit: "%",
    });
    rows.push({
      name: "soak: RSS slope after the warm-up (linear regression)",
      value: soak.slopeMbPer100k,
      unit: "MB / 100k msgs",
    });
    rows.push({
      name: "soak: live heap after a full GC, at 10 % → 100 %",
      value: undefined,
      text: `${format(soak.liveHeapFirst)} → ${format(soak.liveHeapLast)}`,
      unit: "MB",
    });
  }
  if (startup) {
    const ms = median(startup.startupMs);
    rows.push({
      name: `start-up \`opsq worker ${startup.module}\` (spawn → ready), median of ${startup.startupMs.length}`,
      value: ms,
      unit: "ms",
      target: "≤ 250",
      met: ms <= 250,
    });
    rows.push({
      name: "idle shutdown (SIGTERM → exit), median",
      value: median(startup.shutdownMs),
      unit: "ms",
    });
  }
  if (fixtureStartup) {
    rows.push({
      name: "start-up `opsq worker bench/fixtures/stats-actors.mjs` (opsq alone)",
      value: median(fixtureStartup.startupMs),
      unit: "ms",
    });
  }
  if (e2e) {
    const raw = e2e.rawTasksPerSecond;
    const fast = e2e.tasksPerSecond;
    rows.push({
      name: "ops-core end to end (fake LLM answering at once, concurrency 16)",
      value: fast,
      unit: "tasks/s",
      target: "≥ 0.8 × raw, or ≥ 1000",
      met: fast === undefined ? undefined : fast >= 1000 || (raw !== undefined && fast / raw >= 0.8),
      note: fast === undefined ? "**not measured**" : undefined,
    });
    if (raw !== undefined) {
      rows.push({
        name: "raw limit: the same statements, publishes and LLM request, hand-written",
        value: raw,
        unit: "tasks/s",
      });
      if (fast !== undefined) rows.push(ratioRow("ops-core / raw", fast, raw));
    }
    const slow = e2e.delayed200?.tasksPerSecond;
    rows.push({
      name: "ops-core end to end, fake LLM at 200 ms, concurrency 16 (ideal 80)",
      value: slow,
      unit: "tasks/s",
      target: "≥ 72",
      met: slow === undefined ? undefined : slow >= 72,
      note: slow === undefined ? "**not measured**" : undefined,
    });
    const wide = e2e.delayed1s?.tasksPerSecond;
    rows.push({
      name: "ops-core end to end, fake LLM at 1 s, concurrency 500",
      value: wide,
      unit: "tasks/s",
      target: "≥ 400",
      met: wide === undefined ? undefined : wide >= 400,
      note: wide === undefined ? "**not measured**" : undefined,
    });
    if (e2e.rssPerInFlightKiB !== undefined) {
      rows.push({
        name: "worker RSS per in-flight task (peak − idle, at 1 s × 500)",
        value: e2e.rssPerInFlightKiB,
        unit: "KiB",
      });
    }
    if (e2e.startupMs !== undefined) {
      rows.push({
        name: "start-up `opsq worker ops-core/actors` in the ops-core bench, median of 5",
        value: e2e.startupMs,
        unit: "ms",
        target: "≤ 250",
        met: e2e.startupMs <= 250,
      });
    }
  }
  return rows;
}
