/** Every figure of one peers' run, as bench/peers.ts collects them and table.ts prints them. */
import type { Machine } from "../lib/machine.js";
import type { DrainResult, EnqueueResult } from "./measure.js";
import type { PeerName } from "./peer.js";
import type { RedisPersistence } from "./redis.js";

/** The rounds of one peer, in run order; a failed round is absent from its list and noted in `errors`. */
export interface PeerFigures {
  name: PeerName;
  version: string;
  /** The server it ran on, with its version. */
  server: string;
  durability: string;
  tuning: string;
  one: EnqueueResult[];
  batch: EnqueueResult[];
  drain: DrainResult[];
  /** One line per failed run. */
  errors: string[];
}

/** One run of bench/peers.ts. */
export interface PeersRun {
  /** The command that made it. */
  command: string;
  /** Jobs per measured enqueue and per drain. */
  messages: number;
  rounds: number;
  /** Jobs each enqueue process sends before it starts timing. */
  warmup: number;
  machine: Machine;
  redis: RedisPersistence;
  /** The peers, in the order of the first round. */
  peers: PeerFigures[];
  /** The order the peers ran in, per round. */
  order: PeerName[][];
  durationSeconds: number;
}
