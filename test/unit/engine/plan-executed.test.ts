/** The plan shown is the plan executed: every write the cluster and helm saw is an action of the plan, and every action was carried out once. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { PlanView } from '../../../src/engine/describe.ts';
import { goldenCases } from '../../golden/cases.ts';
import { copyEnv, DEPLOYMENT, emptyEnv, install, installedEnv, labelOf, valuesFor, writesSince, type Env } from './harness.ts';

// the golden case with registry credentials: a Secret whose values the plan must never show
const REGISTRY_SECRET = goldenCases.find((c) => c.name === 'docker-registry-credentials')!.values!;

let withRegistrySecret: Env;
beforeAll(async () => {
  withRegistrySecret = await installedEnv({ values: valuesFor({}, REGISTRY_SECRET) });
});

const planned = (plan: PlanView): string[] =>
  plan.objects.flatMap((o) => (o.action === 'create' || o.action === 'update' ? [`PATCH ${o.object}`] : o.action === 'prune' ? [`DELETE ${o.object}`] : [])).sort();

describe('the plan shown equals the plan executed', () => {
  it.each([
    { name: 'a fresh install', env: (): Env => emptyEnv(), flags: {}, file: undefined, expect: { create: 21, update: 0, prune: 0, unchanged: 0 }, helm: ['install', 'install', 'install'] },
    { name: 'a repeat with the same values', env: (): Env => copyEnv(withRegistrySecret), flags: {}, file: REGISTRY_SECRET, expect: { create: 0, update: 0, prune: 0, unchanged: 22 }, helm: ['upgrade', 'upgrade', 'upgrade'] },
    { name: 'an upgrade that changes the operator and drops an object', env: (): Env => copyEnv(withRegistrySecret), flags: { operatorTag: '0.9.1' }, file: undefined, expect: { create: 0, update: 2, prune: 1, unchanged: 19 }, helm: ['upgrade', 'upgrade', 'upgrade'] },
  ])('$name', async ({ env: make, flags, file, expect: counts, helm: helmActions }) => {
    const env = make();
    const run = await install(env, { values: valuesFor(flags, file) });
    expect(run.error).toBeUndefined();
    const plan = run.plan!;
    const count = (action: string): number => plan.objects.filter((o) => o.action === action).length;
    expect({ create: count('create'), update: count('update'), prune: count('prune'), unchanged: count('unchanged') }).toEqual(counts);

    // objects: each create/update applied once, each prune deleted once, nothing else written
    const writes = writesSince(env.cluster.log, run.mark).filter((r) => r.path !== '/api/v1/namespaces');
    expect(writes.map((r) => `${r.method} ${labelOf(r.path)}`).sort()).toEqual(planned(plan));
    // updates carry the planned version as a precondition, and no force unless the plan says so
    for (const w of writes.filter((r) => r.method === 'PATCH')) expect(w.query.force).toBe('false');
    for (const w of writes.filter((r) => r.method === 'DELETE')) expect(w.body).toMatchObject({ preconditions: { uid: expect.any(String) } });

    // helm: each install/upgrade run once, in the plan's releases; nothing removed
    expect(plan.helm.map((h) => h.action)).toEqual(helmActions);
    const calls = env.helm.calls.slice(run.helmMark);
    expect(calls.filter((c) => c.op === 'upgradeInstall').map((c) => c.release).sort()).toEqual(plan.helm.filter((h) => h.action === 'install' || h.action === 'upgrade').map((h) => h.release).sort());
    expect(calls.filter((c) => c.op === 'uninstall')).toEqual([]);
  });

  it('removes what dynamoctl no longer sends (server-side apply drops fields its manager stopped setting)', async () => {
    const env = copyEnv(withRegistrySecret);
    const sa = `/api/v1/namespaces/dynamo-system/serviceaccounts/dynamo-platform-dynamo-operator-component`;
    expect(env.cluster.get(sa)!.imagePullSecrets).toEqual([{ name: 'dynamo-platform-dynamo-operator-regcred' }]);
    const run = await install(env);
    expect(run.plan!.objects.find((o) => o.object.startsWith('ServiceAccount') && o.action === 'update')?.changes).toEqual(['imagePullSecrets[dynamo-platform-dynamo-operator-regcred].name: "dynamo-platform-dynamo-operator-regcred" → (unset)']);
    expect(env.cluster.get(sa)!.imagePullSecrets).toBeUndefined();
    expect(env.cluster.get('/api/v1/namespaces/dynamo-system/secrets/dynamo-platform-dynamo-operator-regcred')).toBeUndefined();
  });

  it('applies an update against the version the plan saw', async () => {
    const env = copyEnv(withRegistrySecret);
    const seen = env.cluster.get(DEPLOYMENT)!;
    const run = await install(env, { values: valuesFor({ operatorTag: '0.9.1' }, REGISTRY_SECRET) });
    expect(run.error).toBeUndefined();
    expect(run.plan!.objects.find((o) => o.action === 'update')?.changes).toEqual([
      'spec.template.spec.containers[manager].args[13]: "--operator-version=0.9.0" → "--operator-version=0.9.1"',
      'spec.template.spec.containers[manager].image: "nvcr.io/nvidia/ai-dynamo/kubernetes-operator:0.9.0" → "nvcr.io/nvidia/ai-dynamo/kubernetes-operator:0.9.1"',
    ]);
    const patch = writesSince(env.cluster.log, run.mark).find((r) => r.path === DEPLOYMENT)!;
    expect(patch.body).toMatchObject({ metadata: { resourceVersion: (seen.metadata as { resourceVersion: string }).resourceVersion } });
    expect(JSON.stringify(env.cluster.get(DEPLOYMENT)!.spec)).toContain('kubernetes-operator:0.9.1');
  });
});
