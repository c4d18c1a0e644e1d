import { defineConfig } from "vitest/config";

/**
 * Three projects:
 * - unit: fast tests on the in-memory StubBroker (and embedded PGlite), run in parallel;
 * - integration: tests against the live RabbitMQ and PostgreSQL, one file at a time;
 * - types: compile-time tests (`*.test-d.ts`) checked by tsc through vitest's typecheck mode.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "packages/*/test/unit/**/*.test.ts",
            "examples/*/test/**/*.test.ts",
            "scripts/test/unit/**/*.test.ts",
          ],
          testTimeout: 15_000,
          // The caller's DATABASE_URL, RABBITMQ_URL, OPS_LLM_* … must not change what unit tests see.
          setupFiles: ["./test-support/unit-env.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["packages/*/test/integration/**/*.test.ts", "scripts/test/integration/**/*.test.ts"],
          testTimeout: 90_000,
          hookTimeout: 60_000,
          // One file at a time: the files share RabbitMQ and PostgreSQL, and some restart connections.
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        test: {
          name: "types",
          include: [],
          typecheck: {
            enabled: true,
            only: true,
            include: ["packages/*/test/types/**/*.test-d.ts"],
            tsconfig: "./tsconfig.test.json",
          },
        },
      },
    ],
  },
});
