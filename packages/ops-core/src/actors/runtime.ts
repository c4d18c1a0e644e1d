/**
 * {@link TaskRuntime}: what the `execute_agent_task` actor and the task lifecycle work with —
 * the task store, the LLM client, tools, security, deadline and the final-write retries. One per
 * {@link registerAgentTasks} call, opened on the first task (not at import, so the worker starts
 * fast) and reused.
 *
 * What is not given is built from the configuration: the store on PostgreSQL from
 * `DATABASE_URL`/`DATABASE_SCHEMA`, the LLM client from `OPS_LLM_*` (the offline demo model when
 * `OPS_LLM_BASE_URL` is unset). An embedding process (the demo, tests) gives its own store.
 *
 * Light module: everything heavy is loaded with dynamic `import()`.
 *
 * @module
 */
import type { LlmClient } from "../agent/llm-client.js";
import type { SecurityManager } from "../agent/security.js";
import type { Tool } from "../agent/tool.js";
import type { ToolRegistry } from "../agent/tool-registry.js";
import { getConfig, type OpsConfig, requireDatabaseUrl } from "../config.js";
import { FinalWriteRetries } from "../services/final-write-retries.js";
import type { TaskStore } from "../task-store-interface.js";

/** What an embedding process may give; anything omitted is built from the configuration. */
export interface TaskRuntimeOptions {
  /** Where tasks live. @default PostgreSQL on `DATABASE_URL` (required then) */
  store?: TaskStore;
  /** The model. @default from `OPS_LLM_*` */
  llm?: LlmClient;
  /** Tools offered to the model. @default the built-in tools (calculator, current_time, echo) */
  tools?: ToolRegistry | readonly Tool[];
  /** Checks each tool call. @default allow all */
  security?: SecurityManager;
  /** Deadline of one agent run. @default AGENT_EXECUTION_TIMEOUT × 1000 */
  timeoutMs?: number;
  /** How often a running task's heartbeat is refreshed. @default OPS_CORE_HEARTBEAT_MS */
  heartbeatMs?: number;
  /** Where the defaults come from. @default getConfig() (the environment) */
  config?: OpsConfig;
}

/** A runtime with every default filled in. */
export interface ResolvedTaskRuntime {
  /** Where tasks live. */
  store: TaskStore;
  /** The model. */
  llm: LlmClient;
  /** Tools offered to the model. */
  tools: ToolRegistry | readonly Tool[];
  /** Checks each tool call. */
  security: SecurityManager;
  /** Deadline of one agent run. */
  timeoutMs: number;
  /** How often a running task's heartbeat is refreshed. */
  heartbeatMs: number;
  /** Background retries of final writes that met a database outage (drained on close). */
  finalWrites: FinalWriteRetries;
}

/** How long closing a runtime waits for final writes still being retried. */
export const FINAL_WRITES_DRAIN_MS = 5_000;

/** The actor's runtime, opened on first use. */
export class TaskRuntime {
  readonly #options: TaskRuntimeOptions;
  #resolved: Promise<ResolvedTaskRuntime> | undefined;
  #closeStore: () => Promise<void> = async () => {};

  /** @param options what the embedding process gives */
  constructor(options: TaskRuntimeOptions = {}) {
    this.#options = options;
  }

  /** True when the store was given (no database of the configuration is opened then). */
  get embedded(): boolean {
    return this.#options.store !== undefined;
  }

  /**
   * The runtime, opened on the first call and cached. A failed opening is not cached, so the
   * next task tries again.
   *
   * @throws {ConfigError} when no store was given and `DATABASE_URL` is not set
   */
  get(): Promise<ResolvedTaskRuntime> {
    if (!this.#resolved) {
      const opening = this.#open();
      this.#resolved = opening;
      opening.catch(() => {
        if (this.#resolved === opening) this.#resolved = undefined;
      });
    }
    return this.#resolved;
  }

  /** Waits up to {@link FINAL_WRITES_DRAIN_MS} for pending final writes, then closes the store it opened. */
  async close(): Promise<void> {
    const current = this.#resolved;
    this.#resolved = undefined;
    const runtime = await current?.catch(() => undefined);
    if (!runtime) return;
    await runtime.finalWrites.drain(FINAL_WRITES_DRAIN_MS);
    await this.#closeStore();
  }

  async #open(): Promise<ResolvedTaskRuntime> {
    const options = this.#options;
    const config = options.config ?? getConfig();
    const [{ builtinTools }, { AllowAllSecurityManager }] = await Promise.all([
      import("../agent/tools/index.js"),
      import("../agent/security.js"),
    ]);
    const store = options.store ?? (await this.#openStore(config));
    const llm = options.llm ?? (await import("../agent/create-llm-client.js")).createLlmClient(config.llm);
    return {
      store,
      llm,
      tools: options.tools ?? builtinTools(),
      security: options.security ?? new AllowAllSecurityManager(),
      timeoutMs: options.timeoutMs ?? config.agentExecutionTimeoutMs,
      heartbeatMs: options.heartbeatMs ?? config.actor.heartbeatMs,
      finalWrites: new FinalWriteRetries(),
    };
  }

  async #openStore(config: OpsConfig): Promise<TaskStore> {
    const databaseUrl = requireDatabaseUrl(config, "the ops-core worker");
    const { openTaskStore } = await import("../db/open-task-store.js");
    const opened = await openTaskStore({ databaseUrl, schema: config.databaseSchema });
    this.#closeStore = opened.close;
    return opened.store;
  }
}
