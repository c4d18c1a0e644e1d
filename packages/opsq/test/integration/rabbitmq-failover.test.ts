/**
 * A broker given several URLs (the nodes of a cluster, here two proxies to the one test RabbitMQ
 * and a port nothing listens on) connects through a live one, and when the node it is on goes
 * away, its producer and worker move to another by themselves: nothing confirmed is lost, failed
 * sends say so, and the logs name nodes only with their passwords redacted.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defineActor } from "../../src/actor.js";
import { PublishError } from "../../src/errors.js";
import {
  captureLogger,
  RABBITMQ_URL,
  RabbitTestBed,
  requireRabbitmq,
  startFlakyProxy,
  waitFor,
} from "../helpers/rabbitmq.js";

const available = await requireRabbitmq();

/** RABBITMQ_URL with its port replaced by one nothing listens on. */
function deadUrl(): string {
  const url = new URL(RABBITMQ_URL);
  url.host = "127.0.0.1:1";
  return url.toString();
}

describe.runIf(available)("RabbitmqBroker: several URLs", () => {
  const rabbit = RabbitTestBed.use(
    { beforeAll, afterEach, afterAll },
    { broker: { reconnect: { initialDelayMs: 50, maxDelayMs: 300 } } },
  );

  it("connects through a live node whatever the shuffled order", async () => {
    for (let i = 0; i < 6; i++) {
      const broker = rabbit.broker({ urls: [deadUrl(), RABBITMQ_URL, deadUrl()] });
      await broker.connect();
    }
  });

  it("fails fast naming every node, passwords redacted, when none is reachable", async () => {
    const broker = rabbit.broker({ urls: [deadUrl(), deadUrl()] });
    const error = await broker.connect().then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error?.message).toMatch(/^cannot connect to RabbitMQ at none of 2 nodes \(amqp:\/\/guest:\*\*\*@/);
    expect(error?.message).not.toContain("guest:guest");
  });

  it("moves its producer and worker to another node when theirs goes away", async () => {
    // Given a producer and a worker on one broker that knows nodes A, B and a dead one
    const [a, b] = await Promise.all([startFlakyProxy(), startFlakyProxy()]);
    rabbit.defer(() => a.close());
    rabbit.defer(() => b.close());
    const log = captureLogger();
    const broker = rabbit.broker({ urls: [a.url, deadUrl(), b.url], logger: log.logger });
    const queue = rabbit.admin.queue();
    const runs = new Map<number, number>();
    const sink = defineActor("sink", (n: number) => void runs.set(n, (runs.get(n) ?? 0) + 1), {
      queue,
      broker,
    });
    await rabbit.startWorker(broker, { concurrency: 8 });
    const confirmed = new Set<number>();
    const failed: unknown[] = [];
    let next = 0;
    let producing = true;
    const production = (async () => {
      while (producing) {
        const batch = Array.from({ length: 20 }, () => next++);
        await Promise.all(
          batch.map((n) =>
            sink.send(n).then(
              () => void confirmed.add(n),
              (error: unknown) => void failed.push(error),
            ),
          ),
        );
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await waitFor(() => runs.size >= 100, { message: "100 messages processed first" });

    // When node A refuses everything for 2 s (so that the broker is surely on B afterwards),
    // then node B goes away for good
    a.outage(2_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const before = confirmed.size;
    b.outage(120_000);

    // Then production and consumption resume on A by themselves
    await waitFor(() => confirmed.size >= before + 200, {
      timeoutMs: 20_000,
      message: "200 more sends confirmed once B is gone",
    });
    producing = false;
    await production;
    await waitFor(() => [...confirmed].every((n) => runs.has(n)), {
      timeoutMs: 20_000,
      message: "every confirmed send processed",
    });
    for (const error of failed) {
      expect(error, String(error)).toBeInstanceOf(PublishError);
    }
    const aRedacted = new URL(a.url);
    aRedacted.password = "***";
    const recoveries = log.lines.filter(
      (line) => line.component === "rabbitmq" && line.msg === "RabbitMQ connection recovered",
    );
    expect(recoveries.at(-1)?.url).toBe(aRedacted.toString().replace("%2A%2A%2A", "***"));
    expect(log.text()).not.toContain("guest:guest");
  });
});
