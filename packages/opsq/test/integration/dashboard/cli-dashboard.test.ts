/**
 * `opsq dashboard` and `opsq worker` as spawned bins on the live RabbitMQ: the worker's
 * heartbeat puts it (and its queue) on the dashboard, its last beat marks it stopped, the
 * dashboard stops on SIGTERM, and refuses to bind beyond loopback without a token.
 */
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CliProcess, FIXTURES, killLeftovers } from "../../fixtures/cli/cli-process.js";
import { CliTestBed } from "../../helpers/cli-bed.js";
import { RABBITMQ_URL, requireRabbitmq, waitFor } from "../../helpers/rabbitmq.js";

const available = await requireRabbitmq();

describe.runIf(available)("opsq dashboard (the bin)", () => {
  const bed = CliTestBed.use({ beforeAll, beforeEach, afterEach, afterAll }, "cli-dashboard");
  afterEach(() => killLeftovers());

  it("shows a worker from its heartbeat, and its queue; marks it stopped after its last beat", async () => {
    const dashboard = CliProcess.start(["dashboard", "--port", "0", "--no-management"], {
      env: { RABBITMQ_URL, OPSQ_DASHBOARD_TOKEN: undefined },
    });
    await dashboard.waitFor(() => /opsq dashboard on http/.test(dashboard.stdout), "the dashboard's URL");
    const url = /on (http:\/\/\S+?)\/? /.exec(dashboard.stdout)![1]!;
    expect(dashboard.stdout).toContain("amqp://guest:***@");

    const worker = CliProcess.start(
      ["worker", join(FIXTURES, "logging-actors.js"), "--heartbeat-interval", "200"],
      { env: { RABBITMQ_URL, OPSQ_TEST_QUEUE: bed.queue } },
    );
    await worker.waitReady();
    const text = async (path: string) => (await fetch(`${url}${path}`)).text();
    await waitFor(async () => (await text("/workers")).includes(bed.queue), {
      message: "the worker on /workers",
    });
    const workers = await text("/workers");
    expect(workers).toContain(`<td class="n">${worker.child.pid}</td>`);
    const queues = await text("/queues");
    expect(queues).toMatch(new RegExp(`data-queue="${bed.queue}"[\\s\\S]*?data-col="consumers">1<`));

    worker.signal("SIGTERM");
    expect((await worker.waitExit()).code).toBe(0);
    await waitFor(async () => /<tr class="stopped"/.test(await text("/workers")), {
      message: "the worker stopped",
    });

    dashboard.signal("SIGTERM");
    expect((await dashboard.waitExit()).code).toBe(0);
  });

  it("--module: shows the queues of the modules' actors, with no worker running", async () => {
    const dashboard = CliProcess.start(
      ["dashboard", "--port", "0", "--no-management", "--module", join(FIXTURES, "rabbit-actors.js")],
      { env: { RABBITMQ_URL, OPSQ_TEST_QUEUE: bed.queue, OPSQ_DASHBOARD_TOKEN: undefined } },
    );
    await dashboard.waitFor(() => /opsq dashboard on http/.test(dashboard.stdout), "the dashboard's URL");
    const url = /on (http:\/\/\S+?)\/? /.exec(dashboard.stdout)![1]!;
    const page = await (await fetch(`${url}/queues`)).text();
    expect(page).toContain(`data-queue="${bed.queue}"`);
    dashboard.signal("SIGTERM");
    expect((await dashboard.waitExit()).code).toBe(0);
  });

  it("refuses to bind beyond loopback without a token, in one line, exit 2", async () => {
    const result = await CliProcess.run(["dashboard", "--host", "0.0.0.0", "--port", "0"], {
      env: { RABBITMQ_URL, OPSQ_DASHBOARD_TOKEN: undefined },
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("OPSQ_DASHBOARD_TOKEN");
  });
});
