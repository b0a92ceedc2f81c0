import { defineConfig } from 'vitest/config';

// Projects: fast pure tests; whole-process/package tests that spawn the built CLI; and integration tests
// against one real local control plane per run (test/cluster/global-setup.ts).
export default defineConfig({
  test: {
    // CI also writes a JSON summary, from which .ci/run prints the plain "N passed, N failed" line
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.test-results.json' }]] : ['default'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'package', include: ['test/package/**/*.test.ts'], testTimeout: 180_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/cluster/global-setup.ts'],
          // one control plane, cluster-scoped objects (CRDs) shared: files run one after another
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
