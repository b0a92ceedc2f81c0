import { describe, expect, it } from 'vitest';
import { parseFinalizerTimeout } from '../../src/cli/commands/uninstall.ts';
import type { ObjectIdentity } from '../../src/apply/record.ts';
import { UserError } from '../../src/errors.ts';
import { deleteCommand, describeUninstallPlan, formatLeftovers, mergeObjects, planUninstall, sortForDeletion, type Inventory } from '../../src/install/uninstall-plan.ts';

const obj = (kind: string, name: string, namespace?: string, apiVersion = 'v1'): ObjectIdentity => ({ apiVersion, kind, name, ...(namespace ? { namespace } : {}) });
const rbac = 'rbac.authorization.k8s.io/v1';

const inventory = (over: Partial<Inventory> = {}): Inventory => ({
  source: 'record',
  scope: 'cluster',
  targetNamespace: 'dynamo-system',
  createdNamespace: true,
  hasRecord: true,
  objects: [
    obj('ServiceAccount', 'op', 'dynamo-system'),
    obj('Secret', 'webhook-server-cert', 'dynamo-system'),
    obj('Secret', 'dynamoctl-install-dp', 'dynamo-system'),
    obj('ClusterRole', 'dp-manager-role', undefined, rbac),
    obj('ClusterRoleBinding', 'dp-manager-rolebinding', undefined, rbac),
    obj('Service', 'dp-webhook-service', 'dynamo-system'),
    obj('Deployment', 'dp-controller-manager', 'dynamo-system', 'apps/v1'),
    obj('ValidatingWebhookConfiguration', 'dp-validating', undefined, 'admissionregistration.k8s.io/v1'),
  ],
  helmReleases: [
    { component: 'dynamo-crds', release: 'dynamo-crds', namespace: 'default', chart: 'dynamo-crds', version: '0.8.1' },
    { component: 'nats', release: 'dp-nats', namespace: 'dynamo-system', chart: 'nats', version: '1' },
    { component: 'etcd', release: 'dp-etcd', namespace: 'dynamo-system', chart: 'etcd', version: '1' },
    { component: 'grove', release: 'dp-grove', namespace: 'dynamo-system', chart: 'grove', version: '1', reused: true },
  ],
  ...over,
});

const base = { release: 'dp', namespace: 'dynamo-system', purge: false, deleteData: false, otherOperators: 0 };

describe('planUninstall', () => {
  it('deletes webhooks first, then the operator (Deployment first, apply order reversed), never the record with the rest', () => {
    const plan = planUninstall(inventory(), base);
    expect(plan.webhooks.map((o) => o.name)).toEqual(['dp-validating']);
    expect(plan.operator.map((o) => `${o.kind}/${o.name}`)).toEqual([
      'Deployment/dp-controller-manager',
      'Service/dp-webhook-service',
      'ClusterRoleBinding/dp-manager-rolebinding',
      'ClusterRole/dp-manager-role',
      'Secret/webhook-server-cert',
      'ServiceAccount/op',
    ]);
  });

  it('uninstalls the subcharts it installed, keeps reused ones, and keeps the CRDs without --purge', () => {
    const plan = planUninstall(inventory(), base);
    expect(plan.subcharts.map((r) => r.release)).toEqual(['dp-nats', 'dp-etcd']);
    expect(plan.keptReleases.map((k) => `${k.release.release}: ${k.reason}`)).toEqual(['dp-grove: installed by someone else (reused)', 'dynamo-crds: the CRDs stay without --purge']);
    expect(plan).toMatchObject({ deleteCustomResources: false, deleteCrds: false, dataSelectors: [], deleteNamespace: true });
  });

  it('purges the CRDs only cluster-wide, with no other operator left, and not when they were reused', () => {
    expect(planUninstall(inventory(), { ...base, purge: true }).deleteCrds).toBe(true);
    expect(planUninstall(inventory(), { ...base, purge: true, otherOperators: 1 }).deleteCrds).toBe(false);
    expect(planUninstall(inventory({ scope: 'namespace' }), { ...base, purge: true }).deleteCrds).toBe(false);
    expect(planUninstall(inventory({ scope: 'namespace' }), { ...base, purge: true }).deleteCustomResources).toBe(true);
    const reused = inventory({ helmReleases: [{ component: 'dynamo-crds', release: 'dynamo-crds', namespace: 'default', chart: 'dynamo-crds', version: '0.8.1', reused: true }] });
    expect(planUninstall(reused, { ...base, purge: true }).deleteCrds).toBe(false);
  });

  it('selects the NATS and etcd volumes only with --delete-data', () => {
    expect(planUninstall(inventory(), { ...base, deleteData: true }).dataSelectors).toEqual(['app.kubernetes.io/instance=dp-nats', 'app.kubernetes.io/instance=dp-etcd']);
  });

  it('leaves the namespace alone when the install did not create it', () => {
    expect(planUninstall(inventory({ createdNamespace: false }), base).deleteNamespace).toBe(false);
  });
});

