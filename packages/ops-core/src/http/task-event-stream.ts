/**
 * `GET /api/v1/tasks/{id}/events` as Server-Sent Events: one `status` event with the task now,
 * then one per status change, each carrying the whole task body; comment lines as heartbeats;
 * the stream ends after a terminal status, when the client goes, when the server stops, or
 * after `maxStreamMs` (the client may reconnect).
 *
 * ```text
 * event: status
 * id: 1
 * data: {"task_id":"task_…","status":"pending",…}
 *
 * : heartbeat
 * ```
 *
 * @module
 */
import type { ServerResponse } from "node:http";
import type { Task } from "../task.js";
import { toErrorReply } from "./api-error.js";
import { toTaskBody } from "./task-body.js";

/** Time between heartbeat comments. */
export const DEFAULT_HEARTBEAT_MS = 15_000;
/** Longest life of one stream. */
export const DEFAULT_MAX_STREAM_MS = 3_600_000;

/** Options of {@link streamTaskEvents}. */
export interface TaskEventStreamOptions {
  /** Time between heartbeat comments. @default 15000 */
  heartbeatMs?: number;
  /** The stream ends after this long, even if the task has not. @default 3600000 */
  maxStreamMs?: number;
  /** Aborted when the stream must end (the server stops); the watch's own signal is aborted then too. */
  stop: AbortController;
  /** Logs an unexpected failure of the watch. */
  onUnexpected?(error: unknown): void;
}

/**
 * Writes the SSE response for `events` (an iterator whose first result, `first`, the caller has
 * already awaited so that an unknown task could still get a JSON 404), and resolves when the
 * stream has ended.
 */
export async function streamTaskEvents(
  response: ServerResponse,
  events: AsyncIterator<Task>,
  first: IteratorResult<Task>,
  options: TaskEventStreamOptions,
): Promise<void> {
  const { stop } = options;
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  const write = (text: string) => {
    if (!response.writableEnded && !response.destroyed) response.write(text);
  };
  const onClose = () => stop.abort();
  response.on("close", onClose);
  const heartbeat = setInterval(() => write(": heartbeat\n\n"), options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  const deadline = setTimeout(() => stop.abort(), options.maxStreamMs ?? DEFAULT_MAX_STREAM_MS);
  let id = 0;
  const send = (task: Task) => {
    id += 1;
    write(`event: status\nid: ${id}\ndata: ${JSON.stringify(toTaskBody(task))}\n\n`);
  };
  try {
    write("retry: 2000\n\n");
    for (let next = first; !next.done && !stop.signal.aborted; next = await events.next()) {
      send(next.value);
    }
  } catch (error) {
    if (!stop.signal.aborted) {
      const reply = toErrorReply(error);
      if (reply.unexpected) options.onUnexpected?.(error);
      write(`event: error\ndata: ${JSON.stringify(reply.body)}\n\n`);
    }
  } finally {
    clearInterval(heartbeat);
    clearTimeout(deadline);
    response.off("close", onClose);
    stop.abort();
    await events.return?.().catch(() => {});
    if (!response.writableEnded) response.end();
  }
}
