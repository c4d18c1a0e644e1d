/**
 * A doubly linked list whose nodes the caller keeps, for O(1) removal.
 *
 * The worker and its middleware track each running attempt in one of these
 * rather than in a `Map` or `Set`: a hash table that grows and shrinks with
 * every message makes V8 reallocate its backing store, and an outgrown store
 * that reached the old generation keeps the next one (and every entry it
 * held) alive through young-generation collections. A removed node is
 * unlinked from both sides, so a dead node retains nothing.
 *
 * @module
 */

/** A node of a {@link LinkedList}: keep it to remove its value later. */
export interface ListNode<T> {
  /** The value it holds. */
  readonly value: T;
  /** @internal */
  prev: ListNode<T> | undefined;
  /** @internal */
  next: ListNode<T> | undefined;
  /** @internal False once removed. */
  linked: boolean;
}

/** Values in insertion order, each removable in O(1) through its node. */
export class LinkedList<T> implements Iterable<T> {
  #head: ListNode<T> | undefined;
  #tail: ListNode<T> | undefined;
  #size = 0;

  /** How many values it holds. */
  get size(): number {
    return this.#size;
  }

  /** The oldest value, if any. */
  get first(): T | undefined {
    return this.#head?.value;
  }

  /** Appends `value`; returns its node. */
  push(value: T): ListNode<T> {
    const node: ListNode<T> = { value, prev: this.#tail, next: undefined, linked: true };
    if (this.#tail === undefined) {
      this.#head = node;
    } else {
      this.#tail.next = node;
    }
    this.#tail = node;
    this.#size++;
    return node;
  }

  /** Removes a node of this list; a node already removed is ignored. */
  remove(node: ListNode<T>): void {
    if (!node.linked) {
      return;
    }
    node.linked = false;
    if (node.prev === undefined) {
      this.#head = node.next;
    } else {
      node.prev.next = node.next;
    }
    if (node.next === undefined) {
      this.#tail = node.prev;
    } else {
      node.next.prev = node.prev;
    }
    node.prev = undefined;
    node.next = undefined;
    this.#size--;
  }

  /** Removes and returns the oldest value. */
  shift(): T | undefined {
    const head = this.#head;
    if (head === undefined) {
      return undefined;
    }
    this.remove(head);
    return head.value;
  }

  /** The values, oldest first; removing the current value while iterating is safe. */
  *[Symbol.iterator](): IterableIterator<T> {
    let node = this.#head;
    while (node !== undefined) {
      const next = node.next;
      yield node.value;
      node = next;
    }
  }
}