describe('describeUninstallPlan', () => {
  it('lists every deletion in order, the custom resources lost with the CRDs, and what is kept', () => {
    const plan = planUninstall(inventory(), { ...base, purge: true, deleteData: true });
    const lines = describeUninstallPlan(plan, { release: 'dp', namespace: 'dynamo-system', customResources: 3, crdsPresent: 6, pvcs: ['data-dp-etcd-0'] });
    expect(lines[0]).toBe('  - delete ValidatingWebhookConfiguration dp-validating');
    expect(lines[1]).toBe('  - delete Deployment dynamo-system/dp-controller-manager');
    expect(lines).toContain('  - delete 3 Dynamo custom resources');
    expect(lines).toContain('  - helm uninstall dp-nats -n dynamo-system');
    expect(lines).toContain('  - delete PersistentVolumeClaim dynamo-system/data-dp-etcd-0 (its data is lost)');
    expect(lines).toContain('  - delete 6 Dynamo CRDs (3 custom resources would be lost with them)');
    expect(lines.at(-3)).toBe('  - delete Secret dynamo-system/dynamoctl-install-dp (the install record)');
    expect(lines.at(-2)).toBe('  - delete Namespace dynamo-system (created by the install), if nothing else is left in it');
    expect(lines.at(-1)).toBe('  = keep helm release dp-grove in dynamo-system: installed by someone else (reused)');
  });
});

describe('leftovers', () => {
  it('formats each with the command that removes it', () => {
    expect(formatLeftovers([])).toEqual([]);
    const w = obj('ValidatingWebhookConfiguration', 'dp-validating', undefined, 'admissionregistration.k8s.io/v1');
    expect(
      formatLeftovers([
        { what: 'ValidatingWebhookConfiguration dp-validating', why: 'its service is gone', command: deleteCommand(w) },
        { what: 'helm release dp-nats in ns', why: 'still failed', command: 'helm uninstall dp-nats -n ns' },
      ]),
    ).toEqual([
      '2 things left behind:',
      '  - ValidatingWebhookConfiguration dp-validating: its service is gone',
      '      kubectl delete validatingwebhookconfigurations.admissionregistration.k8s.io dp-validating',
      '  - helm release dp-nats in ns: still failed',
      '      helm uninstall dp-nats -n ns',
    ]);
  });

  it('names core and grouped kinds the way kubectl takes them', () => {
    expect(deleteCommand(obj('Secret', 's', 'ns'))).toBe('kubectl delete secrets s -n ns');
    expect(deleteCommand(obj('ClusterRole', 'r', undefined, rbac))).toBe('kubectl delete clusterroles.rbac.authorization.k8s.io r');
  });
});

describe('helpers', () => {
  it('merges record and label inventories without duplicates', () => {
    expect(mergeObjects([obj('Secret', 'a', 'ns')], [obj('Secret', 'a', 'ns'), obj('Secret', 'b', 'ns')]).map((o) => o.name)).toEqual(['a', 'b']);
  });
  it('sorts unknown kinds after the Deployment and before the known ones', () => {
    expect(sortForDeletion([obj('ServiceAccount', 'a', 'n'), obj('Widget', 'w', 'n'), obj('Deployment', 'd', 'n')]).map((o) => o.kind)).toEqual(['Deployment', 'Widget', 'ServiceAccount']);
  });
  it('parses --timeout-finalizers', () => {
    expect(parseFinalizerTimeout()).toBe(60_000);
    expect(parseFinalizerTimeout('2s')).toBe(2000);
    expect(() => parseFinalizerTimeout('soon')).toThrow(UserError);
  });
});
