/** The management API client against a small fake of RabbitMQ's HTTP API. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ManagementApi } from "../../../src/dashboard/management-api.js";

const servers: ReturnType<typeof createServer>[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function fakeManagement(): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.url} ${req.headers.authorization}`);
    if (req.headers.authorization !== `Basic ${Buffer.from("u:p w").toString("base64")}`) {
      res.statusCode = 401;
      res.end();
      return;
    }
    res.setHeader("content-type", "application/json");
    res.end(
      req.url?.startsWith("/api/queues/vh")
        ? JSON.stringify([
            {
              name: "emails",
              messages_ready: 3,
              messages_unacknowledged: 2,
              consumers: 1,
              message_stats: { publish_details: { rate: 1.5 }, deliver_get_details: { rate: 0.5 } },
            },
            { name: "emails.XQ", messages_ready: 4, messages_unacknowledged: 0, consumers: 0 },
          ])
        : "{}",
    );
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe("ManagementApi", () => {
  it("probes and lists the queues of the broker URL's vhost with its credentials", async () => {
    const { url, seen } = await fakeManagement();
    const api = ManagementApi.forBroker("amqp://u:p%20w@127.0.0.1:5672/vh", url);
    expect(await api.probe()).toBe(true);
    const queues = await api.queues();
    expect(queues[0]).toEqual({
      name: "emails",
      ready: 3,
      unacked: 2,
      consumers: 1,
      publishPerSec: 1.5,
      deliverPerSec: 0.5,
    });
    expect(queues[1]!.publishPerSec).toBeUndefined();
    expect(seen[1]).toMatch(/^\/api\/queues\/vh\?columns=/);
  });

  it("says no when the API refuses the credentials or is not there", async () => {
    const { url } = await fakeManagement();
    expect(await ManagementApi.forBroker("amqp://u:wrong@127.0.0.1:5672/vh", url).probe()).toBe(false);
    expect(await ManagementApi.forBroker("amqp://u:p@127.0.0.1:5672", "http://127.0.0.1:1").probe()).toBe(
      false,
    );
  });
});
