/**
 * `dynamoctl install` and `status` end to end on the real control plane, with the fixture charts from the
 * loopback HTTP repository: cluster-wide and namespace mode (as a namespace admin), re-runs, upgrades with
 * pruning, refusals, and concurrent installs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, runCli, type CliResult } from '../helpers/cli.ts';
import { writeChartSources } from '../helpers/fixtures.ts';
import { installEnvironment, operatorTeamKubeconfig, removeByHand } from './environment.ts';
import { operatorObjects } from './operators.ts';
import { cluster, helm, kubectl, kubectlOk, uniqueName, yamlStream } from './cluster.ts';

const env = installEnvironment('install');
const { work, common, dynamoctl } = env;


describe('a cluster-wide install', () => {
  const release = 'cw';
  const ns = uniqueName('dynamo');
  afterAll(() => removeByHand(release, ns));

  it('plans with --dry-run and changes nothing', () => {
    const r = dynamoctl(['install', '--release', release, '-n', ns, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`\\+ create Deployment ${ns}/${release}-dynamo-operator-controller-manager`));
    expect(r.stderr).toContain('Would install Dynamo platform as release cw');
    expect(kubectl(['get', 'namespace', ns]).stderr).toContain('NotFound');
  });

  it('refuses to change a cluster without a terminal unless --yes, changing nothing', () => {
    const r = dynamoctl(['install', '--release', release, '-n', ns]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs confirmation, and there is no terminal to ask on\nHint: review the plan \(--dry-run\) and pass --yes/);
    expect(kubectl(['get', 'namespace', ns]).stderr).toContain('NotFound');
  });

  it('installs CRDs, NATS, etcd and the operator, and status reports it healthy', () => {
    const r = dynamoctl(['install', '--release', release, '-n', ns, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[done\] {2}Waiting for the operator/);
    const status = dynamoctl(['status', '--release', release, '-n', ns, '-o', 'json']);
    expect(status.code, status.stdout).toBe(0);
    const s = JSON.parse(status.stdout) as { healthy: boolean; phase: string; scope: string; components: { name: string; healthy: boolean }[] };
    expect(s).toMatchObject({ healthy: true, phase: 'installed', scope: 'cluster' });
    expect(s.components.map((c) => c.name)).toEqual(['operator', 'dynamo-crds', 'nats', 'etcd', 'crds']);
    expect(kubectlOk(['get', 'statefulsets', '-n', ns, '-o', 'name']).split('\n').filter(Boolean).sort()).toEqual([`statefulset.apps/${release}-etcd`, `statefulset.apps/${release}-nats`]);
    const args = kubectlOk(['get', 'deployment', `${release}-dynamo-operator-controller-manager`, '-n', ns, '-o', 'jsonpath={.spec.template.spec.containers[1].args}']);
    expect(args).toContain(`--natsAddr=nats://${release}-nats.${ns}.svc.cluster.local:4222`);
  });

  it('changes nothing when re-run with the same values', () => {
    const before = kubectlOk(['get', 'deployment,service,serviceaccount,role,rolebinding', '-n', ns, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'jsonpath={range .items[*]}{.metadata.resourceVersion}{" "}{end}']);
    const r = dynamoctl(['install', '--release', release, '-n', ns, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/= \d+ objects unchanged/);
    expect(r.stderr).not.toMatch(/^\s+[+~!-] (create|update|prune|conflict) /m);
    expect(kubectlOk(['get', 'deployment,service,serviceaccount,role,rolebinding', '-n', ns, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'jsonpath={range .items[*]}{.metadata.resourceVersion}{" "}{end}'])).toBe(before);
  });

  it('upgrades a changed value and prunes what is no longer rendered', () => {
    const changed = dynamoctl(['install', '--release', release, '-n', ns, '--yes', '--set', 'dynamo-operator.webhook.failurePolicy=Ignore']);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stderr).toContain(`~ update ValidatingWebhookConfiguration ${release}-dynamo-operator-validating`);
    expect(kubectlOk(['get', 'validatingwebhookconfiguration', `${release}-dynamo-operator-validating`, '-o', 'jsonpath={.webhooks[0].failurePolicy}'])).toBe('Ignore');
    const pruned = dynamoctl(['install', '--release', release, '-n', ns, '--yes', '--set', 'dynamo-operator.webhook.enabled=false']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stderr).toContain(`- prune ValidatingWebhookConfiguration ${release}-dynamo-operator-validating`);
    expect(kubectl(['get', 'validatingwebhookconfiguration', `${release}-dynamo-operator-validating`]).stderr).toContain('NotFound');
    expect(dynamoctl(['status', '--release', release, '-n', ns]).code).toBe(0);
  });

  it('reports drift in status and restores it on the next install', () => {
    kubectlOk(['delete', 'serviceaccount', `${release}-dynamo-operator-component`, '-n', ns]);
    const status = dynamoctl(['status', '--release', release, '-n', ns]);
    expect(status.code).toBe(3);
    expect(status.stdout).toContain(`missing: ServiceAccount ${ns}/${release}-dynamo-operator-component`);
    expect(dynamoctl(['install', '--release', release, '-n', ns, '--yes', '--set', 'dynamo-operator.webhook.enabled=false']).code).toBe(0);
    expect(dynamoctl(['status', '--release', release, '-n', ns]).code).toBe(0);
  });

  it('refuses a downgrade', () => {
    const secret = JSON.parse(kubectlOk(['get', 'secret', `dynamoctl-install-${release}`, '-n', ns, '-o', 'json'])) as { data: Record<string, string> };
    const record = JSON.parse(Buffer.from(secret.data['record.json']!, 'base64').toString()) as Record<string, unknown>;
    const newer = Buffer.from(JSON.stringify({ ...record, platformVersion: '9.9.9' })).toString('base64');
    kubectlOk(['patch', 'secret', `dynamoctl-install-${release}`, '-n', ns, '--type', 'merge', '-p', JSON.stringify({ data: { 'record.json': newer } })]);
    const r = dynamoctl(['install', '--release', release, '-n', ns, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/runs Dynamo platform 9\.9\.9; this dynamoctl installs 0\.8\.1, an older version\nHint: downgrades are refused/);
  });
});

/** Runs installs in parallel as separate processes and collects their results. */
function concurrently(runs: string[][], kubeconfigs: string[]): Promise<CliResult[]> {
  return Promise.all(
    runs.map(
      (args, i) =>
        new Promise<CliResult>((resolve) => {
          const child = spawn(process.execPath, [cliPath, ...args, '--kubeconfig', kubeconfigs[i] ?? cluster().kubeconfig, ...common(args)], { env: { ...process.env, ...cluster().helmEnv } });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          child.on('close', (code) => resolve({ code, stdout, stderr }));
        }),
    ),
  );
}

