/**
 * `dynamoctl uninstall` end to end on the real control plane, with the fixture charts: cluster-wide and
 * namespace mode (also as a namespace admin), custom resources with and without --purge (and a finalizer
 * nobody completes: the kwok "operator" does not run), a second operator that keeps the CRDs, --dry-run,
 * an interrupted uninstall, a record deleted by hand, and an install made with the upstream Helm chart.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cliPath } from '../helpers/cli.ts';
import { DYNAMO_CRDS, installEnvironment, operatorTeamKubeconfig, removeByHand } from './environment.ts';
import { cluster, eventually, helm, kubectl, kubectlOk, uniqueName, yamlStream } from './cluster.ts';
import { installOperator } from './operators.ts';

const env = installEnvironment('uninstall');
const { dynamoctl } = env;

function install(release: string, ns: string, extra: string[] = [], kubeconfig?: string): void {
  const r = dynamoctl(['install', '--release', release, '-n', ns, '--no-nats', '--no-etcd', '--yes', ...extra], kubeconfig);
  expect(r.code, r.stderr).toBe(0);
}

/** Everything still carrying an install's ownership labels, anywhere. */
function labelled(release: string, ns: string): string[] {
  const selector = `app.kubernetes.io/managed-by=dynamoctl,app.kubernetes.io/instance=${release},dynamoctl.nvidia.com/release-namespace=${ns}`;
  const namespaced = kubectlOk(['get', 'serviceaccounts,secrets,services,deployments,roles,rolebindings,configmaps', '-A', '-l', selector, '-o', 'name']);
  const clusterScoped = kubectlOk(['get', 'clusterroles,clusterrolebindings,validatingwebhookconfigurations', '-l', selector, '-o', 'name']);
  return [...namespaced.split('\n'), ...clusterScoped.split('\n')].filter(Boolean);
}

const crdsPresent = (): string[] => kubectlOk(['get', 'crd', '-o', 'name']).split('\n').filter((l) => l.endsWith('.nvidia.com'));

/** The CRDs as a cluster administrator installs them for namespace-mode teams. */
function ensureCrds(): void {
  const pkg = cluster().charts.packages.find((p) => p.name === 'dynamo-crds')!;
  const r = helm(3, ['upgrade', '--install', 'dynamo-crds', pkg.file, '-n', 'default', '--wait', '--take-ownership']);
  expect(r.code, r.stderr).toBe(0);
  for (const crd of DYNAMO_CRDS) kubectlOk(['wait', '--for=condition=Established', `crd/${crd}`, '--timeout=60s']);
}

/** A DynamoGraphDeployment valid against the real 0.8.1 schema: its spec requires no field (services may be empty). */
const graph = (name: string, ns: string, finalizers?: string[]) => ({
  apiVersion: 'nvidia.com/v1alpha1',
  kind: 'DynamoGraphDeployment',
  metadata: { name, namespace: ns, ...(finalizers ? { finalizers } : {}) },
  spec: {},
});


