/**
 * What a chaos scenario is, what it reports, and the bookkeeping every scenario shares.
 *
 * @module
 */

/** What the runner hands every scenario. */
export interface ScenarioOptions {
  /** Smaller counts and shorter waits (CI). */
  readonly short: boolean;
  /** This scenario's own directory for logs and records (inside {@link ScenarioOptions.runDir}). */
  readonly dir: string;
  /** The whole run's directory: every log of the suite is under it. */
  readonly runDir: string;
  /** AMQP URL the scenario's brokers and workers use (the run's own RabbitMQ user when possible). */
  readonly rabbitUrl: string;
  /** PostgreSQL URL for ops-core scenarios (may carry a throw-away password, to check redaction). */
  readonly databaseUrl: string;
  /** Values that must never appear in any log or error message. */
  readonly secrets: readonly string[];
  /** True when `rabbitmqctl` talks to the local node. */
  readonly rabbitmqctl: boolean;
  /** Progress line on stderr. */
  log(text: string): void;
}

/** What a scenario reports; the runner prints one table row from it. */
export interface ScenarioResult {
  /** Messages (or tasks) the scenario tried to send. */
  sent: number;
  /** Sends RabbitMQ confirmed (or tasks stored and enqueued). */
  confirmed: number;
  /** Distinct messages (or tasks) processed. */
  processed: number;
  /** Messages found in the `.XQ`. */
  deadLettered: number;
  /** Confirmed but never processed. Must be 0. */
  lost: number;
  /** Extra runs of a message (at-least-once redeliveries), when the scenario counts them. */
  duplicates?: number;
  /** What was checked and seen, and each failed check prefixed with `FAIL`. */
  notes: string[];
  /** True when every check held. */
  pass: boolean;
  /** True when the scenario could not run here (e.g. no `rabbitmqctl`); not a failure. */
  skipped?: boolean;
}

/** A scenario: a script that asserts. */
export interface Scenario {
  /** Short name, used by `--only`. */
  readonly name: string;
  /** One line for the table's legend. */
  readonly description: string;
  /**
   * True when it disturbs other users of the same servers (closes every connection, restarts
   * RabbitMQ or PostgreSQL, changes server settings): `--no-disruptive` skips it.
   */
  readonly disruptive: boolean;
  run(options: ScenarioOptions): Promise<ScenarioResult>;
}

/** Accumulates counts, notes and failed checks; {@link Tally.result} makes the report. */
export class Tally {
  sent = 0;
  confirmed = 0;
  processed = 0;
  deadLettered = 0;
  lost = 0;
  duplicates: number | undefined;
  readonly notes: string[] = [];
  readonly failures: string[] = [];

  /** Records a failed check when `condition` is false; returns it. */
  check(condition: boolean, what: string): boolean {
    if (!condition) {
      this.failures.push(what);
    }
    return condition;
  }

  /** Records a failure from a thrown error (the scenario goes on to its clean-up). */
  fail(what: string, error?: unknown): void {
    this.failures.push(error === undefined ? what : `${what}: ${errorText(error)}`);
  }

  note(text: string): void {
    this.notes.push(text);
  }

  result(): ScenarioResult {
    return {
      sent: this.sent,
      confirmed: this.confirmed,
      processed: this.processed,
      deadLettered: this.deadLettered,
      lost: this.lost,
      ...(this.duplicates === undefined ? {} : { duplicates: this.duplicates }),
      notes: [...this.failures.map((failure) => `FAIL ${failure}`), ...this.notes],
      pass: this.failures.length === 0,
    };
  }
}

/** A skipped scenario's report. */
export function skipped(reason: string): ScenarioResult {
  return {
    sent: 0,
    confirmed: 0,
    processed: 0,
    deadLettered: 0,
    lost: 0,
    notes: [`skipped: ${reason}`],
    pass: true,
    skipped: true,
  };
}

/** The message of anything thrown, on one line. */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\s*\n\s*/g, " ").slice(0, 500);
}

/** Promise-returning pause. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every `intervalMs` until it holds; false when `timeoutMs` passed first. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) {
      return true;
    }
    if (Date.now() >= deadline) {
      return false;
    }
    await sleep(intervalMs);
  }
}
