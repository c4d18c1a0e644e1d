/**
 * `StatementBatcher`: coalesces the same guarded statement on different tasks, issued within one
 * turn of the event loop, into one statement over a `jsonb_to_recordset($1::jsonb)` of their
 * parameters — one round trip, one transaction and one parse instead of many, which is what a
 * worker with many tasks in flight issues when a wave of LLM answers arrives.
 *
 * A lone call runs its single-task statement unchanged. Calls on a task already in the batch wait
 * until that statement has finished, then go in the next one (so concurrent claims of one task
 * are each counted, and of concurrent completions exactly one wins, as with single statements). When a batch fails with a data error
 * (SQLSTATE class 22 or 23: one task's values, say), each of its calls is run alone, so one bad
 * value fails only its own call; any other error (a lost connection) fails every call of it.
 *
 * @module
 */

/** A row of the batch statement's `RETURNING`, keyed by column name. */
export type BatchRow = Record<string, unknown>;

/** Options of {@link StatementBatcher}. */
export interface StatementBatcherOptions<Item> {
  /** Runs the statement for one task: its row, or `undefined` when the guard matched none. */
  single(item: Item): Promise<BatchRow | undefined>;
  /** Runs the statement for several distinct tasks at once: the rows it returned. */
  batch(items: Item[]): Promise<BatchRow[]>;
  /** The task id of an item (also read from the returned rows' `task_id`). */
  taskIdOf(item: Item): string;
  /** Most items in one statement. @default 500 */
  maxBatch?: number;
}

interface Pending<Item> {
  item: Item;
  resolve(row: BatchRow | undefined): void;
  reject(error: unknown): void;
}

/** Coalesces calls made in one event-loop turn; see the module comment. */
export class StatementBatcher<Item> {
  readonly #options: StatementBatcherOptions<Item>;
  #queue: Pending<Item>[] = [];
  #scheduled = false;
  /** A statement is running whose tasks have calls waiting: the next flush waits for it. */
  #waiting = false;

  /** @param options how to run one and many */
  constructor(options: StatementBatcherOptions<Item>) {
    this.#options = options;
  }

  /** Runs the statement for `item`, alone or with the others issued in this turn. */
  run(item: Item): Promise<BatchRow | undefined> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#waiting) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    const max = this.#options.maxBatch ?? 500;
    const batch: Pending<Item>[] = [];
    const later: Pending<Item>[] = [];
    const ids = new Set<string>();
    for (const pending of this.#queue) {
      const id = this.#options.taskIdOf(pending.item);
      if (batch.length >= max || ids.has(id)) {
        later.push(pending);
      } else {
        ids.add(id);
        batch.push(pending);
      }
    }
    this.#queue = later;
    if (batch.length === 0) return;
    const settled = batch.length === 1 ? this.#runAlone(batch[0]!) : this.#runBatch(batch);
    if (later.length > 0) {
      // Calls on a task of this statement run after it, as they would one after the other.
      this.#waiting = true;
      void settled.finally(() => {
        this.#waiting = false;
        this.#schedule();
      });
    }
  }

  #runAlone(pending: Pending<Item>): Promise<void> {
    return this.#options.single(pending.item).then(pending.resolve, pending.reject);
  }

  async #runBatch(batch: Pending<Item>[]): Promise<void> {
    let rows: BatchRow[];
    try {
      rows = await this.#options.batch(batch.map((pending) => pending.item));
    } catch (error) {
      if (isDataError(error)) {
        await Promise.all(batch.map((pending) => this.#runAlone(pending)));
      } else {
        for (const pending of batch) pending.reject(error);
      }
      return;
    }
    const byId = new Map(rows.map((row) => [row.task_id as string, row]));
    for (const pending of batch) pending.resolve(byId.get(this.#options.taskIdOf(pending.item)));
  }
}

/** SQLSTATE class 22 (data exception) or 23 (integrity constraint violation). */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^2[23][0-9A-Z]{3}$/.test(code);
}
