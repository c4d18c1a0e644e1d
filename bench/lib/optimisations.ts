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
`;
