import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { JsonPoster, JsonPostFailure } from "../../../src/agent/json-post.js";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe("JsonPoster", () => {
  let server: Server;
  let url: URL;
  let handlers: Handler[];
  let sockets: Set<unknown>;
  let bodies: string[];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8").on("data", (chunk: string) => {
        body += chunk;
      });
      req.on("end", () => {
        sockets.add(req.socket);
        bodies.push(body);
        const handler = handlers.shift() ?? ((_req, response) => response.end('{"ok":true}'));
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`);
  });
  beforeEach(() => {
    handlers = [];
    sockets = new Set();
    bodies = [];
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const poster = (maxRetries = 2, timeoutMs = 5000) =>
    new JsonPoster(url, { maxRetries, timeoutMs, headers: { authorization: "Bearer k" } });
  const status =
    (code: number, headers: Record<string, string> = {}): Handler =>
    (_req, res) => {
      res.writeHead(code, { "retry-after-ms": "1", ...headers });
      res.end(`{"error":{"message":"status ${code}"}}`);
    };

  it("posts the body with its headers, over one kept-alive socket", async () => {
    const sent: IncomingMessage[] = [];
    handlers.push((req, res) => {
      sent.push(req);
      res.end('{"n":1}');
    });
    const client = poster();
    const first = await client.post('{"a":1}', AbortSignal.timeout(5000));
    const second = await client.post('{"a":2}', AbortSignal.timeout(5000));
    expect(first).toEqual({ status: 200, text: '{"n":1}' });
    expect(second.status).toBe(200);
    expect(bodies).toEqual(['{"a":1}', '{"a":2}']);
    expect(sent[0]!.headers).toMatchObject({ authorization: "Bearer k", "content-type": "application/json" });
    expect(sockets.size).toBe(1);
  });

  it("retries 429 and 5xx up to maxRetries, then returns the last answer", async () => {
    handlers.push(status(429), status(502));
    expect((await poster(2).post("{}", AbortSignal.timeout(5000))).status).toBe(200);
    handlers.push(status(503), status(503));
    const last = await poster(1).post("{}", AbortSignal.timeout(5000));
    expect(last.status).toBe(503);
    expect(bodies).toHaveLength(5);
  });

  it("does not retry a 400, nor a 500 the server says not to retry", async () => {
    handlers.push(status(400));
    expect((await poster().post("{}", AbortSignal.timeout(5000))).status).toBe(400);
    handlers.push(status(500, { "x-should-retry": "false" }));
    expect((await poster().post("{}", AbortSignal.timeout(5000))).status).toBe(500);
    expect(bodies).toHaveLength(2);
  });

  it("ends an attempt at its timeout, retries it, and fails as a timeout", async () => {
    handlers.push(
      () => {},
      () => {},
    );
    const error = await poster(1, 100)
      .post("{}", AbortSignal.timeout(5000))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JsonPostFailure);
    expect(error).toMatchObject({ kind: "timeout" });
    expect(bodies).toHaveLength(2);
  });

  it("rejects with the signal's reason and closes the request when the signal aborts", async () => {
    let closed = false;
    handlers.push((_req, res) => {
      res.on("close", () => {
        closed = true;
      });
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stop now")), 50);
    await expect(poster().post("{}", controller.signal)).rejects.toThrow("stop now");
    await expect.poll(() => closed).toBe(true);
  });

  it("resends at once, uncounted, a request reset on a kept-alive socket", async () => {
    handlers.push(
      (_req, res) => res.end('{"n":1}'),
      (req) => req.socket.destroy(),
      (_req, res) => res.end('{"n":2}'),
    );
    const client = poster(0);
    await client.post("{}", AbortSignal.timeout(5000));
    expect(await client.post("{}", AbortSignal.timeout(5000))).toEqual({ status: 200, text: '{"n":2}' });
    expect(bodies).toHaveLength(3);
  });

  it("fails an unreachable endpoint as a connection failure, after its retries", async () => {
    const refused = new JsonPoster(new URL("http://127.0.0.1:9/v1"), {
      maxRetries: 0,
      timeoutMs: 5000,
      headers: {},
    });
    const error = await refused.post("{}", AbortSignal.timeout(5000)).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ kind: "connection", cause: { code: "ECONNREFUSED" } });
  });
});
