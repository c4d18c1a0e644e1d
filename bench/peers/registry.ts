/** Which module opens which peer. */
import { openBullmq } from "./bullmq.js";
import { openOpsq } from "./opsq.js";
import type { OpenPeer, PeerName } from "./peer.js";
import { openPgboss } from "./pgboss.js";

/** The opener of every peer, by name. */
export const OPENERS: Record<PeerName, OpenPeer> = {
  opsq: openOpsq,
  bullmq: openBullmq,
  "pg-boss": openPgboss,
};
