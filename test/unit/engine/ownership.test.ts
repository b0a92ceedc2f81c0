/** Who owns a live object decides what the plan may do with it; refusals change nothing. */
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../../src/errors.ts';
import { renderManifests } from '../../../src/render/index.ts';
import { objectPath, type KubeObject } from '../../../src/render/k8s-types.ts';
import { FIXED_MATERIAL } from '../../golden/cases.ts';
import { copyEnv, DEPLOYMENT, emptyEnv, install, installedEnv, MANAGER_ROLE, NS, valuesFor, VERSION, writesSince, type Env } from './harness.ts';

type Tree = Record<string, unknown>;
const rendered = renderManifests(valuesFor(), { apiVersions: [] }, FIXED_MATERIAL, VERSION);
const find = (kind: string, name: string): KubeObject => structuredClone(rendered.find((o) => o.kind === kind && o.metadata.name.endsWith(name))!);
const otherRelease = (o: KubeObject, namespace: string): KubeObject => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, 'app.kubernetes.io/instance': 'other', 'dynamoctl.nvidia.com/release-namespace': namespace } } });
const unlabelled = (o: KubeObject): KubeObject => ({ ...o, metadata: { name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) } });
const nothingWritten = (env: Env): void => expect(env.cluster.log.filter((r) => r.method !== 'GET' && !r.path.includes('/leases'))).toEqual([]);
const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } };

let installed: Env;
beforeAll(async () => {
  installed = await installedEnv();
});

describe('objects of another dynamoctl release', () => {
  it('a namespaced one is refused, naming that release; nothing changed', async () => {
    const env = emptyEnv();
    env.cluster.seed(ns);
    env.cluster.seed(otherRelease(find('ServiceAccount', 'controller-manager'), NS), { manager: 'dynamoctl' });
    const run = await install(env);
    expect(run.error).toBeInstanceOf(ConflictError);
    expect(run.error!.message).toBe('release other in dynamo-system already has 1 object this install needs (ServiceAccount dynamo-platform-dynamo-operator-controller-manager); nothing was changed');
    expect(run.plan!.objects.find((o) => o.action === 'conflict')?.note).toBe('ServiceAccount dynamo-system/dynamo-platform-dynamo-operator-controller-manager belongs to dynamoctl release other in dynamo-system');
    nothingWritten(env);
    expect(env.helm.installs()).toEqual([]);
  });

  it('an identical cluster-scoped one is shared: used, not written, recorded as shared', async () => {
    const env = emptyEnv();
    const role = otherRelease(find('ClusterRole', 'manager-role'), 'team-b');
    env.cluster.seed(role, { manager: 'dynamoctl' });
    const run = await install(env);
    expect(run.error).toBeUndefined();
    expect(run.plan!.objects.find((o) => o.object === 'ClusterRole dynamo-platform-dynamo-operator-manager-role')).toEqual({ action: 'shared', object: 'ClusterRole dynamo-platform-dynamo-operator-manager-role', note: 'shared with dynamoctl release other in team-b' });
    expect(env.cluster.log.filter((r) => r.path === MANAGER_ROLE && r.method !== 'GET')).toEqual([]);
    expect((env.cluster.get(MANAGER_ROLE)!.metadata as KubeObject['metadata']).labels).toEqual(role.metadata.labels);
    expect(run.summary!.record!.shared).toEqual([{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'dynamo-platform-dynamo-operator-manager-role' }]);
    expect(run.summary!.record!.inventory.map((i) => i.name)).not.toContain('dynamo-platform-dynamo-operator-manager-role');
  });

  it('a different cluster-scoped one is refused, even with --force-conflicts', async () => {
    const env = emptyEnv();
    const role = otherRelease(find('ClusterRole', 'manager-role'), 'team-b');
    env.cluster.seed({ ...role, rules: [] }, { manager: 'dynamoctl' });
    const run = await install(env, { forceConflicts: true });
    expect(run.error).toBeInstanceOf(ConflictError);
    expect(run.error!.message).toMatch(/^release other in team-b already has 1 object this install needs \(ClusterRole dynamo-platform-dynamo-operator-manager-role\)/);
    nothingWritten(env);
  });
});

