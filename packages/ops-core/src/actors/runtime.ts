/**
 * Where the `execute_agent_task` actor gets its task store and LLM client: one of each per
 * process, created on the first task (not at import, so the worker starts fast) and reused.
 *
 * By default the store is PostgreSQL from `DATABASE_URL`/`DATABASE_SCHEMA` and the LLM client
 * comes from `OPS_LLM_*` (the offline demo model when `OPS_LLM_BASE_URL` is unset). An embedding
 * process (the demo, tests) hands its own with {@link configureTaskRuntime} — before or after
 * importing `ops-core/actors`, but before the first task runs.
 *
 * Light module: everything heavy is loaded with dynamic `import()`.
 *
 * @module
 */
import type { LlmClient } from "../agent/llm-client.js";
import type { SecurityManager } from "../agent/security.js";
import type { Tool } from "../agent/tool.js";
import type { ToolRegistry } from "../agent/tool-registry.js";
import { getConfig, requireDatabaseUrl } from "../config.js";
import type { StaleTaskOptions } from "../db/task-store.js";
import { FinalWriteRetries } from "../services/final-write-retries.js";
import type { RunTaskStore } from "../services/run-task.js";
import type { JsonValue, Task } from "../task.js";

/** The store operations the actor needs (a `TaskStore` fits). */
export interface RuntimeTaskStore extends RunTaskStore {
  /** Marks a `pending`/`running` task `failed` (used when retries run out, or a requeue fails). */
  failTask(taskId: string, reason: string, result?: JsonValue): Promise<Task | null>;
  /**
   * Marks a `pending`/`running` task `cancelled` (used when its message was cancelled);
   * without it, a cancelled task is left to `ops-core cancel`, which cancels it first.
   */
  cancelTask?(taskId: string, reason?: string): Promise<Task | null>;
  /** Guarded `running → pending` of stale tasks (the reaper); without it, no reaping. */
  requeueStaleTasks?(options: StaleTaskOptions): Promise<Task[]>;
  /** Guarded `running → failed` of stale tasks whose attempts are spent (the reaper). */
  failStaleTasks?(options: StaleTaskOptions): Promise<Task[]>;
}

/** What an embedding process may provide; anything omitted gets the default. */
export interface TaskRuntime {
  /** Where tasks live. */
  store: RuntimeTaskStore;
  /** The model. */
  llm: LlmClient;
  /** Tools offered to the model. @default the built-in tools (calculator, current_time, echo) */
  tools?: ToolRegistry | readonly Tool[];
  /** Checks each tool call. @default allow all */
  security?: SecurityManager;
  /** Deadline of one agent run. @default AGENT_EXECUTION_TIMEOUT × 1000 */
  timeoutMs?: number;
  /** How often a running task's heartbeat is refreshed. @default OPS_CORE_HEARTBEAT_MS */
  heartbeatMs?: number;
}

/** How long closing a runtime waits for final writes still being retried. */
export const FINAL_WRITES_DRAIN_MS = 5_000;

/** A runtime with every default filled in. */
export interface ResolvedTaskRuntime extends Required<TaskRuntime> {
  /** Background retries of final writes that met a database outage (drained on close). */
  finalWrites: FinalWriteRetries;
  /**
   * Waits up to {@link FINAL_WRITES_DRAIN_MS} for pending final writes, then closes what the
   * default runtime opened (nothing for a configured one).
   */
  close(): Promise<void>;
}

let configured: TaskRuntime | undefined;
let resolved: Promise<ResolvedTaskRuntime> | undefined;

/**
 * Hands the actor a store and an LLM client (and optionally tools, security, deadline) to use
 * instead of the defaults; `undefined` goes back to the defaults. Takes effect for the next
 * task; a default runtime already opened is not closed (see {@link closeTaskRuntime}).
 *
 * @example configureTaskRuntime({ store: embeddedStore, llm: new OfflineLlmClient() });
 */
export function configureTaskRuntime(runtime: TaskRuntime | undefined): void {
  configured = runtime;
  resolved = undefined;
}

/** True when {@link configureTaskRuntime} provided a runtime. */
export function isTaskRuntimeConfigured(): boolean {
  return configured !== undefined;
}

/**
 * The runtime for the next task: the configured one, else the default one (opened on first
 * call and cached). A failed opening is not cached, so the next task tries again.
 *
 * @throws {ConfigError} when no runtime was configured and `DATABASE_URL` is not set
 */
export function getTaskRuntime(): Promise<ResolvedTaskRuntime> {
  if (!resolved) {
    const opening = configured ? withDefaults(configured, async () => {}) : openDefaultRuntime();
    resolved = opening;
    opening.catch(() => {
      if (resolved === opening) resolved = undefined;
    });
  }
  return resolved;
}

/** Closes the default runtime if one was opened (the worker's database pool), and forgets it. */
export async function closeTaskRuntime(): Promise<void> {
  const current = resolved;
  resolved = undefined;
  if (current) await (await current.catch(() => undefined))?.close();
}

async function openDefaultRuntime(): Promise<ResolvedTaskRuntime> {
  const config = getConfig();
  const databaseUrl = requireDatabaseUrl(config, "the ops-core worker");
  const [{ openTaskStore }, { createLlmClient }] = await Promise.all([
    import("../db/open-task-store.js"),
    import("../agent/create-llm-client.js"),
  ]);
  const opened = await openTaskStore({ databaseUrl, schema: config.databaseSchema });
  return withDefaults({ store: opened.store, llm: createLlmClient(config.llm) }, opened.close);
}

async function withDefaults(runtime: TaskRuntime, close: () => Promise<void>): Promise<ResolvedTaskRuntime> {
  const [{ builtinTools }, { AllowAllSecurityManager }] = await Promise.all([
    import("../agent/tools/index.js"),
    import("../agent/security.js"),
  ]);
  const finalWrites = new FinalWriteRetries();
  return {
    store: runtime.store,
    llm: runtime.llm,
    tools: runtime.tools ?? builtinTools(),
    security: runtime.security ?? new AllowAllSecurityManager(),
    timeoutMs: runtime.timeoutMs ?? getConfig().agentExecutionTimeoutMs,
    heartbeatMs: runtime.heartbeatMs ?? getConfig().actor.heartbeatMs,
    finalWrites,
    close: async () => {
      await finalWrites.drain(FINAL_WRITES_DRAIN_MS);
      await close();
    },
  };
}
