/**
 * The worker's buffer of decoded deliveries waiting for a free slot, ordered by
 * their actor's `priority` (lower first, as Dramatiq's worker), then by arrival.
 *
 * @module
 */

interface Ranked<T> {
  readonly item: T;
  readonly priority: number;
  readonly seq: number;
}

/** Compacts the FIFO once this many taken slots make up over half of it. */
const COMPACT_AFTER = 1024;

/**
 * A first-in first-out queue for priority 0 (the default, and the usual case: an array and
 * a head index, no comparison), and a binary heap for every other priority, ordered by
 * `(priority, arrival)`. `shift()` takes the heap's top when its priority is below 0 or the
 * FIFO is empty, else the FIFO's head: the same order as one queue sorted by priority.
 */
export class DeliveryBuffer<T> {
  readonly #fifo: T[] = [];
  #head = 0;
  readonly #heap: Ranked<T>[] = [];
  #seq = 0;

  /** Items waiting. */
  get size(): number {
    return this.#fifo.length - this.#head + this.#heap.length;
  }

  /** Adds an item with its priority (lower is taken first; 0 by default). */
  push(item: T, priority = 0): void {
    if (priority === 0) {
      this.#fifo.push(item);
    } else {
      this.#heapPush({ item, priority, seq: this.#seq++ });
    }
  }

  /** Takes the next item: the lowest priority, the earliest among equals. */
  shift(): T | undefined {
    const top = this.#heap[0];
    if (top !== undefined && (top.priority < 0 || this.#head >= this.#fifo.length)) {
      return this.#heapPop();
    }
    if (this.#head >= this.#fifo.length) {
      return undefined;
    }
    const item = this.#fifo[this.#head]!;
    this.#fifo[this.#head++] = undefined as never;
    if (this.#head > COMPACT_AFTER && this.#head * 2 > this.#fifo.length) {
      this.#fifo.splice(0, this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Empties the buffer, returning what it held (in no particular order). */
  clear(): T[] {
    const items = [...this.#fifo.slice(this.#head), ...this.#heap.map((ranked) => ranked.item)];
    this.#fifo.length = 0;
    this.#head = 0;
    this.#heap.length = 0;
    return items;
  }

  #heapPush(ranked: Ranked<T>): void {
    const heap = this.#heap;
    let i = heap.length;
    heap.push(ranked);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) {
        break;
      }
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #heapPop(): T {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left]!, heap[smallest]!)) {
          smallest = left;
        }
        if (right < heap.length && before(heap[right]!, heap[smallest]!)) {
          smallest = right;
        }
        if (smallest === i) {
          break;
        }
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top.item;
  }
}

function before<T>(a: Ranked<T>, b: Ranked<T>): boolean {
  return a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq);
}
