/**
 * Ownership on the real control plane: two namespace-mode releases in one namespace (allowed by the
 * conflict matrix, refused here because the chart names some objects without the release, as helm
 * refuses it), in both orders; removing one release never removes what the other uses; a read-only user
 * runs status; `--no-nats` on an upgrade plans, shows and removes the NATS release.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { restrictedKubeconfig } from '../cluster/control-plane.ts';
import { cluster, helm, kubectl, kubectlOk, uniqueName, yamlStream } from './cluster.ts';
import { installCrdsByHand, installEnvironment, removeByHand } from './environment.ts';

const env = installEnvironment('ownership');
const shared = uniqueName('shared');
const [t1, t2] = [uniqueName('t1'), uniqueName('t2')];
const nsInstall = (release: string, target: string, extra: string[] = []): string[] => [
  'install', '--release', release, '-n', shared, '--scope', 'namespace', '--set', `dynamo-operator.namespaceRestriction.targetNamespace=${target}`, '--no-nats', '--no-etcd', '--yes', ...extra,
];
const recordOf = (release: string, ns: string): Record<string, unknown> | undefined => {
  const r = kubectl(['get', 'secret', `dynamoctl-install-${release}`, '-n', ns, '-o', 'jsonpath={.data.record\\.json}']);
  return r.code === 0 && r.stdout ? (JSON.parse(Buffer.from(r.stdout, 'base64').toString('utf8')) as Record<string, unknown>) : undefined;
};
const ownedBy = (release: string): string[] =>
  kubectlOk(['get', 'serviceaccounts,secrets,roles,rolebindings,deployments', '-n', shared, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name']).split('\n').filter(Boolean).sort();

afterAll(() => {
  for (const r of ['first', 'second']) removeByHand(r, shared);
  kubectl(['delete', 'namespace', t1, t2, '--wait=false', '--ignore-not-found']);
});

describe('two releases in one namespace', () => {
  it('refuses the second before anything changes, naming the first, in either order; removing one leaves nothing of the other behind', () => {
    kubectlOk(['create', 'namespace', t1]);
    kubectlOk(['create', 'namespace', t2]);
    // the CRDs (namespace mode never installs them)
    installCrdsByHand();

    const first = env.dynamoctl(nsInstall('first', t1));
    expect(first.code, first.stderr).toBe(0);
    const before = ownedBy('first');
    expect(before).toContain('serviceaccount/dgdr-profiling-job');

    const second = env.dynamoctl(nsInstall('second', t2));
    expect(second.code).toBe(5);
    expect(second.stderr).toMatch(/release first in \S+ already has 9 objects this install needs \(ServiceAccount dgdr-profiling-job/);
    expect(second.stderr).toContain(`two releases cannot share namespace ${shared}`);
    // nothing changed: no record, no object of the second, the first's objects still the first's
    expect(recordOf('second', shared)).toBeUndefined();
    expect(ownedBy('second')).toEqual([]);
    expect(ownedBy('first')).toEqual(before);
    expect(kubectl(['get', 'role', '-n', t2, '-o', 'name']).stdout).toBe('');
    const status = env.dynamoctl(['status', '--release', 'first', '-n', shared]);
    expect(status.code, status.stdout).toBe(0);

    // the other order: the first goes, the second comes, and now the first is the one refused
    const gone = env.dynamoctl(['uninstall', '--release', 'first', '-n', shared, '--yes']);
    expect(gone.code, gone.stderr).toBe(0);
    kubectl(['create', 'namespace', shared]); // the uninstall removed the namespace it created
    const now = env.dynamoctl(nsInstall('second', t2));
    expect(now.code, now.stderr).toBe(0);
    const again = env.dynamoctl(nsInstall('first', t1));
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(/release second in \S+ already has 9 objects/);
    const healthy = env.dynamoctl(['status', '--release', 'second', '-n', shared]);
    expect(healthy.code, healthy.stdout).toBe(0);
    expect(healthy.stdout).toContain('0 missing, 0 changed');
  });

  it('lets a user who may only get and list run status', () => {
    const user = 'read-only-viewer';
    const kubeconfig = restrictedKubeconfig(cluster(), user, uniqueName('viewer-home'));
    const rbac = 'rbac.authorization.k8s.io';
    kubectlOk(['apply', '--server-side', '-f', '-'], {
      input: yamlStream([
        { apiVersion: `${rbac}/v1`, kind: 'ClusterRole', metadata: { name: 'get-list-everything' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list'] }] },
        { apiVersion: `${rbac}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'get-list-everything' }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'get-list-everything' }, subjects: [{ apiGroup: rbac, kind: 'User', name: user }] },
      ]),
    });
    // the user really may not write (so a dry-run apply would fail)
    expect(kubectl(['auth', 'can-i', 'patch', 'deployments', '-n', shared, '--as', user]).stdout.trim()).toBe('no');
    const status = env.dynamoctl(['status', '--release', 'second', '-n', shared], kubeconfig);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('Healthy.');
    kubectl(['delete', 'clusterrolebinding,clusterrole', 'get-list-everything']);
  });
});

describe('--no-nats on an upgrade', () => {
  const ns = uniqueName('nonats');
  afterAll(() => removeByHand('nonats', ns));

  it('plans the removal of the NATS release, shows it, and removes it', () => {
    const args = ['install', '--release', 'nonats', '-n', ns, '--scope', 'namespace', '--no-etcd'];
    const installed = env.dynamoctl([...args, '--yes']);
    expect(installed.code, installed.stderr).toBe(0);
    expect(helm(3, ['status', 'nonats-nats', '-n', ns]).code).toBe(0);

    const planned = env.dynamoctl([...args, '--no-nats', '--dry-run', '-o', 'json']);
    expect(planned.code, planned.stderr).toBe(0);
    const plan = planned.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; plan?: { helm: { action: string; release: string }[] } }).find((e) => e.event === 'plan')?.plan;
    expect(plan?.helm).toContainEqual(expect.objectContaining({ action: 'remove', release: 'nonats-nats' }));

    const upgraded = env.dynamoctl([...args, '--no-nats', '--yes']);
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(upgraded.stderr).toContain(`- helm uninstall nonats-nats -n ${ns}`);
    expect(helm(3, ['status', 'nonats-nats', '-n', ns]).code).not.toBe(0);
    expect((recordOf('nonats', ns)?.helmReleases as { component: string }[]).map((r) => r.component)).not.toContain('nats');
    const removed = env.dynamoctl(['uninstall', '--release', 'nonats', '-n', ns, '--yes']);
    expect(removed.code, removed.stderr).toBe(0);
  });
});
