/**
 * A DashboardSource in memory for the handler's unit tests: queues, dead letters (hostile
 * ones included) and workers given by the test, and a log of the actions called.
 */
import type { DeadLetterDetail } from "../../../src/brokers/rabbitmq/dead-letter-actions.js";
import type { DeadLetter } from "../../../src/brokers/rabbitmq/inspect.js";
import type { DashboardSource, DelayedRow, QueueRow } from "../../../src/dashboard/source.js";
import type { WorkerView } from "../../../src/dashboard/worker-registry.js";

/** A dead letter as `decodeDeadLetter` would give it. */
export function letter(fields: Partial<DeadLetter> = {}): DeadLetter {
  return {
    messageId: "m-1",
    actor: "send_email",
    queueName: "emails",
    args: ["a@example.com"],
    kwargs: {},
    options: { retries: 2 },
    error: "Error: boom",
    errorAttempt: 2,
    attempts: 3,
    deaths: [{ reason: "rejected", queue: "emails", count: 1, time: "2026-01-01T00:00:00.000Z" }],
    ...fields,
  };
}

/** The fake source, with what it was asked to do. */
export class FakeSource implements DashboardSource {
  readonly calls: string[] = [];
  rows: QueueRow[] = [
    {
      queue: "emails",
      exists: true,
      ready: 3,
      delayed: 1,
      deadLettered: 1,
      unacked: undefined,
      consumers: 2,
      rates: [],
    },
  ];
  letters: DeadLetter[] = [letter()];
  details = new Map<string, DeadLetterDetail>();
  workerViews: WorkerView[] = [];
  cancel?: (ids: readonly string[]) => Promise<void>;

  async statsOrigin() {
    return { kind: "amqp" as const, detail: "AMQP (test)" };
  }
  async queues() {
    return this.rows;
  }
  async deadLetters(queue: string, limit: number) {
    this.calls.push(`list ${queue} ${limit}`);
    return this.letters;
  }
  async deadLetter(_queue: string, id: string) {
    return this.details.get(id);
  }
  async requeueDeadLetter(queue: string, id: string) {
    this.calls.push(`requeue ${queue} ${id}`);
    return true;
  }
  async deleteDeadLetter(queue: string, id: string) {
    this.calls.push(`delete ${queue} ${id}`);
    return true;
  }
  async requeueAllDeadLetters(queue: string) {
    this.calls.push(`requeue-all ${queue}`);
    return 1;
  }
  async purgeDeadLetters(queue: string) {
    this.calls.push(`purge ${queue}`);
    return 1;
  }
  async delayed(): Promise<DelayedRow[]> {
    return [{ queue: "emails", waiting: 1, heldByWorkers: 0, nextEtaMs: Date.now() + 60_000 }];
  }
  async workers() {
    return this.workerViews;
  }
  async close() {
    this.calls.push("close");
  }
}
