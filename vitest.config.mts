import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "runner-instrumentation/test/**/*.test.ts", "spec-server/test/**/*.test.ts"],
    // The wrapper's tests run the shipped bundle: built here, once, when its inputs changed.
    globalSetup: ["runner-instrumentation/test/bundleSetup.ts"],
    // Each infra test file evaluates the Pulumi program under mocks; keep them in separate
    // workers so one file's module state never leaks into another's.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
