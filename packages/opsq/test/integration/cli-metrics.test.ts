/**
 * `opsq worker --metrics-port`, spawned as the built bin: one process serving
 * its own metrics, a `--processes 2` supervisor serving their sum, and the
 * argument errors. Messages run on the live RabbitMQ; the argument tests use a
 * module exporting a StubBroker and need none.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RabbitmqBroker } from "../../src/brokers/rabbitmq.js";
import { Message } from "../../src/message.js";
import { dqName } from "../../src/queue-names.js";
import { CliProcess, ensureBuilt, FIXTURES, killLeftovers } from "../fixtures/cli/cli-process.js";
import { captureLogger, RABBITMQ_URL, RabbitAdmin, requireRabbitmq, waitFor } from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();
const METRICS_ACTORS = join(FIXTURES, "metrics-actors.js");

beforeAll(() => {
  ensureBuilt();
});

afterEach(async () => {
  await killLeftovers();
});

/** Waits for the "serving metrics" line of the process with `pid` and returns its URL. */
async function metricsUrl(cli: CliProcess, pid = cli.child.pid): Promise<string> {
  const serving = () => cli.lines.find((line) => line.msg === "serving metrics" && line.pid === pid);
  await cli.waitFor(() => serving() !== undefined, '"serving metrics"');
  return serving()!.url as string;
}

/** Scrapes `url` and returns the value of each series (`name{labels}` → value). */
async function scrape(url: string): Promise<Map<string, number>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const series = new Map<string, number>();
  for (const line of (await response.text()).split("\n")) {
    if (line !== "" && !line.startsWith("#")) {
      const space = line.lastIndexOf(" ");
      series.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
  }
  return series;
}

/** A series key as the text format writes it. */
function key(name: string, queue: string, actor: string): string {
  return `${name}{queue_name="${queue}",actor_name="${actor}"}`;
}

/** Holds a TCP port on 0.0.0.0, as another program would. */
async function occupyPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
  return { server, port: (server.address() as { port: number }).port };
}

describe.runIf(available)("opsq worker --metrics-port on RabbitMQ", () => {
  let admin: RabbitAdmin;
  let producer: RabbitmqBroker;
  let queue: string;
  let markers: string;

  beforeAll(async () => {
    admin = await RabbitAdmin.open();
    producer = new RabbitmqBroker({ url: RABBITMQ_URL, logger: captureLogger().logger });
  });

  beforeEach(() => {
    queue = admin.queue("metrics");
    markers = mkdtempSync(join(tmpdir(), "opsq-metrics-markers-"));
  });

  afterEach(() => {
    rmSync(markers, { recursive: true, force: true });
  });

  afterAll(async () => {
    await producer?.close();
    await admin?.cleanup();
  });

  function startWorker(args: string[]): CliProcess {
    return CliProcess.start(["worker", METRICS_ACTORS, ...args], {
      env: { RABBITMQ_URL, OPSQ_TEST_QUEUE: queue, OPSQ_TEST_MARKERS: markers },
    });
  }

  async function send(actorName: string): Promise<void> {
    await producer.enqueue(new Message({ queueName: queue, actorName, args: [] }));
  }

  /** Scrapes until `series` reaches `value`; returns that scrape. */
  async function scrapeUntil(url: string, series: string, value: number): Promise<Map<string, number>> {
    let last = new Map<string, number>();
    await waitFor(
      async () => {
        last = await scrape(url);
        return last.get(series) === value;
      },
      { timeoutMs: 20_000, intervalMs: 100, message: `${series} = ${value}` },
    );
    return last;
  }

  it("--metrics-port 0: serves the worker's counts on the port it logs", async () => {
    // Given a worker serving metrics on a free port
    const cli = startWorker(["--metrics-port", "0", "--metrics-host", "127.0.0.1"]);
    const url = await metricsUrl(cli);
    const [ready] = await cli.waitReady();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(ready!.metrics).toBe(url);

    // When 3 messages succeed, 1 fails, and 1 fails once and succeeds on its retry
    for (let i = 0; i < 3; i++) {
      await send("metrics_ok");
    }
    await send("metrics_fail");
    await send("metrics_flaky");

    // Then I expect each counted under its queue and actor
    await scrapeUntil(url, key("dramatiq_messages_total", queue, "metrics_ok"), 3);
    await scrapeUntil(url, key("dramatiq_messages_total", queue, "metrics_flaky"), 2);
    const series = await scrapeUntil(url, key("dramatiq_messages_total", queue, "metrics_fail"), 1);
    expect(series.get(key("dramatiq_message_errors_total", queue, "metrics_ok"))).toBe(0);
    expect(series.get(key("dramatiq_message_errors_total", queue, "metrics_fail"))).toBe(1);
    expect(series.get(key("dramatiq_message_errors_total", queue, "metrics_flaky"))).toBe(1);
    expect(series.get(key("dramatiq_message_rejects_total", queue, "metrics_fail"))).toBe(1);
    expect(series.get(key("dramatiq_message_rejects_total", queue, "metrics_flaky"))).toBe(0);
    expect(series.get(key("dramatiq_message_retries_total", dqName(queue), "metrics_flaky"))).toBe(1);
    expect(series.get(key("dramatiq_messages_inprogress", queue, "metrics_ok"))).toBe(0);
    expect(series.get(key("dramatiq_delayed_messages_inprogress", dqName(queue), "metrics_flaky"))).toBe(0);
    expect(
      series.get(
        `dramatiq_message_duration_milliseconds_count{queue_name="${queue}",actor_name="metrics_ok"}`,
      ),
    ).toBe(3);

    // And the server stops with the worker
    cli.signal("SIGTERM");
    expect(await cli.waitExit()).toEqual({ code: 0, signal: null });
    await expect(fetch(url)).rejects.toThrow();
  });

  it("--processes 2: the supervisor serves the sum of both processes' counts", async () => {
    // Given a supervisor of 2 processes, each running one message at a time, serving metrics
    const cli = startWorker(["--processes", "2", "--concurrency", "1", "--metrics-port", "0"]);
    const url = await metricsUrl(cli, cli.child.pid);
    const ready = await cli.waitReady(2);
    expect(ready.map((line) => line.metrics)).toEqual([undefined, undefined]);

    // When 20 messages are sent
    const sent = 20;
    for (let i = 0; i < sent; i++) {
      await send("metrics_ok");
    }

    // Then I expect the count served to reach 20, run by both processes
    const series = await scrapeUntil(url, key("dramatiq_messages_total", queue, "metrics_ok"), sent);
    const pids = new Set(
      readdirSync(markers).map(
        (file) => (JSON.parse(readFileSync(join(markers, file), "utf8")) as { pid: number }).pid,
      ),
    );
    expect(readdirSync(markers)).toHaveLength(sent);
    expect(pids).toEqual(new Set(ready.map((line) => line.pid)));
    expect(series.get(key("dramatiq_messages_inprogress", queue, "metrics_ok"))).toBe(0);
    expect(
      series.get(
        `dramatiq_message_duration_milliseconds_count{queue_name="${queue}",actor_name="metrics_ok"}`,
      ),
    ).toBe(sent);

    cli.signal("SIGTERM");
    expect(await cli.waitExit()).toEqual({ code: 0, signal: null });
  });
});

