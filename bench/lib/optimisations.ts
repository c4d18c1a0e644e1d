/** The performance changes made to opsq, with their before/after figures (kept by hand). */
export const OPTIMISATIONS = `
## Optimisations

The first report missed the drain target: \`opsq worker\` drained at **0.61 ×** raw amqplib
(6,630 vs 10,958 msg/s with the former in-process benchmark) and used about twice the CPU per
message (~50 µs vs ~20–25 µs). \`node --cpu-prof\` on a worker draining 50,000 messages
(\`tsx bench/profile-drain.ts\`) showed, of its busy time, **28 %** in \`writeBuffer\` (one socket
write per ack), **9 %** in async_hooks promise hooks (opsq's AsyncLocalStorage makes every promise
pay) and 11 % in GC. Two changes, both invisible on the wire and to middleware:

1. **Coalesced acks** (\`brokers/rabbitmq/consumer.ts\`). Acks made while the process handles one
   batch of frames are sent together on \`process.nextTick\`: one \`basic.ack\` with \`multiple\` for
   the oldest run of acked deliveries, one each for the others; nacks and requeues still go at once,
   and pending acks are flushed before a channel is closed (graceful stop, \`close()\`).
2. **No promise where nothing is pending** (\`worker.ts\`, \`broker.ts\`, the \`Callbacks\`,
   \`Pipelines\` and \`Retries\` middleware). Hooks that all ran synchronously are no longer
   awaited; a handler that returns no promise gives its outcome synchronously; ack/nack hooks are
   awaited only when one is async; and the three middleware return a promise only when they have
   something to send (a callback, the next pipeline step, a retry).

Before/after, measured with \`tsx bench/compare.ts <checkout without the changes>\` (one
\`opsq worker\` process draining 30,000 pre-filled messages, and 20,000 \`send()\` in a child
process; 5 rounds alternating between the two builds, medians; load average 5–6 at the time):

| | before | after | |
|---|---:|---:|---:|
| drain, one \`opsq worker\` (msg/s) | 9,593 | 23,000 | × 2.40 |
| drain CPU per message (µs) | 48.6 | 28.9 | × 0.59 |
| enqueue, \`send()\` (msg/s) | 9,837 | 10,054 | × 1.02 (noise) |
| enqueue CPU per message (µs) | 27.7 | 25.3 | × 0.91 |

In the profile after the changes, \`writeBuffer\` fell to 13 % and async_hooks to 4 % of the
worker's busy time.

### Acks in half-prefetch batches, and a worker path without GC churn (December 2026)

With the raw baseline made honest (acks batched with \`multiple\`), one \`opsq worker\` drained at
0.76 × of it and used twice its CPU per message (13 vs 6.5 µs). \`perf record\` on the worker showed
15 % of its CPU in V8's scavenger, against 2.6 % for the raw consumer, and
\`HeapProfiler.startSampling\` (objects surviving young collections) named the cause: about 1,200
bytes per message were promoted to the old generation and collected only by full GCs. Three habits
of the hot path did it, and are gone:

1. **A per-message object literal with a getter** (the delivery's \`stale\`): V8 kept most of
   these objects alive through scavenges. Deliveries are now instances of a class,
   \`RabbitmqDelivery\` (\`brokers/rabbitmq/delivery.ts\`).
2. **Maps and Sets keyed per message** (the worker's in-flight set, TimeLimit's deadlines,
   CrashLimit's in-flight map, the consumer's outstanding tags). A hash table that grows and
   shrinks with every message is reallocated, and an outgrown backing store that reached the old
   generation keeps its successor, and every entry it held, alive. Running attempts are now nodes
   of a linked list (\`linked-list.ts\`) found through a per-attempt slot on the proxy
   (\`attempt-slot.ts\`); the consumer's tags are an array window (\`ack-window.ts\`).
3. **Hook functions looked up by name at every call**, a megamorphic load across middleware
   classes: each hook's functions are looked up once.

Also: acks go out once half the prefetch is acked or 5 ms after the first (one ack frame per 45
messages instead of one per 18). Promoted bytes per message: ~1,200 → ~90.

Before/after, \`npx tsx bench/compare.ts <checkout of c45c408> --rounds 5 --messages 100000\` (one
\`opsq worker\` draining 100,000 pre-filled messages, and 100,000 \`send()\` in a child process; 5
rounds alternating between the two builds, medians; quiet machine, load average 1.1–2.1):

| | before | after | |
|---|---:|---:|---:|
| drain, one \`opsq worker\` (msg/s) | 40,696 | 43,628 | × 1.07 |
| drain CPU per message (µs) | 12.9 | 9.88 | × 0.77 |
| enqueue, \`send()\` (msg/s) | 21,844 | 22,234 | × 1.02 (noise) |
| enqueue CPU per message (µs) | 16.0 | 17.5 | × 1.09 (noise: rounds 15.5–20.1 before) |
`;
