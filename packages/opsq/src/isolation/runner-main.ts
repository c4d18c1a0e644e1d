/**
 * The entry of an isolated runner (a worker thread or a child process). It
 * turns runner mode on, imports the actor module (whose `defineActor` calls
 * then register plain handlers), and runs one attempt per request, inside an
 * actor context built from the message, replying with the JSON result or the
 * flattened error.
 *
 * The global broker stays RabbitMQ built from `RABBITMQ_URL`, as in `opsq
 * worker`: defining actors on it opens no connection (the broker connects on
 * first use), and a handler that sends a message sends it for real.
 *
 * @module
 */
import { isMainThread, parentPort, Worker as Thread, threadId, workerData } from "node:worker_threads";
import "../brokers/rabbitmq.js";
import { runWithContext } from "../context.js";
import { IsolationError, toError } from "../errors.js";
import { getLogger } from "../logger.js";
import { Message } from "../message.js";
import { MessageProxy } from "../message-proxy.js";
import { serializeError } from "./error-transfer.js";
import type { RunnerReply, RunRequest } from "./protocol.js";
import { enterRunnerMode } from "./runtime.js";

// Before the module is imported: its defineActor calls must see runner mode.
const handlers = enterRunnerMode();
const moduleUrl = isMainThread ? process.argv[2]! : (workerData as { moduleUrl: string }).moduleUrl;
const logger = getLogger().child(isMainThread ? { runner: "process" } : { runner: `thread ${threadId}` });
const send: (reply: RunnerReply) => void = isMainThread
  ? (reply) => void process.send?.(reply)
  : (reply) => parentPort!.postMessage(reply);

if (isMainThread) {
  guardProcess();
}
const loadError: Promise<Error | undefined> = import(moduleUrl).then(
  () => undefined,
  (error: unknown) => toError(error),
);
const onRequest = (request: RunRequest) => {
  void execute(request).then(send);
};
if (isMainThread) {
  process.on("message", onRequest);
} else {
  parentPort!.on("message", onRequest);
}

async function execute(request: RunRequest): Promise<RunnerReply> {
  const { id, actorName } = request;
  const failed = (error: unknown): RunnerReply => ({ type: "failed", id, error: serializeError(error) });
  const importError = await loadError;
  if (importError !== undefined) {
    return failed(
      new IsolationError(
        `cannot import ${moduleUrl} in the isolated runner: ${importError.name}: ${importError.message}`,
        { cause: importError },
      ),
    );
  }
  const handler = handlers.get(actorName);
  if (handler === undefined) {
    return failed(
      new IsolationError(
        `actor "${actorName}" is not defined by ${moduleUrl}: isolation.module must be the module that calls defineActor("${actorName}", …) (pass its import.meta.url)`,
      ),
    );
  }
  let value: unknown;
  try {
    const args = request.args as unknown[];
    value =
      request.message === undefined
        ? await handler(...args)
        : await runWithContext(
            new MessageProxy(Message.fromDict(request.message), request.redelivered, logger),
            () => handler(...args),
          );
  } catch (error) {
    return failed(error);
  }
  try {
    const json = value === undefined ? undefined : JSON.stringify(value);
    return json === undefined ? { type: "done", id } : { type: "done", id, json };
  } catch (error) {
    // As without isolation: the attempt succeeded; the parent's Results stores the encode failure.
    const { name, message } = toError(error);
    return { type: "done", id, unencodable: { name, message } };
  }
}

// A child process: leave when the parent goes, and say why before dying of an uncaught error.
function guardProcess(): void {
  process.on("disconnect", () => process.exit(0));
  process.on("uncaughtException", (error) => {
    try {
      process.send?.({ type: "crashed", error: serializeError(error) } satisfies RunnerReply, () =>
        process.exit(1),
      );
    } catch {
      process.exit(1);
    }
  });
  // A CPU-bound handler never sees "disconnect": a watchdog thread kills this process once its
  // parent is gone (killed with SIGKILL, so it could not kill its runners itself).
  const watchdog = new Thread(
    `const { workerData: w } = require("node:worker_threads");
setInterval(() => { if (process.ppid !== w.ppid) process.kill(w.pid, "SIGKILL"); }, 1000);`,
    { eval: true, workerData: { ppid: process.ppid, pid: process.pid } },
  );
  watchdog.unref();
}
