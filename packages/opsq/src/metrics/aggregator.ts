/**
 * Cross-process aggregation for `--processes N`: the supervisor asks every
 * worker process for its metrics on each scrape and sums them with
 * prom-client's `AggregatorRegistry.aggregate()`.
 *
 * @module
 */
import { type IpcEndpoint, requestMetrics } from "./ipc.js";
import { loadPromClient, type MetricsSnapshot } from "./prom-client.js";

/** Options of {@link MetricsAggregator}. */
export interface MetricsAggregatorOptions {
  /** How long a scrape waits for a process's answer. @default 1000 */
  timeoutMs?: number;
}

/**
 * Sums the metrics of several processes: counters, histograms and gauges
 * alike (each metric's prom-client `aggregator`, `sum` by default).
 *
 * So that summed counters never go backwards (which Prometheus' `rate()` would
 * read as a reset):
 * - a process that does not answer in time contributes its last answer (or
 *   nothing, if it never answered), and never holds up the scrape;
 * - the counters and histograms of a process that exited are kept (its gauges
 *   are dropped: nothing of it is in progress any more).
 */
export class MetricsAggregator {
  readonly #timeoutMs: number;
  // The last answer of each live process; a process is here or in #retired, never both.
  readonly #last = new Map<IpcEndpoint, MetricsSnapshot>();
  readonly #gone = new WeakSet<IpcEndpoint>();
  // Replaced, never mutated, so that a fold can tell whether a retirement came in meanwhile.
  #retired: readonly MetricsSnapshot[] = [];
  #nextId = 0;

  /** @param options the answer timeout */
  constructor(options: MetricsAggregatorOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 1_000;
  }

  /**
   * Asks each process for its metrics, in parallel, and returns the sum of the
   * live processes' last answers and the exited processes' totals, in
   * Prometheus' text format.
   */
  async collect(processes: Iterable<IpcEndpoint>): Promise<string> {
    await Promise.all(
      [...processes].map(async (endpoint) => {
        const metrics = await requestMetrics(endpoint, this.#nextId++, this.#timeoutMs);
        // An answer that arrives after its process exited is dropped: its totals are retired already.
        if (metrics !== undefined && !this.#gone.has(endpoint)) {
          this.#last.set(endpoint, metrics);
        }
      }),
    );
    const retired = this.#retired;
    const snapshots = [...retired, ...this.#last.values()];
    const { AggregatorRegistry } = loadPromClient();
    const text = await AggregatorRegistry.aggregate(snapshots).metrics();
    if (retired.length > 1) {
      // Fold the exited processes into one snapshot, so that restarts do not grow the list.
      const folded = await AggregatorRegistry.aggregate([...retired]).getMetricsAsJSON();
      if (this.#retired === retired) {
        this.#retired = [folded];
      }
    }
    return text;
  }

  /** `process` exited: keep its last counters and histograms in the totals, drop its gauges. */
  retire(process: IpcEndpoint): void {
    this.#gone.add(process);
    const last = this.#last.get(process);
    this.#last.delete(process);
    if (last !== undefined) {
      this.#retired = [...this.#retired, last.filter((metric) => String(metric.type) !== "gauge")];
    }
  }
}
