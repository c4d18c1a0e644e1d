// Makes a fresh clone runnable: installs dependencies when node_modules is missing or older than
// the lockfile, then builds the TypeScript project (incremental, so a second run costs little).
import { execSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

const run = (command) => execSync(command, { stdio: "inherit" });
const marker = "node_modules/.package-lock.json";
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync("package-lock.json").mtimeMs;
if (stale) {
  console.log("[bootstrap] installing dependencies (npm ci)");
  run("npm ci --no-audit --no-fund");
}
run("npx tsc -b");
