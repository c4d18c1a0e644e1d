/**
 * A scriptable fake OpenAI-compatible HTTP server for tests (unit tests now, the E2E worker
 * subprocess later through `OPS_LLM_BASE_URL`). It listens on 127.0.0.1 with an ephemeral port
 * and serves `POST /v1/chat/completions` and `GET /v1/models`.
 *
 * How a chat request is answered, first match wins:
 * 1. the next reply queued with {@link FakeLlm.enqueue};
 * 2. directives in the last user message:
 *    - `[[delay:MS]]` waits MS ms first; if the client closes the socket meanwhile, the request
 *      is recorded as `aborted` and nothing is sent;
 *    - `[[status:CODE]]` always answers CODE; `[[status:CODExN]]` answers CODE the first N times
 *      (counted per distinct user message), then continues;
 *    - `[[tool:NAME]]` / `[[tool:NAME:{json}]]` first returns a `tool_calls` turn calling NAME
 *      (arguments: the JSON, or `{"text": <message without directives>}`), then, once the
 *      conversation holds the tool result, a final answer quoting it;
 * 3. otherwise `Fake answer to: <message without directives>`.
 *
 * Every request is recorded (method, path, model, messages, tools, Authorization header,
 * answered status, aborted flag).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  completionBody,
  errorBody,
  type FakeReply,
  ReplyState,
  replyFromDirectives,
  type WireMessage,
} from "./fake-llm-replies.js";

export type { FakeReply, WireMessage } from "./fake-llm-replies.js";

/** One request as the fake saw it. */
export interface RecordedRequest {
  /** HTTP method. */
  method: string;
  /** URL path. */
  path: string;
  /** The `Authorization` header, verbatim. */
  authorization: string | undefined;
  /** Parsed JSON body (chat requests). */
  body: Record<string, unknown> | undefined;
  /** `body.model`. */
  model: string | undefined;
  /** `body.messages`, in wire format. */
  messages: WireMessage[];
  /** `body.tools`, in wire format. */
  tools:
    | { type: string; function: { name: string; description?: string; parameters?: unknown } }[]
    | undefined;
  /** Status answered; `undefined` while pending or when aborted. */
  status: number | undefined;
  /** True when the client closed the connection before the answer was sent. */
  aborted: boolean;
}

/** Options of {@link startFakeLlm}. */
export interface FakeLlmOptions {
  /** Model reported by `/v1/models` and in answers when the request names none. @default "fake-model" */
  model?: string;
  /** Sent as `retry-after-ms` on 429/5xx so SDK retries are quick. @default 10 */
  retryAfterMs?: number;
}

/** A running fake server. */
export interface FakeLlm {
  /** Base URL for the client, e.g. `http://127.0.0.1:41234/v1`. */
  readonly baseUrl: string;
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Only the `POST /v1/chat/completions` requests. */
  chatRequests(): RecordedRequest[];
  /** Chat requests being answered right now (received, not yet answered or aborted). */
  readonly inFlight: number;
  /** The highest {@link FakeLlm.inFlight} seen since start or `reset()`. */
  readonly maxInFlight: number;
  /** Queues replies, used before any directive. */
  enqueue(...replies: FakeReply[]): void;
  /** Resolves when `predicate(requests)` holds; rejects after `timeoutMs`. */
  waitFor(predicate: (requests: RecordedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Forgets requests, queued replies and directive counters. */
  reset(): void;
  /** Stops the server (open connections are destroyed). */
  close(): Promise<void>;
}

/** Starts a fake server; remember to `close()` it. */
export async function startFakeLlm(options: FakeLlmOptions = {}): Promise<FakeLlm> {
  const defaultModel = options.model ?? "fake-model";
  const retryAfterMs = options.retryAfterMs ?? 10;
  const requests: RecordedRequest[] = [];
  const queue: FakeReply[] = [];
  const state = new ReplyState();
  let inFlight = 0;
  let maxInFlight = 0;

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(error), type: "server_error" } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const raw = await readBody(req);
    let body: Record<string, unknown> | undefined;
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    } catch {
      body = undefined;
    }
    const record: RecordedRequest = {
      method: req.method ?? "GET",
      path,
      authorization: req.headers.authorization,
      body,
      model: typeof body?.model === "string" ? body.model : undefined,
      messages: Array.isArray(body?.messages) ? (body.messages as WireMessage[]) : [],
      tools: Array.isArray(body?.tools) ? (body.tools as RecordedRequest["tools"]) : undefined,
      status: undefined,
      aborted: false,
    };
    requests.push(record);
    res.on("close", () => {
      if (!res.writableFinished) record.aborted = true;
    });
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      if (record.aborted || res.destroyed) return;
      record.status = status;
      sendJson(res, status, payload, headers);
    };

    if (req.method === "GET" && path === "/v1/models") {
      answer(200, {
        object: "list",
        data: [{ id: defaultModel, object: "model", created: 0, owned_by: "fake" }],
      });
      return;
    }
    if (req.method !== "POST" || path !== "/v1/chat/completions") {
      answer(404, { error: { message: `no route ${req.method} ${path}`, type: "invalid_request_error" } });
      return;
    }
    if (!body || record.messages.length === 0) {
      answer(400, { error: { message: "body must be JSON with messages", type: "invalid_request_error" } });
      return;
    }
    const model = record.model ?? defaultModel;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on("close", () => inFlight--);
    const reply = queue.shift() ?? replyFromDirectives(record.messages, state);
    if (reply.delayMs) {
      const finished = await sleepUnlessClosed(reply.delayMs, res);
      if (!finished) return;
    }
    const status = reply.status ?? 200;
    if (status >= 400) {
      const headers: Record<string, string> =
        status === 429 || status >= 500 ? { "retry-after-ms": String(retryAfterMs) } : {};
      answer(status, errorBody(status), headers);
      return;
    }
    answer(200, completionBody(model, reply, state));
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    chatRequests: () => requests.filter((r) => r.path === "/v1/chat/completions"),
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    enqueue: (...replies) => queue.push(...replies),
    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(requests)) {
        if (Date.now() > deadline) throw new Error(`fake LLM: condition not met within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    reset() {
      maxInFlight = inFlight;
      requests.length = 0;
      queue.length = 0;
      state.reset();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Waits `ms`, or stops early (returning false) when the client closes the connection. */
function sleepUnlessClosed(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed || res.writableFinished) return resolve(false);
    const timer = setTimeout(() => {
      res.off("close", onClose);
      resolve(true);
    }, ms);
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once("close", onClose);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
