/**
 * The embedded demo: ops-core end to end in one process, with no services. An in-memory
 * StubBroker with the real actor and middleware registered on it (`registerAgentTasks`),
 * embedded PostgreSQL (PGlite) with the real migrations, an in-process opsq `Worker`, and the
 * offline rule-based model (or the real endpoint when `OPS_LLM_BASE_URL` is set). The demo tasks
 * go through the real `submitTask`, actor, task lifecycle, store and agent loop.
 *
 * @module
 */
import { createLlmClient } from "../agent/create-llm-client.js";
import type { LlmClient } from "../agent/llm-client.js";
import { OpenAiCompatibleClient } from "../agent/openai-compatible-client.js";
import { loadConfig } from "../config.js";
import { describeError } from "../describe-error.js";
import { TaskValidationError } from "../errors.js";
import { isTerminalStatus, type Task, type TaskStatus } from "../task.js";
import { DEMO_TASKS, type DemoTask } from "./demo-tasks.js";

/** What happened to one demo submission. */
export interface DemoOutcome {
  /** The demo task's label. */
  label: string;
  /** The stored task's id; `null` when the submission was rejected. */
  taskId: string | null;
  /** Final status, or `rejected` when validation refused it. */
  status: TaskStatus | "rejected";
  /** Times a worker claimed it. */
  attempts: number;
  /** The agent's final answer, when it completed. */
  answer: string | null;
  /** Why it failed or was rejected. */
  error: string | null;
  /** From submission to the terminal status, in ms (`null` when rejected). */
  durationMs: number | null;
}

/** The demo's report. */
export interface DemoReport {
  /** Which model answered, e.g. `offline demo model "opsq-offline-demo" (rule-based, not a language model)`. */
  llm: string;
  /** True when the offline model was used. */
  offline: boolean;
  /** One outcome per demo task, in submission order. */
  outcomes: DemoOutcome[];
  /** Rows in the task table afterwards (rejected submissions write none). */
  storedTasks: number;
  /** Wall time of the whole demo, in ms. */
  elapsedMs: number;
}

/** Options of {@link runDemo}. */
export interface RunDemoOptions {
  /** Environment to read `OPS_LLM_*` and `AGENT_EXECUTION_TIMEOUT` from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** The submissions. @default DEMO_TASKS */
  tasks?: readonly DemoTask[];
  /** Worker concurrency. @default 4 */
  concurrency?: number;
  /** Longest wait for the tasks to finish. @default 60000 */
  timeoutMs?: number;
  /** Level of the worker's log lines. @default process.env.OPS_LOG_LEVEL ?? "error" */
  logLevel?: string;
  /** Told each step as it happens (one line each), so a caller can show progress. @default nothing */
  onProgress?: (step: string) => void;
  /** How often to look for finished tasks, for `onProgress`, in ms. @default 250 */
  progressPollMs?: number;
}

/**
 * Runs the demo and returns its outcomes; prints nothing (steps go to `options.onProgress`).
 * It may run any number of times in a process: each run has its own broker and database.
 */
