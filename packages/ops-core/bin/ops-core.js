#!/usr/bin/env node
// The `ops-core` executable. npm links a workspace's bins at install time, before `dist/` is built, so the
// link points at this committed file, which loads the built CLI.
import { existsSync } from "node:fs";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  console.error("ops-core: not built: dist/cli/main.js is missing; run `npm run build` first");
  process.exit(1);
}
await import(main.href);
