import { describe, expect, it } from 'vitest';
import { detectConflicts, leftoverCleanupCommand, uninstallCommand } from '../../../src/conflicts/detect.ts';
import { MATRIX } from '../../../src/conflicts/rules.ts';
import type { ExistingOperator, PlannedOperator } from '../../../src/conflicts/types.ts';

const cw = (release: string, namespace: string, over: Partial<ExistingOperator> = {}): ExistingOperator => ({
  release, namespace, scope: 'cluster', targetNamespace: undefined, installedBy: 'helm-chart', running: true, objects: [], ...over,
});
const nr = (release: string, namespace: string, target = namespace, over: Partial<ExistingOperator> = {}): ExistingOperator => ({
  release, namespace, scope: 'namespace', targetNamespace: target, installedBy: 'dynamoctl', running: true, objects: [], ...over,
});
const plan = (scope: 'cluster' | 'namespace', namespace = 'dynamo-system', release = 'dynamo-platform', target = namespace): PlannedOperator => ({ release, namespace, scope, targetNamespace: target });

describe('the operator-conflict matrix, row by row', () => {
  const rows: [string, ExistingOperator[], PlannedOperator, 'allowed' | 'blocked', string][] = [
    ['none → cluster-wide', [], plan('cluster'), 'allowed', 'none-cluster'],
    ['none → namespace-restricted', [], plan('namespace', 'team-a'), 'allowed', 'none-namespace'],
    ['cluster-wide → cluster-wide', [cw('other', 'ops')], plan('cluster'), 'blocked', 'cluster-cluster'],
    ['cluster-wide → namespace-restricted', [cw('other', 'ops')], plan('namespace', 'team-a'), 'blocked', 'cluster-namespace'],
    ['namespace-restricted → cluster-wide', [nr('team-a-op', 'team-a')], plan('cluster'), 'blocked', 'namespace-cluster'],
    ['namespace-restricted A → namespace-restricted B', [nr('team-a-op', 'team-a')], plan('namespace', 'team-b'), 'allowed', 'namespace-namespace-other'],
    ['namespace-restricted A → namespace-restricted A (same target)', [nr('team-a-op', 'team-a')], plan('namespace', 'team-a', 'second'), 'blocked', 'namespace-namespace-same'],
    ['same target from another install namespace', [nr('x', 'ops', 'models')], plan('namespace', 'ops2', 'y', 'models'), 'blocked', 'namespace-namespace-same'],
  ];
  it.each(rows)('%s: %s', (_name, existing, planned, verdict, rule) => {
    const v = detectConflicts(planned, existing);
    expect(v.verdict).toBe(verdict);
    expect(v.rule.id).toBe(rule);
    expect(v.upgrade).toBe(false);
  });

  it('covers every row of the seed table', () => {
    const hit = new Set(rows.map((r) => r[4]));
    expect(MATRIX.map((r) => r.id).filter((id) => !hit.has(id))).toEqual([]);
  });
});

describe('upgrades, scope changes and leftovers', () => {
  it('treats the same release in the same namespace with the same scope as an upgrade', () => {
    const v = detectConflicts(plan('cluster'), [cw('dynamo-platform', 'dynamo-system', { installedBy: 'dynamoctl' })]);
    expect(v).toMatchObject({ verdict: 'allowed', upgrade: true, rule: { id: 'none-cluster' } });
  });

  it('judges a release changing scope against everyone except itself', () => {
    const self = nr('dynamo-platform', 'dynamo-system');
    expect(detectConflicts(plan('cluster'), [self]).verdict).toBe('allowed');
    expect(detectConflicts(plan('cluster'), [self, nr('other', 'team-b')])).toMatchObject({ verdict: 'blocked', upgrade: true, rule: { id: 'namespace-cluster' } });
  });

  it('does not count the same release name in another namespace as itself', () => {
    expect(detectConflicts(plan('cluster'), [cw('dynamo-platform', 'elsewhere')]).verdict).toBe('blocked');
  });

  it('reports leftovers without blocking, with the command that removes them', () => {
    const leftover = cw('old', 'gone', {
      running: false,
      objects: [
        { kind: 'ClusterRole', name: 'old-dynamo-operator-manager-role' },
        { kind: 'ClusterRoleBinding', name: 'old-dynamo-operator-manager-rolebinding' },
        { kind: 'Role', name: 'old-dynamo-operator-leader-election-role', namespace: 'gone' },
      ],
    });
    const v = detectConflicts(plan('cluster'), [leftover]);
    expect(v.verdict).toBe('allowed');
    expect(v.leftovers).toEqual([leftover]);
    expect(leftoverCleanupCommand(leftover)).toBe(
      'kubectl delete clusterrole old-dynamo-operator-manager-role && kubectl delete clusterrolebinding old-dynamo-operator-manager-rolebinding && kubectl delete role old-dynamo-operator-leader-election-role -n gone',
    );
  });

  it('names the blocking operator and the exact command that resolves it', () => {
    const v = detectConflicts(plan('namespace', 'team-a'), [cw('platform', 'dynamo-system'), cw('second', 'x', { installedBy: 'dynamoctl' })]);
    expect(v.summary).toBe(
      'blocked: the cluster-wide operator already manages the target namespace: release "platform" in namespace dynamo-system (cluster-wide, installed by the dynamo-platform Helm chart) (and 1 more)',
    );
    expect(v.blockers.map((b) => b.resolutions.at(-1))).toEqual(['helm uninstall platform -n dynamo-system', 'dynamoctl uninstall --release second -n x']);
    expect(uninstallCommand(cw('r', undefined as unknown as string, { namespace: undefined }))).toBe('helm uninstall r -n <its namespace>');
  });
});
