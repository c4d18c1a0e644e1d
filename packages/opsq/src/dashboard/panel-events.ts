/**
 * A panel's live updates as Server-Sent Events: `GET <page>` with `Accept: text/event-stream`
 * (what `EventSource` sends) streams the panel's {@link DashboardPanel.events}. Each update is
 * one `update` event whose data is a JSON object of element ids and their HTML; the end of the
 * updates is one `end` event, after which the browser stops listening. Comment lines keep the
 * connection alive; a stream lasts at most `maxStreamMs`, then closes without `end`, so the
 * browser reconnects.
 *
 * ```text
 * event: update
 * data: {"task-status":"<span class=\"ok\">completed</span>"}
 *
 * event: end
 * data: {}
 * ```
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PanelRequest, PanelUpdate } from "./panel.js";
import { oneLine } from "./response.js";
import type { PanelMatch } from "./routing.js";

/** Time between keep-alive comments. */
const HEARTBEAT_MS = 15_000;
/** Longest life of one stream (the browser then reconnects). */
const MAX_STREAM_MS = 600_000;

/** True when the request asks for an event stream. */
export function wantsEvents(req: IncomingMessage): boolean {
  return (req.headers.accept ?? "").includes("text/event-stream");
}

/** True when the panel `found` streams updates. */
export function streamsEvents(found: PanelMatch | undefined): found is PanelMatch {
  return found?.panel.events !== undefined;
}

/**
 * Streams the panel's updates until they end, the client goes, `end` aborts (the dashboard
 * closes), or `MAX_STREAM_MS` passes.
 */
export async function streamPanelEvents(
  res: ServerResponse,
  found: PanelMatch,
  request: PanelRequest,
  options: { setCookies: readonly string[]; end: AbortSignal },
): Promise<void> {
  const { setCookies } = options;
  const stop = new AbortController();
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
    "x-content-type-options": "nosniff",
    ...(setCookies.length > 0 ? { "set-cookie": [...setCookies] } : {}),
  });
  const write = (text: string) => {
    if (!res.writableEnded && !res.destroyed) res.write(text);
  };
  const onClose = () => stop.abort();
  res.on("close", onClose);
  options.end.addEventListener("abort", onClose);
  if (options.end.aborted) stop.abort();
  const heartbeat = setInterval(() => write(": keep-alive\n\n"), HEARTBEAT_MS);
  const deadline = setTimeout(() => stop.abort(), MAX_STREAM_MS);
  const updates = found.panel.events?.(request, stop.signal);
  const iterator = updates?.[Symbol.asyncIterator]();
  try {
    write("retry: 3000\n\n");
    // A panel that ignores the signal must not hold the stream open: the wait races the abort.
    const aborted = new Promise<"aborted">((resolve) => {
      stop.signal.addEventListener("abort", () => resolve("aborted"), { once: true });
    });
    while (iterator !== undefined && !stop.signal.aborted) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next === "aborted") break;
      if (next.done) {
        write("event: end\ndata: {}\n\n");
        break;
      }
      write(`event: update\ndata: ${JSON.stringify(texts(next.value))}\n\n`);
    }
  } catch (error) {
    if (!stop.signal.aborted) write(`event: end\ndata: ${JSON.stringify({ error: oneLine(error) })}\n\n`);
  } finally {
    clearInterval(heartbeat);
    clearTimeout(deadline);
    res.off("close", onClose);
    options.end.removeEventListener("abort", onClose);
    stop.abort();
    // Not awaited: a generator still inside a step finishes it first.
    iterator?.return?.().catch(() => {});
    if (!res.writableEnded) res.end();
  }
}

function texts(update: PanelUpdate): Record<string, string> {
  return Object.fromEntries(Object.entries(update).map(([id, fragment]) => [id, fragment.text]));
}
