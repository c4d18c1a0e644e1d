import { defineConfig } from "vitest/config";

/**
 * The cluster tests: against the local three-node RabbitMQ cluster of
 * `scripts/rabbitmq-cluster.sh`, which `npm run test:cluster` starts (and stops) around them.
 * Kept out of `vitest.config.ts`, so `npm test` never needs the cluster. One file at a time:
 * they kill and restart the cluster's nodes.
 */
export default defineConfig({
  test: {
    name: "cluster",
    include: ["packages/*/test/cluster/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    poolOptions: { forks: { singleFork: true } },
  },
});