describe('objects and fields of other managers', () => {
  it('an object someone else created is refused, naming its manager', async () => {
    const env = emptyEnv();
    env.cluster.seed(unlabelled(find('ClusterRole', 'manager-role')), { manager: 'kubectl-create' });
    const run = await install(env);
    expect(run.error).toBeInstanceOf(ConflictError);
    expect(run.error!.message).toBe('1 object in the way; nothing was changed: ClusterRole dynamo-platform-dynamo-operator-manager-role exists and was not created by dynamoctl (managed by kubectl-create)');
    nothingWritten(env);
  });

  it('with --force-conflicts it is taken over: applied with force, our labels on it', async () => {
    const env = emptyEnv();
    env.cluster.seed(unlabelled(find('ClusterRole', 'manager-role')), { manager: 'kubectl-create' });
    const run = await install(env, { forceConflicts: true });
    expect(run.error).toBeUndefined();
    expect(run.plan!.objects.find((o) => o.object.endsWith('manager-role'))?.action).toBe('update');
    expect(writesSince(env.cluster.log, run.mark).filter((r) => r.path === MANAGER_ROLE).map((r) => [r.method, r.query.force])).toEqual([['PATCH', 'true']]);
    expect((env.cluster.get(MANAGER_ROLE)!.metadata as KubeObject['metadata']).labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'dynamoctl', 'app.kubernetes.io/instance': 'dynamo-platform' });
  });

  it.each([
    {
      name: 'a scalar (spec.replicas)',
      edit: (d: Tree) => void ((d.spec as Tree).replicas = 3),
      note: 'Deployment dynamo-system/dynamo-platform-dynamo-operator-controller-manager: spec.replicas is managed by kubectl-edit',
      after: (d: Tree) => expect((d.spec as Tree).replicas).toBe(1),
    },
    {
      // The server owns a list without keys (args, command, rules) as a whole: kubectl-edit's entry says f:args.
      name: 'an atomic list (a container\'s args)',
      edit: (d: Tree) => void (((d.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!.args[3] = '--v=5')),
      note: 'Deployment dynamo-system/dynamo-platform-dynamo-operator-controller-manager: spec.template.spec.containers[kube-rbac-proxy].args[3] is managed by kubectl-edit',
      after: (d: Tree) => expect(JSON.stringify(d.spec)).toContain('"--v=0"'),
    },
  ])('a field another manager changed, $name: a conflict naming the manager; with --force-conflicts, applied with force', async ({ edit, note, after }) => {
    const env = copyEnv(installed);
    env.cluster.edit(DEPLOYMENT, edit, 'kubectl-edit');
    const refused = await install(env);
    expect(refused.plan!.objects.find((o) => o.action !== 'unchanged')).toEqual({ action: 'conflict', object: 'Deployment dynamo-system/dynamo-platform-dynamo-operator-controller-manager', note });
    expect(refused.error).toBeInstanceOf(ConflictError);
    expect(refused.error!.message).toContain('managed by kubectl-edit');
    expect(env.cluster.log.filter((r) => r.method !== 'GET' && !r.path.includes('/leases'))).toEqual([]);
    expect(env.helm.installs()).toEqual([]);

    const forced = await install(env, { forceConflicts: true });
    expect(forced.error).toBeUndefined();
    expect(forced.plan!.objects.find((o) => o.action !== 'unchanged')?.action).toBe('update');
    expect(writesSince(env.cluster.log, forced.mark).filter((r) => r.path === DEPLOYMENT).map((r) => [r.method, r.query.force])).toEqual([['PATCH', 'true']]);
    const live = env.cluster.get(DEPLOYMENT)!;
    after(live);
    // the field left kubectl-edit's managed fields
    expect(JSON.stringify((live.metadata as Tree).managedFields)).not.toContain('kubectl-edit');
  });

  it('the server refuses what the plan did not foresee with its own message (applyObject turns it into a ConflictError)', async () => {
    const env = copyEnv(installed);
    env.cluster.edit(DEPLOYMENT, (d) => void ((d.spec as Tree).replicas = 3), 'kubectl-edit');
    const { applyObject } = await import('../../../src/apply/apply.ts');
    const object = find('Deployment', 'controller-manager');
    await expect(applyObject(env.cluster, object)).rejects.toThrow(
      'Deployment dynamo-system/dynamo-platform-dynamo-operator-controller-manager: fields are managed by kubectl-edit (1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas)',
    );
    expect(objectPath(object)).toBe(DEPLOYMENT);
  });
});