export async function runDemo(options: RunDemoOptions = {}): Promise<DemoReport> {
  const started = Date.now();
  const config = loadConfig(options.env ?? process.env);
  const [opsq, { StubBroker }, { registerAgentTasks }, { openTaskStore }, { submitTask }] = await Promise.all(
    [
      import("opsq"),
      import("opsq/testing"),
      import("../actors/register-agent-tasks.js"),
      import("../db/open-task-store.js"),
      import("../submit-task.js"),
    ],
  );
  const level = options.logLevel ?? process.env.OPS_LOG_LEVEL ?? "error";
  const broker = new StubBroker({ logger: opsq.createLogger({ name: "ops-core-demo", level }) });
  const progress = options.onProgress ?? (() => {});
  progress("starting the embedded PostgreSQL (PGlite) and migrating it; this takes a few seconds…");
  const opened = await openTaskStore({ migrate: true });
  const llm = createLlmClient(config.llm);
  const { queue } = registerAgentTasks({
    broker,
    config,
    store: opened.store,
    llm,
    timeoutMs: config.agentExecutionTimeoutMs,
    actor: { reapIntervalMs: 0 },
  });
  const worker = new opsq.Worker(broker, { queues: [queue], concurrency: options.concurrency ?? 4 });
  try {
    await worker.start();
    progress(
      `database ready, worker started (concurrency ${options.concurrency ?? 4}); submitting the tasks…`,
    );
    const submitted: { label: string; task?: Task; error?: string }[] = [];
    for (const { label, request } of options.tasks ?? DEMO_TASKS) {
      try {
        submitted.push({ label, task: await submitTask(request, { store: opened.store, broker, queue }) });
      } catch (error) {
        if (!(error instanceof TaskValidationError)) throw error;
        submitted.push({ label, error: error.message });
      }
    }
    const accepted = submitted.flatMap((entry) => (entry.task ? [entry] : []));
    progress(
      `${accepted.length} tasks queued, ${submitted.length - accepted.length} rejected before storing`,
    );
    const watching = watchTasks(opened.store, accepted, progress, options.progressPollMs ?? 250);
    try {
      await broker.join(queue, { timeoutMs: options.timeoutMs ?? 60_000 });
    } finally {
      await watching.stop();
    }
    const outcomes: DemoOutcome[] = [];
    for (const entry of submitted) {
      outcomes.push(
        entry.task ? toOutcome(entry.label, await opened.store.getTask(entry.task.taskId)) : rejected(entry),
      );
    }
    return {
      llm: describeLlm(llm),
      offline: !(llm instanceof OpenAiCompatibleClient),
      outcomes,
      storedTasks: await opened.store.countTasks(),
      elapsedMs: Date.now() - started,
    };
  } finally {
    await worker.stop({ timeoutMs: 1_000 });
    await opened.close();
  }
}

// Reports each task as it reaches a terminal status ("2/3 done: arithmetic completed"), until stopped.
function watchTasks(
  store: { getTask(taskId: string): Promise<Task> },
  entries: readonly { label: string; task?: Task }[],
  progress: (step: string) => void,
  pollMs: number,
): { stop(): Promise<void> } {
  const done = new Set<string>();
  let stopped = false;
  const look = async () => {
    for (const { label, task } of entries) {
      if (!task || done.has(task.taskId)) continue;
      const now = await store.getTask(task.taskId);
      if (isTerminalStatus(now.status)) {
        done.add(task.taskId);
        progress(`${done.size}/${entries.length} done: ${label} ${now.status}`);
      }
    }
  };
  const loop = (async () => {
    while (!stopped && done.size < entries.length) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      await look().catch(() => {});
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      // The last ones may have finished between two looks.
      await look().catch(() => {});
    },
  };
}

function describeLlm(llm: LlmClient): string {
  return llm instanceof OpenAiCompatibleClient
    ? `model "${llm.model}" at ${llm.endpoint}`
    : `offline demo model "${llm.model}" (rule-based, not a language model; set OPS_LLM_BASE_URL for a real one)`;
}

function toOutcome(label: string, task: Task): DemoOutcome {
  const answer = (task.result as { answer?: unknown } | null)?.answer;
  return {
    label,
    taskId: task.taskId,
    status: task.status,
    attempts: task.attempts,
    answer: typeof answer === "string" ? answer : null,
    error: task.errorMessage,
    durationMs: task.completedAt ? Date.parse(task.completedAt) - Date.parse(task.createdAt) : null,
  };
}

function rejected(entry: { label: string; error?: string }): DemoOutcome {
  return {
    label: entry.label,
    taskId: null,
    status: "rejected",
    attempts: 0,
    answer: null,
    error: describeError(entry.error ?? "rejected"),
    durationMs: null,
  };
}
