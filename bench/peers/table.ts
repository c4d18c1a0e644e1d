/** The peers' figures as a terminal table and as the docs/PERFORMANCE.md section. */
import { format, median } from "../lib/stats.js";
import type { PeerFigures, PeersRun } from "./figures.js";
import { BATCH_SIZE } from "./peer.js";
import { persistenceText } from "./redis.js";

/** The column titles, in order, after the peer's own. */
export const COLUMNS = [
  "enqueue, one at a time",
  "enqueue, batched",
  "drain, spawn → last job done",
  "enqueue durability",
] as const;

const LABELS: Record<string, string> = { opsq: "opsq", bullmq: "BullMQ", "pg-boss": "pg-boss" };

/** "median (round, round, …)" of the values, in run order; "failed" when there is none. */
export function roundsCell(values: readonly number[]): string {
  if (values.length === 0) return "failed";
  return `${format(median(values))} (${values.map(format).join(", ")})`;
}

/** The rate cells of a peer: one at a time, batched, drain spawn → last. */
function rateCells(peer: PeerFigures): string[] {
  return [
    roundsCell(peer.one.map((r) => r.rate)),
    roundsCell(peer.batch.map((r) => r.rate)),
    roundsCell(peer.drain.map((r) => r.spawnRate)),
  ];
}

/** The whole-machine CPU cells of a peer (µs per job): one at a time, batched, drain. */
function cpuCells(peer: PeerFigures): string[] {
  return [
    roundsCell(peer.one.map((r) => r.machineCpuUs)),
    roundsCell(peer.batch.map((r) => r.machineCpuUs)),
    roundsCell(peer.drain.map((r) => r.machineCpuUs)),
  ];
}

const peerLabel = (peer: PeerFigures) => `${LABELS[peer.name] ?? peer.name} ${peer.version}`;

/** opsq's median over each other peer's, per rate column, as text. */
export function ratiosText(run: PeersRun): string[] {
  const opsq = run.peers.find((peer) => peer.name === "opsq");
  if (!opsq) return [];
  const medians = (peer: PeerFigures) => [
    median(peer.one.map((r) => r.rate)),
    median(peer.batch.map((r) => r.rate)),
    median(peer.drain.map((r) => r.spawnRate)),
  ];
  const mine = medians(opsq);
  return run.peers
    .filter((peer) => peer !== opsq)
    .map((peer) => {
      const theirs = medians(peer);
      const ratios = COLUMNS.slice(0, 3).map((column, i) => `${column} ${format(mine[i]! / theirs[i]!)}×`);
      return `opsq ÷ ${LABELS[peer.name]}, of the medians: ${ratios.join("; ")}`;
    });
}

/** The context lines: machine, servers, libraries, Redis persistence. */
function contextLines(run: PeersRun): string[] {
  const { machine } = run;
  return [
    `${run.messages.toLocaleString("en")} no-op jobs per run, ${run.rounds} interleaved rounds (order per round: ${run.order.map((o) => o.join(" → ")).join("; ")}), ${run.warmup.toLocaleString("en")} warm-up jobs before each timed enqueue`,
    `machine: nproc ${machine.nproc}, ${machine.cpu}, Node ${machine.node}, ${machine.os}; load average (1/5/15 min) ${machine.loadStart} at start → ${machine.loadEnd ?? "?"} at end; ${Math.round(run.durationSeconds)} s`,
    `servers: ${run.peers.map((peer) => `${peer.server} (${LABELS[peer.name]})`).join(", ")}`,
    `Redis persistence: ${persistenceText(run.redis)}${run.redis.started ? " (started by this run)" : ""}`,
  ];
}

