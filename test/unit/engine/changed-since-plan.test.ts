/** A change made between the confirmation and the execution stops the run before it writes anything. */
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../../src/errors.ts';
import { copyEnv, DEPLOYMENT, emptyEnv, install, installedEnv, MANAGER_ROLE, NS, SERVICE_ACCOUNT, type Env } from './harness.ts';

let installed: Env;
beforeAll(async () => {
  installed = await installedEnv();
});

type Tree = Record<string, unknown>;
const rv = (o: Tree | undefined): string | undefined => (o?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;

describe('a change between the plan and its execution', () => {
  it.each([
    {
      name: 'a planned object edited by another manager',
      env: () => copyEnv(installed),
      meanwhile: ({ cluster }: Env) => cluster.edit(DEPLOYMENT, (d) => void ((d.spec as Tree).replicas = 3)),
      message: /Deployment dynamo-system\/dynamo-platform-dynamo-operator-controller-manager was modified/,
    },
    {
      name: 'a planned object deleted',
      env: () => copyEnv(installed),
      meanwhile: ({ cluster }: Env) => cluster.remove(SERVICE_ACCOUNT),
      message: /ServiceAccount dynamo-system\/dynamo-platform-dynamo-operator-controller-manager was deleted/,
    },
    {
      name: 'a planned object deleted and created again',
      env: () => copyEnv(installed),
      meanwhile: ({ cluster }: Env) => {
        const sa = cluster.get(SERVICE_ACCOUNT)!;
        cluster.remove(SERVICE_ACCOUNT);
        cluster.seed({ ...sa, metadata: { ...(sa.metadata as Tree), uid: undefined, resourceVersion: undefined, managedFields: undefined } });
      },
      message: /ServiceAccount dynamo-system\/dynamo-platform-dynamo-operator-controller-manager was replaced/,
    },
    {
      name: 'an object the plan creates created by someone else',
      env: () => emptyEnv(),
      meanwhile: ({ cluster }: Env) => cluster.seed({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: MANAGER_ROLE.split('/').at(-1) }, rules: [] }),
      message: /ClusterRole dynamo-platform-dynamo-operator-manager-role was created by someone else/,
    },
    {
      name: 'a helm release upgraded by someone else',
      env: () => copyEnv(installed),
      meanwhile: ({ helm }: Env) => helm.set('dynamo-platform-nats', NS, { revision: 2 }),
      message: /helm release dynamo-platform-nats in dynamo-system moved from revision 1 to 2/,
    },
    {
      name: 'a helm release the plan installs installed by someone else',
      env: () => emptyEnv(),
      meanwhile: ({ helm }: Env) => helm.set('dynamo-platform-etcd', NS),
      message: /helm release dynamo-platform-etcd in dynamo-system was installed by someone else/,
    },
  ])('$name: refused, nothing written', async ({ env: make, meanwhile, message }) => {
    const env = make();
    const run = await install(env, { meanwhile });
    expect(run.error).toBeInstanceOf(ConflictError);
    expect(run.error!.message).toMatch(/^the cluster changed since the plan was shown: /);
    expect(run.error!.message).toMatch(message);
    // after the confirmation: reads, and the install lock's Lease; no other write, no helm install
    expect(env.cluster.log.slice(run.mark).filter((r) => r.method !== 'GET' && !r.path.includes('/leases'))).toEqual([]);
    expect(env.helm.calls.slice(run.helmMark).filter((c) => c.op !== 'status')).toEqual([]);
  });

  it('a controller writing only status is not a change', async () => {
    const env = copyEnv(installed);
    const before = env.cluster.get(DEPLOYMENT)!;
    const run = await install(env, {
      meanwhile: ({ cluster }) => void cluster.setStatus(DEPLOYMENT, { ...(before.status as Tree), conditions: [{ type: 'Available', status: 'True', lastUpdateTime: new Date().toISOString() }] }),
    });
    expect(run.error).toBeUndefined();
    expect(run.plan!.objects.every((o) => o.action === 'unchanged')).toBe(true);
    // the version moved, the object was not written
    expect(rv(env.cluster.get(DEPLOYMENT))).not.toBe(rv(before));
    expect(env.cluster.log.slice(run.mark).filter((r) => r.path === DEPLOYMENT && r.method !== 'GET')).toEqual([]);
  });
});
