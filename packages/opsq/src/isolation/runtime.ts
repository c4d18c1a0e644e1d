/**
 * Runner mode: set inside an isolated runner before it imports the actor
 * module, so that `defineActor` there registers the plain handler (no second
 * isolation) where the runner can find it by name.
 *
 * Kept on `globalThis` under a registered symbol, so that every copy of opsq
 * loaded in the runner (the runner's own and the module's, if they differ)
 * sees the same state.
 *
 * @module
 */

/** Handlers by actor name, as defined by the modules the runner imported. */
export type RunnerHandlers = Map<string, (...args: unknown[]) => unknown>;

const RUNNER_MODE = Symbol.for("opsq.isolation.runnerHandlers");

type WithRunnerMode = typeof globalThis & { [RUNNER_MODE]?: RunnerHandlers };

/** The handler registry when this thread or process is an isolated runner, else `undefined`. */
export function runnerHandlers(): RunnerHandlers | undefined {
  return (globalThis as WithRunnerMode)[RUNNER_MODE];
}

/** Turns runner mode on (idempotent) and returns the registry `defineActor` fills. */
export function enterRunnerMode(): RunnerHandlers {
  const scope = globalThis as WithRunnerMode;
  scope[RUNNER_MODE] ??= new Map();
  return scope[RUNNER_MODE];
}
