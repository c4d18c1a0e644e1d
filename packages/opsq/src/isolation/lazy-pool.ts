/**
 * The runner pools, loaded on the first isolated attempt: they import
 * `node:worker_threads` and `node:child_process`, which a worker without
 * isolated actors (most of them) should not pay for at start-up.
 *
 * @module
 */

type PoolModule = typeof import("./pool.js");

let loaded: Promise<PoolModule> | undefined;

/** The pool module, imported once. */
export function poolModule(): Promise<PoolModule> {
  loaded ??= import("./pool.js");
  return loaded;
}

/**
 * Kills every runner of this process and waits for them to exit (a no-op when no
 * isolated actor ran). Workers call it when the last of them stops.
 */
export async function closeIsolationPools(): Promise<void> {
  if (loaded !== undefined) {
    await (await loaded).closeIsolationPools();
  }
}
