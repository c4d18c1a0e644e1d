/**
 * ops-core: agent tasks stored in PostgreSQL and run by opsq workers.
 *
 * This barrel is cheap to import: the database drivers and drizzle are only loaded
 * (dynamically) when a database is opened. It has no side effects:
 * `registerAgentTasks` registers the `execute_agent_task` actor on a broker you give it, and
 * `ops-core/actors` (the worker's module) does that on RabbitMQ when imported. `TaskStore` is
 * ops-core's interface; get the PostgreSQL one from {@link openTaskStore}.
 *
 * @module
 */

export { abortable } from "./abortable.js";
// The worker: the actor and its middleware, registered on a given broker
export {
  type ExecuteAgentTaskActor,
  type ExecuteAgentTaskDeps,
  type ExecuteAgentTaskOutcome,
  executeAgentTask,
} from "./actors/execute-agent-task.js";
export {
  type AgentTasks,
  type RegisterAgentTasksOptions,
  registerAgentTasks,
} from "./actors/register-agent-tasks.js";
export {
  type ResolvedTaskRuntime,
  TaskRuntime,
  type TaskRuntimeOptions,
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
export {
  type AgentTaskMessage,
  agentTaskMessage,
  EXECUTE_AGENT_TASK,
  taskIdOf,
} from "./agent-task-message.js";
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
  DEFAULT_OUTBOX_GRACE_MS,
  DEFAULT_OUTBOX_INTERVAL_MS,
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
  AgentTaskFailedError,
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
// The outbox relay (each worker runs one)
export {
  OutboxRelay,
  type OutboxRelayOptions,
  outboxRelayMiddleware,
  type RelayResult,
} from "./services/outbox-relay.js";
// Submitting tasks
export { type SubmitTaskRequest, TASK_TYPES, validateSubmitRequest } from "./submit-request.js";
export { type MessageDelivery, type SubmitTaskDeps, type SubmittedTask, submitTask } from "./submit-task.js";
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
// The task lifecycle: the one writer of `failed` and `cancelled`
export {
  CANCELLED_REASON,
  cancelTask,
  failStaleTasks,
  failTask,
  type LifecycleRuntime,
  type TaskLifecycleOptions,
  taskLifecycle,
} from "./task-lifecycle.js";
export type {
  ClaimOptions,
  ListTasksOptions,
  OutboxEntry,
  OutboxMessage,
  RelayOptions,
  StaleTaskOptions,
  TaskCompletion,
  TaskStore,
} from "./task-store-interface.js";
