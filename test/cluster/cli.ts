/**
 * `npm run cluster:up` / `npm run cluster:down`: the test control plane for people. State lives in
 * .cluster/ (git-ignored); the processes keep running after `up` returns, until `down`.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBinaries, startCluster, stopCluster, type ClusterInfo } from './control-plane.ts';
import { isAlive } from './processes.ts';

const dir = join(fileURLToPath(new URL('../../', import.meta.url)), '.cluster');
const stateFile = join(dir, 'cluster.json');
const running = (): ClusterInfo | undefined => {
  if (!existsSync(stateFile)) return undefined;
  return JSON.parse(readFileSync(stateFile, 'utf8')) as ClusterInfo;
};

function usage(info: ClusterInfo): string {
  return [
    `export KUBECONFIG=${info.kubeconfig}`,
    ...Object.entries(info.helmEnv).map(([k, v]) => `export ${k}=${v}`),
    `export PATH=${join(info.binaries.kubectl, '..')}:${join(info.binaries.helm3, '..')}:$PATH`,
    `# chart repository: ${info.charts.httpRepo}   OCI: ${info.charts.ociRepo} (--plain-http)`,
    `# stop with: npm run cluster:down`,
  ].join('\n');
}

async function up(): Promise<void> {
  const existing = running();
  if (existing?.processes.every((p) => isAlive(p.pid))) {
    process.stderr.write('cluster: already running\n');
    process.stdout.write(`${usage(existing)}\n`);
    return;
  }
  if (existing) await down();
  ensureBinaries();
  const info = await startCluster({ dir, detached: true, log: (l) => process.stderr.write(`${l}\n`) });
  process.stderr.write(`cluster: ready in ${info.timings.total}s (Kubernetes v${info.versions.kubernetes}, 2 kwok nodes)\n`);
  process.stdout.write(`${usage(info)}\n`);
}

async function down(): Promise<void> {
  const info = running();
  if (!info) {
    process.stderr.write('cluster: nothing running\n');
    return;
  }
  const peak = await stopCluster(info);
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`cluster: stopped ${info.processes.length} processes (peak RSS together ≤ ${peak.toFixed(0)} MiB)\n`);
}

const command = process.argv[2];
if (command === 'up') await up();
else if (command === 'down') await down();
else {
  process.stderr.write('usage: node test/cluster/cli.ts up|down\n');
  process.exitCode = 2;
}
