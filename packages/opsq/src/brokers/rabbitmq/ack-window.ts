/**
 * The deliveries of one channel not yet settled on the wire, in delivery
 * order, and which of them are acked but not yet sent. It turns a batch of
 * acks into the fewest frames: one `basic.ack` with `multiple` for the oldest
 * run of settled deliveries, one each for acked deliveries past it.
 *
 * Plain arrays, not a `Map`: a hash table churned by every message is costly
 * for the garbage collector (see `linked-list.ts`). A channel's delivery tags
 * count up by one, so a tag's place is found from the oldest tag, with a scan
 * as the fallback.
 *
 * @module
 */

const UNSETTLED = 0;
const ACKED = 1;
const GONE = 2;

/** Sends one ack frame: every outstanding delivery up to `tag` when `multiple`, else `tag` alone. */
export type SendAck = (tag: number, multiple: boolean) => void;

/** The outstanding deliveries of a channel. */
export class AckWindow {
  #tags: number[] = [];
  #states: number[] = [];
  #head = 0;
  #pending: number[] = [];

  /** Acks waiting for {@link flush}. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Notes a new delivery. */
  delivered(tag: number): void {
    this.#tags.push(tag);
    this.#states.push(UNSETTLED);
  }

  /** Notes an ack to send at the next flush; returns how many acks wait. */
  acked(tag: number): number {
    const index = this.#indexOf(tag);
    if (index >= 0) {
      this.#states[index] = ACKED;
    }
    return this.#pending.push(tag);
  }

  /** Notes a delivery settled another way (a nack or requeue sent at once). */
  settledElsewhere(tag: number): void {
    const index = this.#indexOf(tag);
    if (index >= 0) {
      this.#states[index] = GONE;
    }
  }

  /** Sends the waiting acks through `send`, as few frames as the order of acks allows. */
  flush(send: SendAck): void {
    if (this.#pending.length === 0) {
      return;
    }
    const pending = this.#pending;
    this.#pending = [];
    const states = this.#states;
    let upTo = -1;
    let index = this.#head;
    for (; index < states.length && states[index] !== UNSETTLED; index++) {
      if (states[index] === ACKED) {
        upTo = this.#tags[index]!;
      }
    }
    this.#head = index;
    if (upTo >= 0) {
      send(upTo, true);
    }
    for (const tag of pending) {
      const at = this.#indexOf(tag);
      if (at >= 0 && states[at] === ACKED) {
        states[at] = GONE;
        send(tag, false);
      }
    }
    this.#compact();
  }

  /** Forgets everything (the channel closed: RabbitMQ redelivers what was not acked). */
  clear(): void {
    this.#tags = [];
    this.#states = [];
    this.#head = 0;
    this.#pending = [];
  }

  #indexOf(tag: number): number {
    const tags = this.#tags;
    const head = this.#head;
    if (head >= tags.length) {
      return -1;
    }
    const guess = head + (tag - tags[head]!);
    if (guess >= head && guess < tags.length && tags[guess] === tag) {
      return guess;
    }
    const found = tags.indexOf(tag, head);
    return found;
  }

  // Drops the settled entries at the front once they are half of the arrays.
  #compact(): void {
    while (this.#head < this.#states.length && this.#states[this.#head] === GONE) {
      this.#head++;
    }
    if (this.#head > 64 && this.#head * 2 > this.#tags.length) {
      this.#tags = this.#tags.slice(this.#head);
      this.#states = this.#states.slice(this.#head);
      this.#head = 0;
    }
  }
}
