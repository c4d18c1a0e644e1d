/**
 * Test helpers: the in-memory {@link StubBroker}.
 *
 * @packageDocumentation
 */
export { type DeadLetter, StubBroker } from "./brokers/stub.js";
export { MemoryResultBackend } from "./results/memory.js";
