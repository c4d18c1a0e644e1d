/**
 * opsq performance, in one run on one RabbitMQ: throughput (opsq vs raw amqplib, enqueue and drain,
 * 1 and 2 processes), latency, a 200,000-message soak, worker start-up/shutdown and ops-core end to end.
 *
 * Usage:
 *   npm run bench                 # prints the figures
 *   npm run bench:report          # and writes docs/PERFORMANCE.md
 *   tsx bench/report.ts [--messages 20000] [--drain-messages 100000] [--rounds 3] [--enqueue-rounds 5] [--soak 200000]
 *                       [--only enqueue,drain,latency,soak,startup,e2e] [--write <file>]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { deleteFamilies, openContext, reconnect } from "./lib/amqp.js";
import { measureDashboard } from "./lib/dashboard.js";
import { keepSection } from "./lib/doc-section.js";
import { measureOpsCoreE2e } from "./lib/e2e.js";
import { measureLightLatency, measureLoadedLatency, measurePipelinePeak } from "./lib/latency.js";
import { describeMachine, loadAverage } from "./lib/machine.js";
import { renderMarkdown, roundsText, textTable } from "./lib/markdown.js";
import { PEERS_SECTION, PEERS_SECTION_BEFORE } from "./lib/peers-section.js";
import { ROOT } from "./lib/processes.js";
import type { Results } from "./lib/results.js";
import { measureSoak } from "./lib/soak.js";
import { measureFixtureStartup, measureOpsCoreStartup } from "./lib/startup.js";
import { median, sleep } from "./lib/stats.js";
import { measureDrain, measureEnqueue } from "./lib/throughput.js";

const SECTIONS = ["startup", "enqueue", "drain", "dashboard", "latency", "soak", "e2e"] as const;

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "20000" },
    "drain-messages": { type: "string", default: "100000" },
    rounds: { type: "string", default: "3" },
    "enqueue-rounds": { type: "string", default: "5" },
    soak: { type: "string", default: "200000" },
    only: { type: "string" },
    write: { type: "string" },
  },
});
for (const name of ["messages", "drain-messages", "rounds", "enqueue-rounds", "soak"] as const) {
  const value = Number(values[name]);
  if (!Number.isSafeInteger(value) || value < (name === "soak" ? 0 : 1)) {
    console.error(`--${name} must be a whole number ≥ ${name === "soak" ? 0 : 1}, got ${values[name]}`);
    process.exit(2);
  }
}
const only = new Set(values.only?.split(",") ?? SECTIONS);
const log = (text: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}`);

const context = await openContext({
  tmpdir: mkdtempSync(join(tmpdir(), "opsq-bench-")),
  messages: Number(values.messages),
  rounds: Number(values.rounds),
});
const serverVersion = (
  context.connection.connection as unknown as { serverProperties?: { version?: string } }
).serverProperties?.version;
const argv = process.argv.slice(2).join(" ");
const results: Results = {
  command: values.write
    ? `npm run bench:report   # tsc -b && OPSQ_LOG_LEVEL=warn tsx bench/report.ts ${argv}`
    : `tsx bench/report.ts ${argv}`,
  messages: context.messages,
  drainMessages: Number(values["drain-messages"]),
  rounds: context.rounds,
  machine: describeMachine(serverVersion),
};
const started = performance.now();

/**
 * Runs a section; when RabbitMQ drops connections meanwhile (other suites on this machine restart it
 * or force-close connections), discards its figures and runs it again, up to 3 times in all.
 */
async function section<T>(name: string, run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const text = String(error);
      if (
        attempt >= 3 ||
        !/Connection closed|CONNECTION_FORCED|ECONNRESET|ECONNREFUSED|exited with|not ready/.test(text)
      ) {
        throw error;
      }
      log(`${name}: interrupted (${text.split("\n")[0]!.slice(0, 160)}); running it again`);
      await sleep(3000);
      await reconnect(context);
    }
  }
}

try {
  if (only.has("startup")) {
    log("start-up and shutdown (ops-core/actors, 5 runs; fixture, 5 runs)");
    results.startup = await section("start-up", () => measureOpsCoreStartup(context));
    results.fixtureStartup = await section("start-up", () => measureFixtureStartup(context));
  }
  if (only.has("enqueue")) {
    const rounds = Number(values["enqueue-rounds"]);
    log(`enqueue: ${rounds} rounds of ${context.messages} messages`);
    results.enqueue = await section("enqueue", () => measureEnqueue(context, rounds));
  }
  if (only.has("drain")) {
    log(`drain: ${context.rounds} rounds × raw/opsq × 1/2 processes of ${results.drainMessages} messages`);
    results.drain = await section("drain", () => measureDrain(context, results.drainMessages));
  }
  if (only.has("dashboard")) {
    log(`dashboard: ${context.rounds} rounds × drain without / with the dashboard refreshing every second`);
    results.dashboard = await section("dashboard", () => measureDashboard(context, results.drainMessages));
    const { without, with: withIt, cpuMsPerSecond, pageLoads, failedLoads } = results.dashboard;
    const list = (values: number[]) => values.map(Math.round).join(", ");
    log(
      `dashboard: without ${list(without)}; with ${list(withIt)} msg/s; bench CPU ms/s without ${list(cpuMsPerSecond.without)}, with ${list(cpuMsPerSecond.with)}; ${pageLoads} page loads, ${failedLoads} failed`,
    );
  }
  if (only.has("latency")) {
    log("latency: light load");
    results.light = await section("latency", () => measureLightLatency(context));
    log("latency: end-to-end peak (send() and one worker at once), median of 3");
    const peaks: number[] = [];
    for (let i = 0; i < 3; i++) peaks.push(await section("peak", () => measurePipelinePeak(context)));
    results.peaks = peaks;
    results.peak = median(peaks);
    log(`latency: at ${Math.round(results.peak / 2)}/s (50 % of ${Math.round(results.peak)})`);
    const rate = results.peak / 2;
    results.loaded = await section("latency", () => measureLoadedLatency(context, rate));
  }
  if (only.has("soak") && Number(values.soak) > 0) {
    log(`soak: ${values.soak} messages through one worker`);
    results.soak = await section("soak", () => measureSoak(context, Number(values.soak)));
  }
  if (only.has("e2e")) {
    log("ops-core end to end");
    results.e2e = await measureOpsCoreE2e(context.url);
  }
} finally {
  await reconnect(context);
  await deleteFamilies(context, context.queues);
  await context.connection.close().catch(() => {});
  rmSync(context.tmpdir, { recursive: true, force: true });
}
results.durationSeconds = (performance.now() - started) / 1000;
results.machine.loadEnd = loadAverage();

console.log(
  `\nopsq benchmark — ${results.machine.date}, nproc ${results.machine.nproc}, Node ${results.machine.node}, RabbitMQ ${results.machine.rabbitmq}, ${Math.round(results.durationSeconds)} s`,
);
console.log(textTable(results));
console.log(roundsText(results));
if (values.write) {
  const file = join(ROOT, values.write);
  // The peers' section (`npm run bench:peers -- --write`) is another run's: carried over as it is.
  writeFileSync(file, keepSection(renderMarkdown(results), file, PEERS_SECTION, PEERS_SECTION_BEFORE));
  console.log(`\nwrote ${file}`);
}
