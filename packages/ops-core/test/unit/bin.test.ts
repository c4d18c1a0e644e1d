/** The `ops-core` bin works before and after the build (see test-support/bin-contract.ts). */
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { describeBin } from "../../../../test-support/bin-contract.js";

describeBin({
  packageDir: fileURLToPath(new URL("../../", import.meta.url)),
  name: "ops-core",
  args: ["--help"],
  expectStdout: (stdout) => expect(stdout).toContain("Usage: ops-core"),
});
