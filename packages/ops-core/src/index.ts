/**
 * ops-core: agent tasks stored in PostgreSQL and run by opsq workers.
 *
 * This barrel is cheap to import: the database drivers and drizzle are only
 * loaded (dynamically) when a database is opened. It has no side effects:
 * the `execute_agent_task` actor lives in `ops-core/actors`, which picks a broker when imported. For that reason the
 * drizzle-backed `TaskStore` class is exported as a type; get an instance from
 * {@link openTaskStore}.
 *
 * @module
 */

export { abortable } from "./abortable.js";
// Actor runtime injection (the actor itself is in `ops-core/actors`, which picks a broker on import)
export {
  closeTaskRuntime,
  configureTaskRuntime,
  type ResolvedTaskRuntime,
  type RuntimeTaskStore,
  type TaskRuntime,
} from "./actors/runtime.js";
export { createLlmClient } from "./agent/create-llm-client.js";
// Agent runtime
export type {
  ChatMessage,
  ChatOptions,
  ChatResult,
  LlmClient,
  TokenUsage,
  ToolCall,
  ToolDefinition,
} from "./agent/llm-client.js";
export { OFFLINE_MODEL, OfflineLlmClient } from "./agent/offline-llm-client.js";
export {
  OpenAiCompatibleClient,
  type OpenAiCompatibleClientOptions,
} from "./agent/openai-compatible-client.js";
export {
  type AgentRunResult,
  type AgentToolCallRecord,
  DEFAULT_MAX_STEPS,
  DEFAULT_SYSTEM_PROMPT,
  type RunAgentOptions,
  runAgent,
} from "./agent/run-agent.js";
export {
  AllowAllSecurityManager,
  AllowListSecurityManager,
  type PermissionDecision,
  type SecurityManager,
  type ToolPermissionRequest,
} from "./agent/security.js";
export { ShortTermMemory } from "./agent/short-term-memory.js";
export { defineTool, type Tool, type ToolContext, toToolDefinition } from "./agent/tool.js";
export { type ToolOutcome, ToolRegistry } from "./agent/tool-registry.js";
export * from "./agent/tools/index.js";
export {
  AGENT_TASK_TYPE,
  type AgentTaskInput,
  agentTaskInputSchema,
  parseAgentTaskInput,
} from "./agent-task-input.js";
// Cancellation (where `ops-core cancel` and the worker keep message cancels)
export { CANCELLATION_TABLE, cancellationTable, openCancellationBackend } from "./cancellation.js";
export { classifyError, type ErrorClass } from "./classify-error.js";
// Configuration and logging
export {
  type ActorConfig,
  DEFAULT_AGENT_EXECUTION_TIMEOUT_S,
  DEFAULT_LLM_MODEL,
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_MAX_RETRIES,
  DEFAULT_MIN_BACKOFF_MS,
  DEFAULT_QUEUE,
  DEFAULT_RABBITMQ_URL,
  getConfig,
  type LlmConfig,
  loadConfig,
  type OpsConfig,
  requireDatabaseUrl,
} from "./config.js";
// Database
export {
  type Database,
  type DatabaseDriver,
  type DatabaseHandle,
  type OpenDatabaseOptions,
  type OpenEmbeddedDatabaseOptions,
  openDatabase,
  openEmbeddedDatabase,
} from "./db/client.js";
export { MIGRATIONS_FOLDER, type MigrateOptions, migrate } from "./db/migrate.js";
export { type OpenedTaskStore, type OpenTaskStoreOptions, openTaskStore } from "./db/open-task-store.js";

export { type DemoOutcome, type DemoReport, type RunDemoOptions, runDemo } from "./demo/run-demo.js";
export { describeError, MAX_REASON_LENGTH } from "./describe-error.js";
// Errors and their classification
export {
  AgentTimeoutError,
  ConfigError,
  EnqueueError,
  formatSeconds,
  type LlmFailureKind,
  LlmRequestError,
  OpsCoreError,
  PermanentAgentError,
  TaskAlreadyExistsError,
  TaskInputError,
  TaskNotFoundError,
  TaskValidationError,
  TransientError,
} from "./errors.js";
export { createLogger, type Logger, type LoggerOptions } from "./logger.js";
export { REDACTED, redactUrl } from "./redact.js";
// Scheduler and services
export { type SchedulerStore, type SubmitTaskDeps, submitTask } from "./scheduler.js";
export { type RunTaskDeps, type RunTaskOutcome, type RunTaskStore, runTask } from "./services/run-task.js";
export { type SubmitTaskRequest, TASK_TYPES, validateSubmitRequest } from "./submit-request.js";
// Domain model
export {
  type FinalTaskStatus,
  isTerminalStatus,
  type JsonObject,
  type JsonValue,
  type NewTask,
  TASK_STATUSES,
  type Task,
  type TaskStatus,
  TERMINAL_STATUSES,
} from "./task.js";
export type { ClaimOptions, ListTasksOptions, TaskCompletion, TaskStore } from "./task-store-interface.js";