/** The whole run for the terminal. */
export function peersText(run: PeersRun): string {
  const width = 34;
  const lines = [`\npeers — ${run.machine.date}`, `command: ${run.command}`, ...contextLines(run), ""];
  lines.push("jobs/s, median (rounds in run order):");
  lines.push(["", ...COLUMNS.slice(0, 3)].map((text) => text.padEnd(width)).join(""));
  for (const peer of run.peers) {
    lines.push([peerLabel(peer), ...rateCells(peer)].map((text) => text.padEnd(width)).join(""));
  }
  lines.push("", "whole-machine CPU µs per job (servers included), median (rounds):");
  for (const peer of run.peers) {
    lines.push([peerLabel(peer), ...cpuCells(peer)].map((text) => text.padEnd(width)).join(""));
  }
  lines.push("", "drain first → last job (jobs/s); worker process CPU µs per job:");
  for (const peer of run.peers) {
    lines.push(
      `${peerLabel(peer).padEnd(width)}${roundsCell(peer.drain.map((r) => r.firstLastRate)).padEnd(width)}${roundsCell(peer.drain.map((r) => r.processCpuUs))}`,
    );
  }
  lines.push("", ...ratiosText(run), "", "enqueue durability:");
  for (const peer of run.peers) lines.push(`  ${LABELS[peer.name]}: ${peer.durability}`);
  lines.push("worker tuning:");
  for (const peer of run.peers) lines.push(`  ${LABELS[peer.name]}: ${peer.tuning}`);
  const errors = run.peers.flatMap((peer) => peer.errors.map((error) => `  ${LABELS[peer.name]}: ${error}`));
  if (errors.length > 0) lines.push("FAILED RUNS:", ...errors);
  const short = run.peers.flatMap((peer) =>
    peer.drain.filter((r) => r.count !== run.messages).map((r) => `${LABELS[peer.name]} ${r.count}`),
  );
  lines.push(
    short.length === 0
      ? `every drain run handled ${run.messages} jobs`
      : `DRAIN RUNS WITH ANOTHER COUNT THAN ${run.messages}: ${short.join(", ")}`,
  );
  return lines.join("\n");
}

const row = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;

/** The docs/PERFORMANCE.md section (without its markers). */
export function peersMarkdown(run: PeersRun): string {
  const out: string[] = [];
  out.push("## Peers: BullMQ and pg-boss", "");
  out.push(
    `Generated by \`npm run bench:peers\` on ${run.machine.date} (not by \`npm run bench:report\`, which keeps this section as it is). The command was:`,
    "",
    "```sh",
    run.command,
    "```",
    "",
  );
  for (const line of contextLines(run)) out.push(`- ${line}`);
  out.push("");
  out.push("Jobs per second, median (every round in run order):", "");
  out.push(row(["", ...COLUMNS]), row(["---", "---:", "---:", "---:", "---"]));
  for (const peer of run.peers) out.push(row([peerLabel(peer), ...rateCells(peer), peer.durability]));
  out.push("");
  out.push(
    "Whole-machine busy CPU per job, µs (every core: the servers and anything else running included):",
    "",
  );
  out.push(row(["", ...COLUMNS.slice(0, 3)]), row(["---", "---:", "---:", "---:"]));
  for (const peer of run.peers) out.push(row([peerLabel(peer), ...cpuCells(peer)]));
  out.push("");
  out.push("Drain, first → last job (jobs/s), and the worker process's own CPU per job (µs):", "");
  out.push(row(["", "first → last", "worker CPU µs/job"]), row(["---", "---:", "---:"]));
  for (const peer of run.peers) {
    out.push(
      row([
        peerLabel(peer),
        roundsCell(peer.drain.map((r) => r.firstLastRate)),
        roundsCell(peer.drain.map((r) => r.processCpuUs)),
      ]),
    );
  }
  out.push("", ...ratiosText(run).map((line) => `- ${line}`), "");
  out.push("How:", "");
  out.push(
    `- **Enqueue, one at a time**: in a child process per run, every call issued without awaiting it, then all awaited: opsq \`actor.send()\`, BullMQ \`queue.add()\`, pg-boss \`boss.send()\`. **Batched**: opsq \`actor.sendMany()\`, BullMQ \`queue.addBulk()\`, pg-boss \`boss.insert()\`, in batches of ${BATCH_SIZE.toLocaleString("en")}, each awaited. The rate is jobs / time of the timed part, after a warm-up of the same kind.`,
    "- **Drain**: the queue is pre-filled (batched), then one worker process is spawned and timed from its spawn to the start of its last job's no-op handler (start-up included); each worker keeps the record of `bench/fixtures/record.mjs`. CPU per job: the whole machine's busy time from the spawn until the library reports nothing left.",
  );
  for (const peer of run.peers) out.push(`- **${LABELS[peer.name]} worker**: ${peer.tuning}.`);
  out.push(
    "",
    "Reading it: the three enqueue columns do not buy the same thing. opsq's figure is for a persistent message on a classic durable queue, confirmed after RabbitMQ wrote it to disk; on a quorum queue the same `sendMany` does about 2.3× as much (docs/BATCH-ENQUEUE.md: 46,800/s on this machine). BullMQ's is for Redis memory (here nothing reaches disk). pg-boss's batched `insert()` is one multi-row statement and one commit per batch, which is why it leads that column and why its one-at-a-time `send()` (a transaction each) trails. The drain column includes each worker's start-up; the first → last table leaves it out.",
  );
  const errors = run.peers.flatMap((peer) => peer.errors.map((error) => `${LABELS[peer.name]}: ${error}`));
  if (errors.length > 0) out.push("", "**Failed runs:**", "", ...errors.map((error) => `- ${error}`));
  return out.join("\n");
}
