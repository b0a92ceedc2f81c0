import { defineConfig } from 'vitest/config';

// Projects: fast pure tests; whole-process/package tests that spawn the built CLI; and integration tests
// against one real local control plane per run (test/cluster/global-setup.ts).
export default defineConfig({
  test: {
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
