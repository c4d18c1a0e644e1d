/**
 * The conversation of one agent run, in order. The loop appends every message it sends or
 * receives; the whole history is stored with the task's result (and survives a timeout, since
 * the caller can pass its own memory and read it after the run was aborted).
 *
 * @module
 */
import type { ChatMessage } from "./llm-client.js";

/** Ordered messages of one conversation. */
export class ShortTermMemory {
  readonly #messages: ChatMessage[] = [];

  /** Appends a message. */
  add(message: ChatMessage): void {
    this.#messages.push(message);
  }

  /** A copy of the conversation so far. */
  messages(): ChatMessage[] {
    return [...this.#messages];
  }

  /** How many messages there are. */
  get size(): number {
    return this.#messages.length;
  }

  /** Forgets everything. */
  clear(): void {
    this.#messages.length = 0;
  }
}
