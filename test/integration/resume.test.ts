/**
 * Interrupted installs: runs killed at seeded random points (SIGKILL to the whole process group, helm
 * included) leave a state the next install completes, converging to exactly what a clean install creates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, runCli } from '../helpers/cli.ts';
import { defaultStorageClass, writeChartSources } from '../helpers/fixtures.ts';
import { cluster, helm, kubectl, kubectlOk, uniqueName, yamlStream } from './cluster.ts';
import { removeByHand } from './environment.ts';

const work = mkdtempSync(join(tmpdir(), 'dynamoctl-resume-'));
const STORAGE_CLASS = defaultStorageClass('resume-test-default');
let chartValues = '';

beforeAll(() => {
  chartValues = writeChartSources(join(work, 'charts.yaml'), cluster().charts.httpRepo);
  kubectlOk(['apply', '--server-side', '-f', '-'], { input: yamlStream([STORAGE_CLASS]) });
  // namespace mode needs the CRDs; an administrator installed them
  const pkg = cluster().charts.packages.find((p) => p.name === 'dynamo-crds')!;
  const r = helm(3, ['upgrade', '--install', 'dynamo-crds', pkg.file, '-n', 'default', '--wait', '--take-ownership']);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => {
  helm(3, ['uninstall', 'dynamo-crds', '-n', 'default', '--wait']);
  kubectl(['delete', 'storageclass', STORAGE_CLASS.metadata.name, '--ignore-not-found']);
});

const args = (release: string, ns: string): string[] => ['install', '--scope', 'namespace', '--release', release, '-n', ns, '--yes', '-f', chartValues, '--kubeconfig', cluster().kubeconfig, '--helm-binary', cluster().binaries.helm3];

/** Everything an install owns, with its release and namespace replaced, so two installs compare. */
function inventory(release: string, ns: string): string[] {
  // the namespace first: its generated name contains the release name
  const norm = (s: string): string => s.replaceAll(ns, '<ns>').replaceAll(release, '<release>');
  const owned = kubectlOk([
    'get',
    'serviceaccounts,secrets,services,deployments,statefulsets,configmaps,roles,rolebindings',
    '-n',
    ns,
    '-o',
    'jsonpath={range .items[?(@.metadata.labels.app\\.kubernetes\\.io/instance)]}{.kind}/{.metadata.name}{"\\n"}{end}',
  ]);
  const cluster_ = kubectlOk(['get', 'clusterroles,clusterrolebindings,validatingwebhookconfigurations', '-l', `app.kubernetes.io/instance=${release}`, '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}{"\\n"}{end}']);
  const releases = (JSON.parse(helm(3, ['list', '-n', ns, '-a', '-o', 'json']).stdout) as { name: string; status: string }[]).map((r) => `helm/${r.name}/${r.status}`);
  return [...owned.split('\n'), ...cluster_.split('\n'), ...releases].filter(Boolean).map(norm).sort();
}

/** A deterministic pseudo-random sequence, so a failing seed can be replayed. */
function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

function killedInstall(release: string, ns: string, afterMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    // its own process group, so the kill also takes helm down mid-operation, as a closed terminal would
    const child = spawn(process.execPath, [cliPath, ...args(release, ns)], { detached: true, stdio: 'ignore', env: { ...process.env, ...cluster().helmEnv } });
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), afterMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('interrupted installs', () => {
  const base = { release: 'clean', ns: uniqueName('clean') };
  const resumed = { release: 'killed', ns: uniqueName('killed') };
  afterAll(() => {
    // the operators go first and for good: later files (check) must find no Dynamo operator
    for (const { release, ns } of [base, resumed]) removeByHand(release, ns);
  });

  it('10 runs killed at random points, then one more install, converge to the inventory of a clean install', async () => {
    const clean = runCli(args(base.release, base.ns), { env: cluster().helmEnv });
    expect(clean.code, clean.stderr).toBe(0);
    const expected = inventory(base.release, base.ns);
    expect(expected.length).toBeGreaterThan(15);

    const random = seeded(20261126);
    const delays: number[] = [];
    for (let run = 0; run < 10; run++) {
      const delay = Math.round(300 + random() * 5500);
      delays.push(delay);
      await killedInstall(resumed.release, resumed.ns, delay);
      // a killed run cannot release its lock; clearing it is the documented way out (else it lapses in 30s)
      kubectl(['delete', 'lease', 'dynamoctl-install-lock', '-n', 'default', '--ignore-not-found']);
    }
    const final = runCli(args(resumed.release, resumed.ns), { env: cluster().helmEnv });
    expect(final.code, `kill delays ${delays.join(',')}ms\n${final.stderr}`).toBe(0);
    expect(inventory(resumed.release, resumed.ns), `kill delays ${delays.join(',')}ms`).toEqual(expected);
    const status = runCli(['status', '--release', resumed.release, '-n', resumed.ns, '--kubeconfig', cluster().kubeconfig, '--helm-binary', cluster().binaries.helm3], { env: cluster().helmEnv });
    expect(status.code, status.stdout).toBe(0);
  });
});
