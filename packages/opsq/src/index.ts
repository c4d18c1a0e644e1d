/**
 * opsq: RabbitMQ-native actors for TypeScript, wire-compatible with Python Dramatiq.
 *
 * Glossary:
 * - **broker**: connects to the message transport; holds the actor registry and the middleware stack.
 * - **actor**: a named handler bound to a queue; the same object sends and runs messages.
 * - **message**: Dramatiq's seven-key JSON body (`queue_name`, `actor_name`, `args`, `kwargs`,
 *   `options`, `message_id`, `message_timestamp`).
 * - **queue** `q`, **delay queue** `q.DQ` (messages waiting for their `eta`), **dead-letter queue** `q.XQ`.
 * - **middleware**: hooks around enqueueing and processing; retries, time limits… are middleware.
 * - **worker**: consumes queues and runs actors, with bounded concurrency.
 *
 * @packageDocumentation
 */

// Actors
export {
  Actor,
  type ActorOptions,
  defineActor,
  type Handler,
  type LeadingArgs,
  type SendOptions,
} from "./actor.js";
// Backoff
export { type BackoffOptions, computeBackoff } from "./backoff.js";
// Brokers
export {
  Broker,
  type BrokerOptions,
  type ConsumeOptions,
  type Consumer,
  DEFAULT_MAX_MESSAGE_BYTES,
  type Delivery,
  type EnqueueOptions,
  getBroker,
  hasBroker,
  type JoinOptions,
  type QueueCounts,
  setBroker,
  setDefaultBrokerFactory,
} from "./broker.js";
export {
  type DeadLetter,
  type QueueInspection,
  type QueueType,
  RabbitmqBroker,
  type RabbitmqBrokerOptions,
  type ReconnectOptions,
  type RequeueResult,
} from "./brokers/rabbitmq.js";
// Cancellation
export {
  type CancellationBackend,
  type CancellationChanges,
  type CancellationListener,
  type CancellationSubscription,
  type CancelledEntry,
  DEFAULT_CANCEL_TTL_MS,
} from "./cancellation/backend.js";
export {
  type CancelOptions,
  cancel,
  cancellationBackendOf,
  type MessageRef,
} from "./cancellation/cancel.js";
export {
  MemoryCancellationBackend,
  type MemoryCancellationBackendOptions,
} from "./cancellation/memory.js";
export { Cancellation, type CancellationOptions } from "./cancellation/middleware.js";
export {
  PostgresCancellationBackend,
  type PostgresCancellationBackendOptions,
} from "./cancellation/postgres.js";
// Composition
export { type Pipeline, pipeline } from "./composition.js";
// Context
export { currentContext, currentMessage, getContext } from "./context.js";
// Crash limit
export { CrashJournal, type CrashVictim } from "./crash-limit/journal.js";
export { CrashLimit, type CrashLimitOptions } from "./crash-limit/middleware.js";
// Deduplication
export type { DedupBackend, DedupHolder } from "./dedup/backend.js";
export { MemoryDedupBackend, type MemoryDedupBackendOptions } from "./dedup/memory.js";
export { Dedup, type DedupOptions } from "./dedup/middleware.js";
export { PostgresDedupBackend, type PostgresDedupBackendOptions } from "./dedup/postgres.js";
export type { EnqueueManyOptions, EnqueueResult } from "./enqueue-result.js";
// Logging
export {
  describeError,
  describeStack,
  describeTraceback,
  type SerializedError,
  serializeError,
} from "./error-text.js";
// Errors
export * from "./errors.js";
export { Group, type GroupOptions, type GroupResults, type GroupWaitOptions, group } from "./group.js";
// Heartbeat (the dashboard's Workers page)
export { type Beat, decodeBeat, HEARTBEAT_EXCHANGE } from "./heartbeat/beat.js";
export { WorkerHeartbeat, type WorkerHeartbeatOptions } from "./heartbeat/middleware.js";
export { closeIsolationPools } from "./isolation/lazy-pool.js";
// Isolation (hard time limits)
export { IsolationLifecycle } from "./isolation/lifecycle.js";
export type { IsolationMode, IsolationOptions } from "./isolation/options.js";
// Logging
export {
  LOG_FORMAT_ENV,
  LOG_FORMATS,
  type LogFormat,
  logDestination,
  resolveLogFormat,
} from "./log-format.js";
export {
  createLogger,
  getLogger,
  type Logger,
  type LoggerOptions,
  REDACTED,
  redactUrl,
  setLogger,
} from "./logger.js";
// Messages
export { Message, type MessageDict, type MessageFields, type WireOptions } from "./message.js";
export { type ActorContext, MessageProxy } from "./message-proxy.js";
// Metrics
export {
  DEFAULT_DURATION_BUCKETS_MS,
  Prometheus,
  type PrometheusOptions,
} from "./metrics/middleware.js";
export { type MetricsServer, type MetricsServerOptions, startMetricsServer } from "./metrics/server.js";
// Middleware
export { AgeLimit, type AgeLimitOptions } from "./middleware/age-limit.js";
export { Callbacks } from "./middleware/callbacks.js";
export { defaultMiddleware } from "./middleware/defaults.js";
export type { AfterHook, BeforeHook, Middleware, Outcome } from "./middleware/middleware.js";
export { Pipelines } from "./middleware/pipelines.js";
export { Retries, type RetriesOptions } from "./middleware/retries.js";
export {
  ShutdownNotifications,
  type ShutdownNotificationsOptions,
} from "./middleware/shutdown-notifications.js";
export { TimeLimit, type TimeLimitOptions } from "./middleware/time-limit.js";
// Options
export {
  type ActorRef,
  type ErrorClass,
  getOption,
  type MessageOptions,
  type MiddlewareOptions,
  toWireKey,
} from "./options.js";
// PostgreSQL (what the PostgreSQL backends take)
export type { PostgresClient, PostgresTarget } from "./postgres-target.js";
// Queue names
export { DEFAULT_QUEUE, dqName, isValidName, qName, xqName } from "./queue-names.js";
// Rate limits
export type { BarrierWaitOptions, RateLimiterBackend } from "./rate-limits/backend.js";
export { Barrier, type BarrierOptions, type BarrierWaitingOptions } from "./rate-limits/barrier.js";
export { ConcurrentRateLimiter, type ConcurrentRateLimiterOptions } from "./rate-limits/concurrent.js";
export { MemoryRateLimiterBackend, type MemoryRateLimiterBackendOptions } from "./rate-limits/memory.js";
export {
  PostgresRateLimiterBackend,
  type PostgresRateLimiterBackendOptions,
} from "./rate-limits/postgres.js";
export {
  type AcquireOptions,
  type AcquireResult,
  RateLimiter,
  type Release,
} from "./rate-limits/rate-limiter.js";
export { WindowRateLimiter, type WindowRateLimiterOptions } from "./rate-limits/window.js";
// Results
export {
  BaseResultBackend,
  type GetResultOptions,
  type Lookup,
  type ResultBackend,
  type ResultOf,
  type StoredFailure,
} from "./results/backend.js";
export { MemoryResultBackend } from "./results/memory.js";
export {
  getResult,
  type ReadResultOptions,
  Results,
  type ResultsOptions,
  resultBackendOf,
} from "./results/middleware.js";
export { PostgresResultBackend, type PostgresResultBackendOptions } from "./results/postgres.js";
// Workers
export { MAX_CATCH_UP, type MissedPolicy, ticksOwed } from "./schedules/missed-policy.js";
export { schedulesOf } from "./schedules/registry.js";
export {
  defineSchedule,
  type Schedule,
  type ScheduleDefinition,
  ScheduleDefinitionError,
} from "./schedules/schedule.js";
export { type ScheduledJob, ScheduleLeader, scheduleJob } from "./schedules/schedule-leader.js";
export { lastQueueName, leaderQueueName, type ScheduleState } from "./schedules/schedule-state.js";
export { Scheduler, type SchedulerOptions } from "./schedules/scheduler.js";
export { SCHEDULE_NAME_OPTION, SCHEDULE_TICK_OPTION, tickMessageId } from "./schedules/tick-message.js";
// Tracing (OpenTelemetry)
export { messageTraceContext, TRACER_NAME, Tracing, type TracingOptions } from "./tracing/middleware.js";
export {
  readSpanContext,
  TRACE_CONTEXT_OPTION,
  type TraceContextCarrier,
  toCarrier,
} from "./tracing/trace-context.js";
export { Worker, type WorkerOptions, type WorkerStats } from "./worker.js";
