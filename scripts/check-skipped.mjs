// Run after `npm test` (posttest): with CI set, an integration test that was skipped fails the
// run, whatever skipped it (a service that did not answer, a `skipIf`, a `context.skip()`).
// Reads the JSON report vitest wrote to .vitest-results.json.
import { readFileSync } from "node:fs";
import { relative } from "node:path";

if (!process.env.CI) process.exit(0);
const report = JSON.parse(readFileSync(".vitest-results.json", "utf8"));
const skipped = [];
for (const file of report.testResults) {
  const path = relative(process.cwd(), file.name);
  if (!/^(packages\/[^/]+\/|scripts\/)test\/integration\//.test(path)) continue;
  for (const test of file.assertionResults) {
    if (test.status !== "passed" && test.status !== "failed") skipped.push(`${path} › ${test.fullName}`);
  }
}
if (skipped.length > 0) {
  console.error(`[posttest] CI is set and ${skipped.length} integration test(s) did not run:`);
  for (const line of skipped) console.error(`  ${line}`);
  process.exit(1);
}
console.log("[posttest] every integration test ran (CI)");
