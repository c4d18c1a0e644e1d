/**
 * prom-client, loaded on first use only: a worker that does not enable metrics
 * never pays for loading it.
 *
 * @module
 */
import { createRequire } from "node:module";
import type { Registry } from "prom-client";

/** The prom-client module. */
export type PromClient = typeof import("prom-client");

/**
 * What `registry.getMetricsAsJSON()` returns: one process's metrics, as plain
 * data that survives JSON (and so IPC), and that `AggregatorRegistry.aggregate()` sums.
 */
export type MetricsSnapshot = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>;

let loaded: PromClient | undefined;

/**
 * Loads prom-client (a CommonJS package) synchronously, so that middleware
 * built with `new` can create their metrics in the constructor.
 */
export function loadPromClient(): PromClient {
  loaded ??= createRequire(import.meta.url)("prom-client") as PromClient;
  return loaded;
}
