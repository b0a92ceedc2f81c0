import { defineConfig } from 'vitest/config';

// Two projects: fast pure tests, and whole-process/package tests that spawn the built CLI.
// The integration project (real control plane) is added by test/cluster's global setup.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'package', include: ['test/package/**/*.test.ts'], testTimeout: 180_000 } },
    ],
  },
});
