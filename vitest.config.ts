import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // The Pulumi runtime keeps its state in a process-wide store: each test file gets its own
    // process so mock-monitor runs never see another file's resources.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