describe('concurrent installs', () => {
  it('8 cluster-wide installs: exactly one succeeds, the rest exit with the conflict and leave nothing behind', async () => {
    const racers = Array.from({ length: 8 }, (_, i) => ({ release: `race${i}`, ns: uniqueName(`race${i}`) }));
    const results = await concurrently(
      racers.map((r) => ['install', '--release', r.release, '-n', r.ns, '--no-nats', '--no-etcd', '--yes']),
      [],
    );
    try {
      const winners = results.filter((r) => r.code === 0);
      expect(winners, results.map((r) => r.stderr.slice(-300)).join('\n---\n')).toHaveLength(1);
      for (const loser of results.filter((r) => r.code !== 0)) {
        expect(loser.code, loser.stderr).toBe(5);
        expect(loser.stderr).toMatch(/multiple cluster managers/);
      }
      const winner = racers[results.findIndex((r) => r.code === 0)]!;
      for (const r of racers.filter((x) => x !== winner)) {
        expect(kubectl(['get', 'namespace', r.ns]).stderr, `${r.ns} was created`).toContain('NotFound');
        expect(kubectlOk(['get', 'clusterroles', '-l', `app.kubernetes.io/instance=${r.release}`, '-o', 'name']).trim()).toBe('');
      }
    } finally {
      for (const r of racers) removeByHand(r.release, r.ns);
    }
  });

  it('8 namespace-mode installs into 8 namespaces all succeed', async () => {
    const racers = Array.from({ length: 8 }, (_, i) => ({ release: `team${i}`, ns: uniqueName(`team${i}`) }));
    const results = await concurrently(
      racers.map((r) => ['install', '--scope', 'namespace', '--release', r.release, '-n', r.ns, '--no-nats', '--no-etcd', '--yes']),
      [],
    );
    try {
      expect(results.map((r) => r.code), results.map((r) => r.stderr.slice(-300)).join('\n---\n')).toEqual(racers.map(() => 0));
      for (const r of racers) expect(dynamoctl(['status', '--release', r.release, '-n', r.ns]).code).toBe(0);
    } finally {
      for (const r of racers) removeByHand(r.release, r.ns);
    }
  });
});

