import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type MetricsServer, startMetricsServer } from "../../../src/metrics/server.js";
import { captureLogger } from "../helpers.js";

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(
  collect: () => Promise<string>,
  logger = captureLogger().logger,
): Promise<MetricsServer> {
  const server = await startMetricsServer({ port: 0, host: "127.0.0.1", collect, logger });
  servers.push(server);
  return server;
}

/** One HTTP exchange, on a fresh connection. */
function call(
  server: MetricsServer,
  path: string,
  method = "GET",
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: server.port, path, method, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject).end();
  });
}

describe("the metrics server", () => {
  it("serves GET /metrics in Prometheus' text format, collecting at each scrape", async () => {
    // Given a server whose collect counts its calls
    let scrapes = 0;
    const server = await serve(async () => `scrapes ${++scrapes}\n`);

    // When Prometheus scrapes twice (with a query string the second time)
    const first = await call(server, "/metrics");
    const second = await call(server, "/metrics?name[]=x");

    // Then I expect each scrape collected afresh, as text/plain 0.0.4
    expect(first).toMatchObject({ status: 200, body: "scrapes 1\n" });
    expect(first.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(second).toMatchObject({ status: 200, body: "scrapes 2\n" });
  });

  it("picks a free port for port 0 and reports it, with its URL", async () => {
    const server = await serve(async () => "");

    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
    expect(server.host).toBe("127.0.0.1");
  });

  it("answers HEAD without a body, other paths with 404, other methods with 405", async () => {
    const server = await serve(async () => "up 1\n");

    const head = await call(server, "/metrics", "HEAD");
    const elsewhere = await call(server, "/");
    const post = await call(server, "/metrics", "POST");

    expect(head).toMatchObject({ status: 200, body: "" });
    expect(head.headers["content-length"]).toBe("5");
    expect(elsewhere).toMatchObject({ status: 404, body: "not found: metrics are at /metrics\n" });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
  });

  it("answers 500 and logs the error when collecting fails, then serves the next scrape", async () => {
    // Given a collect that fails once
    const { logger, lines } = captureLogger();
    let calls = 0;
    const server = await serve(async () => {
      if (++calls === 1) {
        throw new Error("registry broken");
      }
      return "ok 1\n";
    }, logger);

    // When scraped twice
    const failed = await call(server, "/metrics");
    const next = await call(server, "/metrics");

    // Then I expect a 500 with the error logged, then a normal answer
    expect(failed).toMatchObject({ status: 500, body: "could not collect metrics\n" });
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: "could not collect metrics",
        err: expect.objectContaining({ message: "registry broken" }),
      }),
    );
    expect(next).toMatchObject({ status: 200, body: "ok 1\n" });
  });

  it("fails in one line, naming the address, when the port is in use", async () => {
    // Given a port someone else listens on
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const { port } = other.address() as AddressInfo;

    try {
      // When the metrics server tries it, then I expect a one-line error
      await expect(startMetricsServer({ port, host: "127.0.0.1", collect: async () => "" })).rejects.toThrow(
        new RegExp(`^cannot serve metrics on 127\\.0\\.0\\.1:${port}: the port is already in use$`),
      );
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it("fails in one line for an address this host does not have", async () => {
    await expect(startMetricsServer({ port: 0, host: "192.0.2.1", collect: async () => "" })).rejects.toThrow(
      /^cannot serve metrics on 192\.0\.2\.1:0: no such address on this host$/,
    );
  });

  it("closes while a scraper keeps its connection alive", async () => {
    // Given a scrape over a kept-alive connection
    const server = await startMetricsServer({ port: 0, host: "127.0.0.1", collect: async () => "x 1\n" });
    const response = await fetch(server.url, { headers: { connection: "keep-alive" } });
    expect(await response.text()).toBe("x 1\n");

    // When the server closes, then I expect it to finish, and to refuse new scrapes
    await server.close();
    await expect(fetch(server.url)).rejects.toThrow();
  });
});
