/**
 * bench/lib/doc-section.ts: `npm run bench:peers -- --write` replaces its marked section of
 * docs/PERFORMANCE.md, and `npm run bench:report` regenerating the file keeps it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findSection, keepSection, replaceSection } from "../../../bench/lib/doc-section.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const BEFORE = /^## How/m;

describe("doc sections", () => {
  it("adds a missing section before the given heading, then replaces it in place", () => {
    const doc = "# Title\n\n## Figures\n\nx\n\n## How\n\ny\n";
    const added = replaceSection(doc, "peers", "## Peers\n\nfirst", BEFORE);
    expect(added).toBe(
      "# Title\n\n## Figures\n\nx\n\n<!-- peers:start -->\n## Peers\n\nfirst\n<!-- peers:end -->\n\n## How\n\ny\n",
    );
    const replaced = replaceSection(added, "peers", "## Peers\n\nsecond $& $1", BEFORE);
    expect(replaced).toBe(added.replace("first", () => "second $& $1"));
    expect(findSection(replaced, "peers")).toContain("second");
  });

  it("appends the section when the heading is missing", () => {
    expect(replaceSection("# T\n", "peers", "body")).toBe(
      "# T\n\n<!-- peers:start -->\nbody\n<!-- peers:end -->\n",
    );
  });

  it("keeps the file's section when the whole file is regenerated", () => {
    const dir = mkdtempSync(join(tmpdir(), "doc-section-"));
    dirs.push(dir);
    const file = join(dir, "PERFORMANCE.md");
    writeFileSync(file, "# Old\n\n<!-- peers:start -->\nkept\n<!-- peers:end -->\n\n## How\n\nold\n");
    expect(keepSection("# New\n\n## How\n\nnew\n", file, "peers", BEFORE)).toBe(
      "# New\n\n<!-- peers:start -->\nkept\n<!-- peers:end -->\n\n## How\n\nnew\n",
    );
    expect(keepSection("# New\n", join(dir, "missing.md"), "peers", BEFORE)).toBe("# New\n");
  });
});