describe('an air-gapped install', () => {
  it('installs from a bundle directory with the chart servers stopped and every repository unreachable', () => {
    const dir = join(work, 'bundle');
    const bundled = runCli(['bundle', dir, '-f', env.chartValues(), '--helm-binary', cluster().binaries.helm3], { env: cluster().helmEnv });
    expect(bundled.code, bundled.stderr).toBe(0);
    // nothing listens on 127.0.0.1:1: only the bundle can provide the charts
    const offline = writeChartSources(join(work, 'offline.yaml'), 'http://127.0.0.1:1');
    const ns = uniqueName('airgap');
    // the loopback chart repository and OCI registry are paused for the whole install
    const servers = cluster().processes.filter((p) => p.name === 'chart-repo' || p.name === 'registry');
    expect(servers).toHaveLength(2);
    for (const s of servers) process.kill(s.pid, 'SIGSTOP');
    try {
      const r = runCli(['install', '--release', 'airgap', '-n', ns, '-f', offline, '--charts', dir, '--yes', '--kubeconfig', cluster().kubeconfig, '--helm-binary', cluster().binaries.helm3], { env: cluster().helmEnv });
      expect(r.code, r.stderr).toBe(0);
      expect(dynamoctl(['status', '--release', 'airgap', '-n', ns]).code).toBe(0);
    } finally {
      for (const s of servers) process.kill(s.pid, 'SIGCONT');
      removeByHand('airgap', ns);
    }
  });
});

describe('a namespace admin', () => {
  it('installs in namespace-only mode into their namespace (CRDs installed by the admin) and reads its status', () => {
    const ns = uniqueName('alice-team');
    const kubeconfig = operatorTeamKubeconfig(uniqueName('alice'), ns);
    try {
      // the cluster admin installs the CRDs (the same helm release a cluster-wide install uses)
      const pkg = cluster().charts.packages.find((p) => p.name === 'dynamo-crds')!;
      const crds = helm(3, ['upgrade', '--install', 'dynamo-crds', pkg.file, '-n', 'default', '--wait', '--take-ownership']);
      expect(crds.code, crds.stderr).toBe(0);
      const r = dynamoctl(['install', '--scope', 'namespace', '--namespace-only', '--release', 'alice', '-n', ns, '--yes'], kubeconfig);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('ClusterRole');
      const status = dynamoctl(['status', '--release', 'alice', '-n', ns, '-o', 'json'], kubeconfig);
      expect(status.code, status.stdout).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ healthy: true, scope: 'namespace', targetNamespace: ns });
    } finally {
      removeByHand('alice', ns);
    }
  });
});

describe('a release the upstream Helm chart installed', () => {
  it('is refused (exit 2) naming it, and nothing is changed: no takeover of what helm owns', () => {
    const ns = uniqueName('helm-owned');
    // a real helm release holding chart-shaped operator objects, as `helm install acme dynamo-platform` leaves
    const chart = join(work, 'acme-chart');
    mkdirSync(join(chart, 'templates'), { recursive: true });
    writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: dynamo-platform\nversion: 0.8.1\n');
    const objects = operatorObjects({ release: 'acme', namespace: ns, scope: 'namespace' }, 'helm-chart').map((o) => ({ ...o, metadata: { ...o.metadata, annotations: {} } }));
    writeFileSync(join(chart, 'templates', 'operator.yaml'), yamlStream(objects).replace(/\{\{/g, '{{ "{{" }}'));
    const installed = helm(3, ['install', 'acme', chart, '-n', ns, '--create-namespace']);
    expect(installed.code, installed.stderr).toBe(0);
    const remove = () => helm(3, ['uninstall', 'acme', '-n', ns]);
    try {
      const before = kubectlOk(['get', 'serviceaccounts,roles,rolebindings,deployments', '-n', ns, '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}']);
      const r = dynamoctl(['install', '--scope', 'namespace', '--release', 'acme', '-n', ns, '--no-nats', '--no-etcd', '--yes']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`release acme in ${ns} was installed with the dynamo-platform Helm chart and is managed by helm`);
      expect(kubectlOk(['get', 'serviceaccounts,roles,rolebindings,deployments', '-n', ns, '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}'])).toBe(before);
      expect(kubectl(['get', 'secret', 'dynamoctl-install-acme', '-n', ns]).code).not.toBe(0);
    } finally {
      remove();
      kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
    }
  });
});