describe("opsq worker --metrics-port: arguments", () => {
  it("serves the zeroed series of the actors as soon as the worker is ready", async () => {
    const cli = CliProcess.start(["worker", "./stub-actors.js", "--metrics-port", "0"], { cwd: FIXTURES });
    const url = await metricsUrl(cli);
    await cli.waitReady();

    const series = await scrape(url.replace("0.0.0.0", "127.0.0.1"));

    expect(url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/metrics$/);
    expect(series.get(key("dramatiq_messages_total", "js-math", "js_add"))).toBe(0);
    cli.signal("SIGTERM");
    expect(await cli.waitExit()).toEqual({ code: 0, signal: null });
  });

  it.each([
    ["one process", []],
    ["a supervisor", ["--processes", "2"]],
  ])("exits 2 with one line when the port is in use (%s)", async (_what, extra) => {
    // Given a port another program listens on
    const { server, port } = await occupyPort();
    try {
      // When a worker is asked to serve metrics there
      const { code, stderr, stdout } = await CliProcess.run(
        ["worker", "./stub-actors.js", "--metrics-port", String(port), ...extra],
        { cwd: FIXTURES },
      );

      // Then I expect exit code 2 and one line naming the address, and no worker started
      expect(code).toBe(2);
      expect(stderr).toBe(`opsq: cannot serve metrics on 0.0.0.0:${port}: the port is already in use\n`);
      expect(stdout).not.toContain("worker ready");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("exits 2 for a port out of range, or --metrics-host without --metrics-port", async () => {
    const outOfRange = await CliProcess.run(["worker", "./stub-actors.js", "--metrics-port", "70000"], {
      cwd: FIXTURES,
    });
    const hostOnly = await CliProcess.run(["worker", "./stub-actors.js", "--metrics-host", "127.0.0.1"], {
      cwd: FIXTURES,
    });

    expect(outOfRange.code).toBe(2);
    expect(outOfRange.stderr).toBe(
      "opsq: option '--metrics-port <port>' argument '70000' is invalid. expected a port number from 0 to 65535.\n",
    );
    expect(hostOnly.code).toBe(2);
    expect(hostOnly.stderr).toBe("opsq: --metrics-host needs --metrics-port\n");
  });
});
