/**
 * Helpers for unit tests on the StubBroker: quiet or capturing loggers, a
 * deferred promise, a worker pool stopped in `afterEach`, and the Dramatiq fixtures.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { pino } from "pino";
import type { Delivery } from "../../src/broker.js";
import type { StubBroker } from "../../src/brokers/stub.js";
import type { Logger } from "../../src/logger.js";
import { Message, type MessageDict } from "../../src/message.js";
import { Worker, type WorkerOptions } from "../../src/worker.js";

/** A logger that writes nothing. */
export function quietLogger(): Logger {
  return pino({ level: "silent" });
}

/** One parsed log line. */
export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A debug-level logger whose lines are kept in `lines` (parsed JSON). */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() !== "") {
          lines.push(JSON.parse(line) as LogLine);
        }
      }
      callback();
    },
  });
  // pino writes synchronously to a plain Writable, so lines are there as soon as the call returns.
  return { logger: pino({ level: "debug" }, stream), lines };
}

/** A promise with its resolve function exposed. */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A fresh {@link Deferred}. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Workers started by a test file, all stopped by `stopAll()` (call it in `afterEach`).
 * Workers get a short shutdown timeout so a stuck test does not stall the suite.
 */
export function workerPool() {
  const workers: Worker[] = [];
  return {
    async start(broker: StubBroker, options: WorkerOptions = {}): Promise<Worker> {
      const worker = new Worker(broker, { shutdownTimeoutMs: 200, ...options });
      workers.push(worker);
      await worker.start();
      return worker;
    },
    async stopAll(): Promise<void> {
      await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    },
  };
}

/** One case of `fixtures/dramatiq/messages.json`. */
export interface FixtureCase {
  note: string;
  body_raw: string;
  body: MessageDict;
}

/** The golden messages recorded from Python Dramatiq 2.2 (`/work/shared/fixtures/dramatiq/messages.json`). */
export function loadMessageFixtures(): Record<string, FixtureCase> {
  const url = new URL("../integration/fixtures/dramatiq/messages.json", import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { cases: Record<string, FixtureCase> }).cases;
}

/** Resolves after `ms` milliseconds (only for tests where a delay is the behaviour under test). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Takes every ready message out of one queue (`q`, `q.DQ`) of a StubBroker and
 * returns them decoded, as published (acks them: the queue is left empty).
 */
export async function takeAll(broker: StubBroker, queueName: string): Promise<Message[]> {
  const deliveries: Delivery[] = [];
  const consumer = await broker.consume(queueName, { prefetch: Number.MAX_SAFE_INTEGER }, (delivery) =>
    deliveries.push(delivery),
  );
  // The stub dispatches in a microtask: one macrotask later every ready message was handed out.
  await new Promise((resolve) => setImmediate(resolve));
  await consumer.cancel();
  for (const delivery of deliveries) {
    delivery.ack();
  }
  return deliveries.map((delivery) => Message.decode(delivery.body));
}
