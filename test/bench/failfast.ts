/**
 * The fail-fast benchmarks: how long until a broken install says what is wrong. dynamoctl (default grace)
 * against `helm upgrade --install --wait --timeout 60s` of the same chart with the same values, which
 * waits out its whole timeout (600 s by default; 60 s here so the suite stays bearable). The operator has
 * no chart of its own: its peer is a throwaway chart holding exactly what `dynamoctl render` gives for the
 * same values. And a closed port, for the connection errors.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { resolveValues } from '../../src/config/resolve.ts';
import { subchartValues } from '../../src/components/values.ts';
import { defaults } from '../helpers/render.ts';
import type { BenchCase } from './cases.ts';
import type { InstallBench } from './install.ts';

const UNSCHEDULABLE = 'etcd.resources.requests.cpu=500';
const MISSING_IMAGE = 'dynamo-operator.controllerManager.manager.image.repository=registry.example.com/does-not-exist';

let closed: string | undefined;
/** A kubeconfig whose server is a port nothing listens on. */
export function closedPortKubeconfig(): string {
  closed ??= join(mkdtempSync(join(tmpdir(), 'dynamoctl-bench-closed-')), 'kubeconfig');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'closed', cluster: { server: 'https://127.0.0.1:1' } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'closed', context: { cluster: 'closed', user: 'u' } }],
    'current-context': 'closed',
  };
  writeFileSync(closed, stringify(config), { mode: 0o600 });
  return closed;
}

export function failFastCases(env: () => InstallBench, dynamoctl: string): BenchCase[] {
  const etcdValues = (ns: string): string => {
    const values = resolveValues({ defaults, files: [], sets: [{ kind: 'set', expr: UNSCHEDULABLE }], flags: { scope: 'namespace', release: ns, namespace: ns } });
    const file = join(env().dir, `${ns}-etcd.yaml`);
    writeFileSync(file, stringify(subchartValues(values, 'etcd')));
    return file;
  };
  const operatorChart = (ns: string): string => {
    const dir = join(env().dir, `${ns}-chart`);
    mkdirSync(join(dir, 'templates'), { recursive: true });
    writeFileSync(join(dir, 'Chart.yaml'), stringify({ apiVersion: 'v2', name: 'dynamo-operator', version: '0.8.1' }));
    const rendered = execFileSync(process.execPath, [dynamoctl, 'render', '--scope', 'namespace', '--release', ns, '-n', ns, '--include-secrets', '--set', MISSING_IMAGE], { encoding: 'utf8' });
    writeFileSync(join(dir, 'templates', 'operator.yaml'), rendered);
    return dir;
  };
  const helmWait = (release: string, ns: string, chart: string[], values: string[]): string[] =>
    env().helm(['upgrade', '--install', release, ...chart, '-n', ns, '--create-namespace', '--wait', '--timeout', '60s', ...values]);
  return [
    {
      name: 'helm upgrade --install --wait --timeout 60s (etcd, cpu request 500)',
      command: (run) => helmWait(`ffcpu-helm-${run}-etcd`, `ffcpu-helm-${run}`, env().chart('etcd'), ['-f', etcdValues(`ffcpu-helm-${run}`)]),
      exitCode: 1,
    },
    {
      name: 'dynamoctl install: verdict on an unschedulable etcd',
      command: (run) => env().dynamoctl(`ffcpu-${run}`, ['--no-nats', '--set', UNSCHEDULABLE, '--set', 'dynamoctl.timeouts.helm=60s']),
      exitCode: 3,
      peer: 'helm upgrade --install --wait --timeout 60s (etcd, cpu request 500)',
    },
    {
      name: 'helm upgrade --install --wait --timeout 60s (operator, missing image)',
      command: (run) => helmWait(`ffimg-helm-${run}`, `ffimg-helm-${run}`, [operatorChart(`ffimg-helm-${run}`)], []),
      exitCode: 1,
    },
    {
      name: 'dynamoctl install: verdict on an operator image that does not exist',
      command: (run) => env().dynamoctl(`ffimg-${run}`, ['--no-nats', '--no-etcd', '--set', MISSING_IMAGE, '--set', 'dynamoctl.timeouts.rollout=60s']),
      exitCode: 3,
      peer: 'helm upgrade --install --wait --timeout 60s (operator, missing image)',
    },
  ];
}
