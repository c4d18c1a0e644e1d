/** Where the peers' benchmark (bench/peers.ts) keeps its figures in docs/PERFORMANCE.md. */

/** The name of the marked section (see doc-section.ts). */
export const PEERS_SECTION = "peers";

/** A new peers' section goes before this heading (the description of how each figure is measured). */
export const PEERS_SECTION_BEFORE = /^## How each figure is measured/m;
