/**
 * vitest global setup of the integration project: one real control plane per test run, shared by every
 * test file (each test works in namespaces of its own). If it cannot start, the run fails with the reason;
 * nothing is skipped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureBinaries, startCluster, stopCluster, type ClusterInfo } from './control-plane.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ClusterInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'dynamoctl-cluster-'));
  const info = await startCluster({ dir, detached: false, log: (l) => process.stderr.write(`${l}\n`) });
  process.stderr.write(`cluster: ready in ${info.timings.total}s at ${info.server}\n`);
  project.provide('cluster', info);
  return async () => {
    const peak = await stopCluster(info);
    process.stderr.write(`cluster: stopped; peak RSS of its processes together ≤ ${peak.toFixed(0)} MiB\n`);
    if (!process.env.DYNAMOCTL_KEEP_CLUSTER_DIR) rmSync(dir, { recursive: true, force: true });
  };
}
