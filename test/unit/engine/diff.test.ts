/** The local field diff: what applying the desired object would change in the live one. */
import { describe, expect, it } from 'vitest';
import { describeChange, fieldChanges, ownedPaths, type FieldChange } from '../../../src/engine/diff.ts';
import type { KubeObject } from '../../../src/render/k8s-types.ts';

const deployment = (container: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'op', namespace: 'ns', labels: { app: 'op' } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'manager', image: 'op:1', ...container }] } }, ...extra },
});
const secret = (content: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' }, type: 'Opaque', ...content });
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const managed = (o: Record<string, unknown>, manager: string, operation: string, fieldsV1: unknown): Record<string, unknown> => ({ ...o, metadata: { ...(o.metadata as object), managedFields: [{ manager, operation, fieldsV1 }] } });
const live = (o: KubeObject, over: Record<string, unknown> = {}): Record<string, unknown> => ({ ...structuredClone(o), ...over, metadata: { ...o.metadata, uid: 'u', resourceVersion: '7', ...(over.metadata as object | undefined) } });

const role = (rules: unknown[]): KubeObject => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' }, rules } as KubeObject);

describe('fieldChanges of RBAC rules: what they grant, not how they are written', () => {
  const chart = [{ apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['get', 'list', 'watch'] }];
  it('rules granting the same in another order or grouping are no change', () => {
    const ours = [{ apiGroups: [''], resources: ['secrets'], verbs: ['watch', 'get', 'list'] }, { apiGroups: [''], resources: ['pods'], verbs: ['list', 'get', 'watch'] }];
    expect(fieldChanges(role(ours), live(role(chart)), 'dynamoctl')).toEqual([]);
  });
  it('a verb more is a change', () => {
    const more = [{ apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['get', 'list', 'watch', 'delete'] }];
    expect(fieldChanges(role(more), live(role(chart)), 'dynamoctl').map((c) => c.path)).toEqual(['rules[0].verbs']);
  });
  it('rules dynamoctl applied and still sends are not reported as removed', () => {
    const applied = managed(live(role(chart)), 'dynamoctl', 'Apply', { 'f:rules': {} });
    expect(fieldChanges(role([...chart].reverse()), applied, 'dynamoctl')).toEqual([]);
  });
});

describe('fieldChanges', () => {
  it.each<{ name: string; desired: KubeObject; live: Record<string, unknown> | undefined; changes: FieldChange[] }>([
    { name: 'no live object', desired: deployment({}), live: undefined, changes: [] },
    { name: 'identical', desired: deployment({}), live: live(deployment({})), changes: [] },
    { name: 'quantities: 0.5 is 500m', desired: deployment({ resources: { limits: { cpu: '0.5', memory: '1Gi' } } }), live: live(deployment({ resources: { limits: { cpu: '500m', memory: '1024Mi' } } })), changes: [] },
    {
      name: 'quantities that differ',
      desired: deployment({ resources: { limits: { cpu: '0.5' } } }),
      live: live(deployment({ resources: { limits: { cpu: '600m' } } })),
      changes: [{ path: 'spec.template.spec.containers[manager].resources.limits.cpu', from: '600m', to: '0.5' }],
    },
    {
      name: 'named lists are matched by name, not position',
      desired: deployment({ env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }),
      live: live(deployment({ env: [{ name: 'B', value: '2' }, { name: 'A', value: '1' }] })),
      changes: [],
    },
    {
      name: 'a named list item that changed',
      desired: deployment({ env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }] }),
      live: live(deployment({ env: [{ name: 'B', value: '2' }, { name: 'A', value: '1' }] })),
      changes: [{ path: 'spec.template.spec.containers[manager].env[B].value', from: '2', to: '3' }],
    },
    {
      name: 'server-added defaults and status are ignored',
      desired: deployment({}),
      live: live(deployment({ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' }, { revisionHistoryLimit: 10 }), { status: { replicas: 1 } }),
      changes: [],
    },
    {
      name: 'a field dynamoctl applied before and no longer sets is removed',
      desired: deployment({}),
      live: managed(live(deployment({ args: ['--v=2'] })), 'dynamoctl', 'Apply', { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"manager"}': { '.': {}, 'f:args': {}, 'f:image': {}, 'f:name': {} } } } } } }),
      changes: [{ path: 'spec.template.spec.containers[manager].args', from: ['--v=2'], to: undefined }],
    },
    {
      name: 'a field another manager set is not ours to remove',
      desired: deployment({}),
      live: managed(live(deployment({ args: ['--v=2'] })), 'kubectl-edit', 'Update', { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"manager"}': { 'f:args': {} } } } } } }),
      changes: [],
    },
    { name: 'Secret stringData equals the base64 data it is stored as', desired: secret({ stringData: { token: 'abc' } }), live: live(secret({ data: { token: b64('abc') } })), changes: [] },
    { name: 'Secret stringData that differs', desired: secret({ stringData: { token: 'abc' } }), live: live(secret({ data: { token: b64('xyz') } })), changes: [{ path: 'data.token', from: b64('xyz'), to: b64('abc') }] },
    {
      name: 'a label added',
      desired: { ...deployment({}), metadata: { name: 'op', namespace: 'ns', labels: { app: 'op', tier: 'x' } } },
      live: live(deployment({})),
      changes: [{ path: 'metadata.labels.tier', from: undefined, to: 'x' }],
    },
  ])('$name', ({ desired, live: current, changes }) => {
    expect(fieldChanges(desired, current, 'dynamoctl')).toEqual(changes);
  });
});

describe('ownedPaths', () => {
  it('reads f: fields and k:{"name":...} list items as the server writes them', () => {
    const o = live(deployment({ env: [{ name: 'A', value: '1' }] }));
    const fields = { 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"manager"}': { '.': {}, 'f:env': { 'k:{"name":"A"}': { '.': {}, 'f:value': {} } } } } } } } };
    expect(ownedPaths(fields, o)).toEqual(['spec.replicas', 'spec.template.spec.containers[manager].env[A].value']);
  });
});

describe('describeChange', () => {
  it.each([
    ['Deployment', { path: 'spec.replicas', from: 3, to: 1 }, 'spec.replicas: 3 → 1'],
    ['Deployment', { path: 'spec.x', from: undefined, to: 'a' }, 'spec.x: (unset) → "a"'],
    ['Deployment', { path: 'args', from: ['--a', '--b'], to: ['--a', '--c'] }, 'args: -"--b" +"--c"'.replace(/"/g, '')],
    ['Secret', { path: 'data.token', from: b64('old-secret'), to: b64('new-secret') }, 'data.token: (hidden) → (hidden)'],
    ['Secret', { path: 'stringData.token', from: undefined, to: 'new-secret' }, 'stringData.token: (unset) → (hidden)'],
    ['Secret', { path: 'metadata.labels.a', from: 'x', to: 'y' }, 'metadata.labels.a: "x" → "y"'],
  ])('%s %o', (kind, change, line) => {
    expect(describeChange(kind, change as FieldChange)).toBe(line);
    if (kind === 'Secret' && line.includes('hidden')) expect(line).not.toMatch(/secret|c2VjcmV0/);
  });
});
