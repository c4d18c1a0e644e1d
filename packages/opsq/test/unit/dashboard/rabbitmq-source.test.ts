/**
 * RabbitmqSource with the management API (a small fake of it; RabbitMQ itself unreachable):
 * says it uses the API, groups q, q.DQ and q.XQ into one row with RabbitMQ's own rates and
 * unacked count, and leaves server-named queues out.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { RabbitmqSource } from "../../../src/dashboard/rabbitmq-source.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) {
    await close();
  }
});

async function fakeManagement(): Promise<string> {
  const server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url?.startsWith("/api/queues/")) {
      res.end(
        JSON.stringify([
          {
            name: "emails",
            messages_ready: 5,
            messages_unacknowledged: 2,
            consumers: 3,
            message_stats: { publish_details: { rate: 12.5 }, deliver_get_details: { rate: 11 } },
          },
          { name: "emails.DQ", messages_ready: 4, messages_unacknowledged: 7, consumers: 3 },
          { name: "emails.XQ", messages_ready: 1, messages_unacknowledged: 0, consumers: 0 },
          { name: "amq.gen-abc", messages_ready: 0, messages_unacknowledged: 0, consumers: 1 },
        ]),
      );
      return;
    }
    res.end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("RabbitmqSource with the management API", () => {
  it("reads counts and rates from it, one row per queue family", async () => {
    const managementUrl = await fakeManagement();
    const source = new RabbitmqSource({ url: "amqp://guest:secret@127.0.0.1:1", managementUrl });
    closers.push(() => source.close());

    const origin = await source.statsOrigin();
    const rows = await source.queues();

    expect(origin.kind).toBe("management");
    expect(origin.detail).toContain(managementUrl);
    expect(origin.detail).not.toContain("secret");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      queue: "emails",
      exists: true,
      ready: 5,
      delayed: 4,
      deadLettered: 1,
      unacked: 2,
      consumers: 3,
    });
    expect(rows[0]!.rates.at(-1)).toMatchObject({ publishPerSec: 12.5, deliverPerSec: 11 });
  });

  it("says it uses AMQP when the API does not answer", async () => {
    const source = new RabbitmqSource({
      url: "amqp://guest:secret@127.0.0.1:1",
      managementUrl: "http://127.0.0.1:1",
    });
    closers.push(() => source.close());
    const origin = await source.statsOrigin();
    expect(origin.kind).toBe("amqp");
    expect(origin.detail).toContain("no management API at http://127.0.0.1:1");
  });
});