describe('a cluster-wide install with NATS and etcd', () => {
  const release = 'ucw';
  const ns = uniqueName('ucw');
  afterAll(() => removeByHand(release, ns));

  it('is removed completely, volumes included with --delete-data; CRDs stay without --purge', () => {
    const r = dynamoctl(['install', '--release', release, '-n', ns, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    // the etcd StatefulSet's claim, bound by the PV controller before helm's --wait could end
    expect(kubectlOk(['get', 'pvc', `data-${release}-etcd-0`, '-n', ns, '-o', 'jsonpath={.status.phase}'])).toBe('Bound');

    const dry = dynamoctl(['uninstall', '--release', release, '-n', ns, '--delete-data', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(`- delete ValidatingWebhookConfiguration ${release}-dynamo-operator-validating`);
    expect(dry.stderr).toContain(`- delete Deployment ${ns}/${release}-dynamo-operator-controller-manager`);
    expect(dry.stderr).toContain(`- helm uninstall ${release}-nats -n ${ns}`);
    expect(dry.stderr).toContain(`- delete PersistentVolumeClaim ${ns}/data-${release}-etcd-0`);
    expect(dry.stderr).toContain('= keep helm release dynamo-crds in default: the CRDs stay without --purge');
    expect(dry.stderr).toContain('Would uninstall');
    expect(labelled(release, ns).length).toBeGreaterThan(5);

    const unconfirmed = dynamoctl(['uninstall', '--release', release, '-n', ns]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('needs confirmation, and there is no terminal to ask on');
    expect(labelled(release, ns).length).toBeGreaterThan(5);

    const u = dynamoctl(['uninstall', '--release', release, '-n', ns, '--delete-data', '--yes']);
    expect(u.code, u.stderr).toBe(0);
    expect(u.stderr).toMatch(/\[done\] {2}Removing the validating webhook configurations[\s\S]*\[done\] {2}Removing the operator[\s\S]*\[done\] {2}Uninstalling nats, etcd[\s\S]*\[done\] {2}Deleting the NATS and etcd volumes[\s\S]*\[done\] {2}Removing namespace/);
    // the namespace took the record with it
    expect(u.stderr).not.toContain('Removing the install record');
    expect(u.stderr).toContain('nothing of it is left');
    expect(labelled(release, ns)).toEqual([]);
    expect(JSON.parse(helm(3, ['list', '-n', ns, '-a', '-o', 'json']).stdout || '[]')).toEqual([]);
    expect(kubectl(['get', 'namespace', ns]).stderr).toContain('NotFound');
    expect(crdsPresent()).toHaveLength(6);

    const again = dynamoctl(['uninstall', '--release', release, '-n', ns, '--yes']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`no dynamoctl install of release ${release} in namespace ${ns}`);
  });
});

describe('a record deleted by hand', () => {
  const release = 'norecord';
  const ns = uniqueName('norecord');
  afterAll(() => removeByHand(release, ns));

  it('is uninstalled from the ownership labels, saying so', () => {
    install(release, ns);
    kubectlOk(['delete', 'secret', `dynamoctl-install-${release}`, '-n', ns]);
    const u = dynamoctl(['uninstall', '--release', release, '-n', ns, '--yes']);
    expect(u.code, u.stderr).toBe(0);
    expect(u.stderr).toMatch(/no install record; found \d+ objects by their labels/);
    expect(u.stderr).toContain('ownership labels');
    expect(labelled(release, ns)).toEqual([]);
  });
});

describe('custom resources', () => {
  const release = 'ucr';
  const ns = uniqueName('ucr');
  const apps = uniqueName('apps');
  afterAll(() => {
    kubectl(['patch', 'dynamographdeployment', 'stuck', '-n', apps, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    kubectl(['delete', 'namespace', apps, '--wait=false', '--ignore-not-found']);
    removeByHand(release, ns);
  });

  it('survive an uninstall without --purge; --purge stops at a finalizer nobody completes and --force-finalizers completes it', () => {
    ensureCrds();
    kubectlOk(['create', 'namespace', apps]);
    // created before the operator's webhook exists (nothing answers it on kwok)
    kubectlOk(['apply', '-f', '-'], { input: yamlStream([graph('plain', apps), graph('stuck', apps, ['nvidia.com/finalizer'])]) });
    install(release, ns);

    const keep = dynamoctl(['uninstall', '--release', release, '-n', ns, '--yes']);
    expect(keep.code, keep.stderr).toBe(0);
    expect(kubectlOk(['get', 'dynamographdeployments', '-n', apps, '-o', 'name']).split('\n').filter(Boolean).sort()).toEqual(['dynamographdeployment.nvidia.com/plain', 'dynamographdeployment.nvidia.com/stuck']);
    expect(crdsPresent()).toHaveLength(6);

    install(release, ns);
    const stopped = dynamoctl(['uninstall', '--release', release, '-n', ns, '--purge', '--timeout-finalizers', '2s', '--yes']);
    expect(stopped.code, stopped.stderr).toBe(3);
    expect(stopped.stderr).toContain(`dynamographdeployments.nvidia.com ${apps}/stuck (finalizers: nvidia.com/finalizer)`);
    expect(stopped.stderr).toMatch(/Hint: .*--force-finalizers/);
    expect(kubectl(['get', 'dynamographdeployment', 'plain', '-n', apps]).stderr).toContain('NotFound');
    expect(kubectlOk(['get', 'dynamographdeployment', 'stuck', '-n', apps, '-o', 'jsonpath={.metadata.deletionTimestamp}'])).not.toBe('');
    // it stopped before the operator: nothing after that step was removed
    expect(kubectl(['get', 'deployment', `${release}-dynamo-operator-controller-manager`, '-n', ns]).code).toBe(0);
    expect(crdsPresent()).toHaveLength(6);

    const forced = dynamoctl(['uninstall', '--release', release, '-n', ns, '--purge', '--timeout-finalizers', '2s', '--force-finalizers', '--yes']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain('delete 6 Dynamo CRDs (1 custom resource would be lost with them)');
    expect(kubectl(['get', 'dynamographdeployment', 'stuck', '-n', apps]).code).not.toBe(0);
    expect(crdsPresent()).toEqual([]);
    expect(helm(3, ['status', 'dynamo-crds', '-n', 'default']).code).not.toBe(0);
    expect(labelled(release, ns)).toEqual([]);
  });
});

describe('two namespace-mode installs', () => {
  const a = { release: 'teama', ns: uniqueName('teama') };
  const b = { release: 'teamb', ns: uniqueName('teamb') };
  afterAll(() => {
    for (const t of [a, b]) removeByHand(t.release, t.ns);
  });

  it('removing one (with --purge) leaves the other healthy, its custom resources and the CRDs intact', () => {
    ensureCrds();
    kubectlOk(['create', 'namespace', b.ns]);
    kubectlOk(['apply', '-f', '-'], { input: yamlStream([graph('theirs', b.ns)]) });
    kubectlOk(['create', 'namespace', a.ns]);
    kubectlOk(['apply', '-f', '-'], { input: yamlStream([graph('ours', a.ns)]) });
    for (const t of [a, b]) install(t.release, t.ns, ['--scope', 'namespace']);

    const u = dynamoctl(['uninstall', '--release', a.release, '-n', a.ns, '--purge', '--yes', '-o', 'json']);
    expect(u.code, u.stderr).toBe(0);
    const events = u.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.at(-1)).toMatchObject({ event: 'result', release: a.release, namespace: a.ns, scope: 'namespace', source: 'record', dryRun: false, leftovers: [] });
    expect(events.some((e) => e.event === 'step' && e.title === 'Deleting the Dynamo custom resources' && e.status === 'done')).toBe(true);
    expect(kubectl(['get', 'dynamographdeployment', 'ours', '-n', a.ns]).stderr).toContain('NotFound');
    expect(labelled(a.release, a.ns)).toEqual([]);
    // the namespace existed before the install: kept
    expect(kubectl(['get', 'namespace', a.ns]).code).toBe(0);

    expect(kubectl(['get', 'dynamographdeployment', 'theirs', '-n', b.ns]).code).toBe(0);
    expect(crdsPresent()).toHaveLength(6);
    const status = dynamoctl(['status', '--release', b.release, '-n', b.ns]);
    expect(status.code, status.stdout).toBe(0);
  });
});

describe('--purge with another operator in the cluster', () => {
  const release = 'upurge';
  const ns = uniqueName('upurge');
  const other = { release: 'other', namespace: uniqueName('other'), scope: 'namespace' as const };
  let removeOther = (): void => {};
  afterAll(() => {
    removeOther();
    kubectl(['delete', 'namespace', other.namespace, '--wait=false', '--ignore-not-found']);
    removeByHand(release, ns);
  });

  it('is refused, changing nothing and keeping the CRDs; without --purge the uninstall goes ahead', () => {
    ensureCrds();
    install(release, ns);
    removeOther = installOperator(other, 'dynamoctl');
    const refused = dynamoctl(['uninstall', '--release', release, '-n', ns, '--purge', '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`another Dynamo operator remains: other in ${other.namespace}`);
    expect(refused.stderr).toMatch(/Hint: the CRDs are kept/);
    expect(crdsPresent()).toHaveLength(6);
    expect(kubectl(['get', 'deployment', `${release}-dynamo-operator-controller-manager`, '-n', ns]).code).toBe(0);

    const u = dynamoctl(['uninstall', '--release', release, '-n', ns, '--yes']);
    expect(u.code, u.stderr).toBe(0);
    expect(labelled(release, ns)).toEqual([]);
    expect(labelled(other.release, other.namespace).length).toBeGreaterThan(0);
    expect(crdsPresent()).toHaveLength(6);
  });
});

describe('a namespace admin', () => {
  it('uninstalls their namespace-only install (cluster-scoped lists forbidden)', () => {
    ensureCrds();
    const ns = uniqueName('bob-team');
    const kubeconfig = operatorTeamKubeconfig(uniqueName('bob'), ns);
    try {
      install('bob', ns, ['--scope', 'namespace', '--namespace-only'], kubeconfig);
      const u = dynamoctl(['uninstall', '--release', 'bob', '-n', ns, '--yes'], kubeconfig);
      expect(u.code, u.stderr).toBe(0);
      expect(labelled('bob', ns)).toEqual([]);
      expect(crdsPresent()).toHaveLength(6);
    } finally {
      removeByHand('bob', ns);
    }
  });
});

describe('an interrupted uninstall', () => {
  const release = 'uintr';
  const ns = uniqueName('uintr');
  afterAll(() => removeByHand(release, ns));

  it('completes when run again', async () => {
    ensureCrds();
    install(release, ns, ['--scope', 'namespace']);
    const args = ['uninstall', '--release', release, '-n', ns, '--yes', '--kubeconfig', cluster().kubeconfig, '--helm-binary', cluster().binaries.helm3];
    const code = await new Promise<number | null>((resolve) => {
      // its own process group, so the kill takes helm down too
      const child = spawn(process.execPath, [cliPath, ...args], { detached: true, stdio: 'ignore', env: { ...process.env, ...cluster().helmEnv } });
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 1000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code === null || code === 0).toBe(true);
    if (code === null) {
      // the killed run's lock lapses within 30 s; the re-run waits its turn
      const again = dynamoctl(['uninstall', '--release', release, '-n', ns, '--yes']);
      expect([0, 2], again.stderr).toContain(again.code);
      if (again.code === 2) expect(again.stderr).toContain('no dynamoctl install');
    }
    await eventually('no labelled leftovers', () => labelled(release, ns).length === 0, 10_000);
  });
});

describe('an install made with the upstream Helm chart', () => {
  it('is recognised and left to helm, with the exact commands (and adopt)', () => {
    ensureCrds();
    const spec = { release: 'upstream', namespace: uniqueName('upstream'), scope: 'cluster' as const };
    const remove = installOperator(spec, 'helm-chart');
    try {
      const r = dynamoctl(['uninstall', '--release', spec.release, '-n', spec.namespace, '--yes']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`release upstream in ${spec.namespace} was installed with the dynamo-platform Helm chart, not with dynamoctl`);
      expect(r.stderr).toContain(`Hint: to manage it with dynamoctl first: dynamoctl adopt --release upstream -n ${spec.namespace}; to remove it with helm: helm uninstall upstream -n ${spec.namespace}; then, for the CRDs (only when no other Dynamo operator remains): helm uninstall dynamo-crds -n default`);
      expect(kubectl(['get', 'deployment', '-n', spec.namespace, '-o', 'name']).stdout).toContain('dynamo-operator');
    } finally {
      remove();
      kubectl(['delete', 'namespace', spec.namespace, '--wait=false', '--ignore-not-found']);
    }
  });
});
