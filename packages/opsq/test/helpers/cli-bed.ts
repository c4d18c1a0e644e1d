/**
 * What the `opsq worker` subprocess tests share: the CLI built, a RabbitMQ admin connection and a
 * producer broker for the file, and for each test a fresh queue and a marker directory (where
 * the fixture actors leave a file per message they ran); worker processes still running after a
 * test are killed.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RabbitmqBroker } from "../../src/brokers/rabbitmq.js";
import { ensureBuilt, killLeftovers } from "../fixtures/cli/cli-process.js";
import { captureLogger, RABBITMQ_URL, RabbitAdmin, type TestHooks } from "./rabbitmq.js";

/** vitest's hooks, passed in (this module is not tied to vitest's globals). */
export interface CliTestHooks extends TestHooks {
  beforeEach(hook: () => void | Promise<void>): void;
}

/** The shared state of a CLI test file; read its getters inside tests. */
export class CliTestBed {
  #admin: RabbitAdmin | undefined;
  #producer: RabbitmqBroker | undefined;
  #queue: string | undefined;
  #markers: string | undefined;

  private constructor() {}

  /**
   * A bed for the enclosing `describe`, whose queues are named after `prefix`:
   * `const bed = CliTestBed.use({ beforeAll, beforeEach, afterEach, afterAll }, "cli")`.
   */
  static use(hooks: CliTestHooks, prefix: string): CliTestBed {
    const bed = new CliTestBed();
    hooks.beforeAll(async () => {
      ensureBuilt();
      bed.#admin = await RabbitAdmin.open();
      bed.#producer = new RabbitmqBroker({ url: RABBITMQ_URL, logger: captureLogger().logger });
    });
    hooks.beforeEach(() => {
      bed.#queue = bed.admin.queue(prefix);
      bed.#markers = mkdtempSync(join(tmpdir(), `opsq-${prefix}-markers-`));
    });
    hooks.afterEach(async () => {
      await killLeftovers();
      if (bed.#markers !== undefined) {
        rmSync(bed.#markers, { recursive: true, force: true });
      }
    });
    hooks.afterAll(async () => {
      await bed.#producer?.close();
      await bed.#admin?.cleanup();
    });
    return bed;
  }

  /** The admin connection (deletes the queues it handed out after the file). */
  get admin(): RabbitAdmin {
    return defined(this.#admin, "admin");
  }

  /** A broker to publish with. */
  get producer(): RabbitmqBroker {
    return defined(this.#producer, "producer");
  }

  /** This test's queue. */
  get queue(): string {
    return defined(this.#queue, "queue");
  }

  /** This test's marker directory. */
  get markers(): string {
    return defined(this.#markers, "markers");
  }
}

function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) {
    throw new Error(`the CLI test bed's ${what} is not ready: use it inside a test`);
  }
  return value;
}
