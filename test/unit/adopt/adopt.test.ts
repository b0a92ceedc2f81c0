/**
 * adoptRelease over the in-memory cluster and helm: what it takes, keeps, hands over and removes, and that
 * it refuses, previews, resumes and repeats as a serious installer must.
 */
import { expect, it } from 'vitest';
import { adoptRelease, type AdoptResult } from '../../../src/adopt/adopt.ts';
import { readRecord } from '../../../src/apply/record.ts';
import type { ValuesInput } from '../../../src/config/resolve.ts';
import { UserError } from '../../../src/errors.ts';
import { defaults } from '../../helpers/render.ts';
import { describeWithUpstream } from '../../helpers/upstream.ts';
import { install, writesSince } from '../engine/harness.ts';
import { NS, RELEASE, umbrellaEnv, type UmbrellaEnv } from './umbrella-env.ts';

const DEPLOYMENT = `/apis/apps/v1/namespaces/${NS}/deployments/${RELEASE}-dynamo-operator-controller-manager`;
const CERT = `/api/v1/namespaces/${NS}/secrets/webhook-server-cert`;
const WEBHOOK = `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${RELEASE}-dynamo-operator-validating`;
const NATS = `/apis/apps/v1/namespaces/${NS}/statefulsets/${RELEASE}-nats`;
const CA_INJECT_ROLE = `/apis/rbac.authorization.k8s.io/v1/clusterroles/${RELEASE}-dynamo-operator-webhook-ca-inject`;
const RECORD_PATH = `/api/v1/namespaces/${NS}/secrets/dynamoctl-install-${RELEASE}`;
const CERT_GEN_JOB = `/apis/batch/v1/namespaces/${NS}/jobs/${RELEASE}-dynamo-operator-webhook-cert-gen-1`;

type Meta = { uid: string; generation?: number; labels?: Record<string, string>; annotations?: Record<string, string>; managedFields?: { manager: string; operation: string; subresource?: string }[] };
/** The writers of an object's fields (a controller's status entry aside). */
const writers = (m: Meta): string[] => (m.managedFields ?? []).filter((f) => !f.subresource).map((f) => `${f.manager}/${f.operation}`);
const metaOf = (env: UmbrellaEnv, path: string): Meta => (env.cluster.get(path) as { metadata: Meta }).metadata;

type Adopted = Extract<AdoptResult, { outcome: 'adopted' }>;

/** Runs adopt; a result other than "adopted" fails the test (use run() to see it). */
async function adopt(env: UmbrellaEnv, o: { dryRun?: boolean; sets?: ValuesInput['sets'] } = {}): Promise<Adopted> {
  const result = await run(env, o);
  if (result.outcome !== 'adopted') throw new Error(`expected an adoption, got ${result.outcome}`);
  return result;
}

function run(env: UmbrellaEnv, o: { dryRun?: boolean; sets?: ValuesInput['sets'] } = {}): Promise<AdoptResult> {
  return adoptRelease({
    release: RELEASE,
    namespace: NS,
    input: { defaults, files: [], sets: o.sets ?? [] },
    target: { timeoutMs: 5000 },
    helm: {},
    emit: () => {},
    confirm: async () => true,
    dryRun: o.dryRun === true,
    skipChecks: [],
    reportChecks: () => {},
    kube: env.cluster,
    helmApi: env.helm,
    // the checks need a real cluster (the integration tests run them)
    checks: false,
  });
}

describeWithUpstream('dynamoctl adopt (in-memory cluster)', () => {
  it('takes over the operator in place, reuses the hooks’ Secrets, removes their leftovers, hands NATS and etcd over and forgets the umbrella', async () => {
    const env = await umbrellaEnv();
    const before = { deployment: env.cluster.get(DEPLOYMENT) as { metadata: Meta; spec: { template: unknown } }, cert: env.cluster.get(CERT) as { metadata: Meta; data: unknown }, nats: metaOf(env, NATS) };
    const summary = await adopt(env);

    const deployment = env.cluster.get(DEPLOYMENT) as { metadata: Meta; spec: { template: unknown } };
    expect(deployment.metadata.uid).toBe(before.deployment.metadata.uid);
    // the pod template is what ran: no rollout (the running kube-rbac-proxy image is pinned)
    expect(deployment.spec.template).toEqual(before.deployment.spec.template);
    expect(deployment.metadata.generation).toBe(before.deployment.metadata.generation);
    expect(writers(deployment.metadata)).toEqual(['dynamoctl/Apply']);
    expect(deployment.metadata.annotations?.['meta.helm.sh/release-name']).toBeUndefined();
    expect(deployment.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('dynamoctl');

    const cert = env.cluster.get(CERT) as { metadata: Meta; data: unknown };
    expect(cert.metadata.uid).toBe(before.cert.metadata.uid);
    expect(cert.data).toEqual(before.cert.data);
    expect(writers(cert.metadata)).toEqual(['dynamoctl/Apply']);
    const webhook = env.cluster.get(WEBHOOK) as { metadata: Meta; webhooks: { clientConfig: { caBundle: string } }[] };
    expect(webhook.webhooks[0]!.clientConfig.caBundle).toBe((before.cert.data as Record<string, string>)['ca.crt']);
    expect(writers(webhook.metadata)).toEqual(['dynamoctl/Apply']);

    expect(env.cluster.get(CA_INJECT_ROLE)).toBeUndefined();
    expect(env.cluster.get(CERT_GEN_JOB)).toBeUndefined();
    expect(env.cluster.get(env.storage)).toBeUndefined();

    const nats = metaOf(env, NATS);
    expect(nats.uid).toBe(before.nats.uid);
    expect(nats.annotations?.['meta.helm.sh/release-name']).toBe(`${RELEASE}-nats`);
    const installs = env.helm.installs().map((c) => c.spec!);
    const natsInstall = installs.find((s) => s.release === `${RELEASE}-nats`)!;
    // selectors and pod labels keep the umbrella's instance label
    expect(natsInstall.values).toMatchObject({ statefulSet: { merge: { spec: { selector: { matchLabels: { 'app.kubernetes.io/instance': RELEASE } } } } } });
    expect(installs.find((s) => s.release === `${RELEASE}-etcd`)!.values).toMatchObject({ commonLabels: { 'app.kubernetes.io/instance': RELEASE } });

    const record = await readRecord(env.cluster, RELEASE, NS);
    expect(record).toMatchObject({ phase: 'installed', adoptedFrom: { release: RELEASE, chart: 'dynamo-platform', version: '0.8.1' } });
    expect(record!.adoptedFrom!.pinned).toMatchObject({ 'dynamo-operator': { controllerManager: { kubeRbacProxy: { image: { repository: 'gcr.io/kubebuilder/kube-rbac-proxy' } } } } });
    expect(summary.plan.objects.filter((x) => x.action === 'conflict')).toEqual([]);

    expect(record!.adoptedFrom!.finishedAt).toEqual(expect.any(String));

    // repeated: helm's record is gone and the install record says the adoption finished: nothing to do
    const mark = env.cluster.log.length;
    const again = await run(env);
    expect(again).toMatchObject({ outcome: 'already', from: { release: RELEASE, finishedAt: record!.adoptedFrom!.finishedAt } });
    expect(writesSince(env.cluster.log, mark)).toEqual([]);
    expect(env.cluster.log.slice(mark).filter((r) => r.path === RECORD_PATH && r.method !== 'GET')).toEqual([]);
  });

  it('a dry run shows the takeover and changes nothing', async () => {
    const env = await umbrellaEnv();
    const summary = await adopt(env, { dryRun: true });
    expect(summary.plan.objects.find((x) => x.object.includes('controller-manager') && x.object.startsWith('Deployment'))?.note).toBe(`from helm release ${RELEASE}`);
    expect(summary.plan.objects.some((x) => x.action === 'prune' && x.object === `Job ${NS}/${RELEASE}-dynamo-operator-webhook-cert-gen-1`)).toBe(true);
    expect(summary.plan.helm.find((h) => h.release === `${RELEASE}-nats`)?.note).toMatch(/takes over the 2 objects of helm release dynamo-platform/);
    expect(writesSince(env.cluster.log, 0)).toEqual([]);
    expect(env.helm.installs()).toEqual([]);
  });

  it('install over the helm release refuses (exit 2) and points at adopt, with nothing changed', async () => {
    const env = await umbrellaEnv();
    const run = await install(env);
    expect(run.error).toBeInstanceOf(UserError);
    expect(run.error!.message).toBe(`the Dynamo platform in ${NS} was installed with helm (release ${RELEASE}); install does not take over a helm release; nothing was changed`);
    expect((run.error as UserError).hint).toBe(`take it over with: dynamoctl adopt --release ${RELEASE} -n ${NS} (or keep it with helm and install elsewhere)`);
    expect(writesSince(env.cluster.log, 0)).toEqual([]);
  });

  it('refuses a chart version it does not render, with nothing changed', async () => {
    const env = await umbrellaEnv({ version: '0.7.1' });
    const error = await adopt(env).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(`helm release ${RELEASE} in ${NS} is chart dynamo-platform 0.7.1; dynamoctl adopts chart dynamo-platform 0.8.x only`);
    expect(writesSince(env.cluster.log, 0)).toEqual([]);
  });

  it('finishes a takeover an interrupted run left half done (labelled ours, still helm’s annotation and fields)', async () => {
    const env = await umbrellaEnv();
    env.cluster.edit(DEPLOYMENT, (d) => {
      const m = d.metadata as Meta;
      m.labels = { ...m.labels, 'app.kubernetes.io/managed-by': 'dynamoctl', 'dynamoctl.nvidia.com/release-namespace': NS };
    }, 'dynamoctl');
    const summary = await adopt(env);
    expect(summary.plan.objects.find((x) => x.object === `Deployment ${NS}/${RELEASE}-dynamo-operator-controller-manager`)?.note).toMatch(/interrupted/);
    expect(writers(metaOf(env, DEPLOYMENT))).toEqual(['dynamoctl/Apply']);
    expect(metaOf(env, DEPLOYMENT).annotations?.['meta.helm.sh/release-name']).toBeUndefined();
  });

  it('forgets, never uninstalls, a handover release an interrupted run left pending-install (uninstalling would delete the objects)', async () => {
    const env = await umbrellaEnv();
    env.helm.set(`${RELEASE}-nats`, NS, { status: 'pending-install', chart: 'nats', version: '1.3.2' });
    const pendingRecord = `/api/v1/namespaces/${NS}/secrets/sh.helm.release.v1.${RELEASE}-nats.v1`;
    env.cluster.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `sh.helm.release.v1.${RELEASE}-nats.v1`, namespace: NS, labels: { owner: 'helm', name: `${RELEASE}-nats`, status: 'pending-install' } }, type: 'helm.sh/release.v1' }, { manager: 'helm' });
    const natsUid = metaOf(env, NATS).uid;
    await adopt(env);
    expect(env.cluster.get(pendingRecord)).toBeUndefined();
    expect(env.helm.calls.filter((c) => c.release === `${RELEASE}-nats` && (c.op === 'recover' || c.op === 'uninstall'))).toEqual([]);
    expect(env.helm.get(`${RELEASE}-nats`, NS)?.status).toBe('deployed');
    expect(metaOf(env, NATS).uid).toBe(natsUid);
  });

  it('stopped after helm forgot the umbrella but before the record said so: the next run only says it finished', async () => {
    const env = await umbrellaEnv();
    await adopt(env);
    const record = (await readRecord(env.cluster, RELEASE, NS))!;
    const { finishedAt: _gone, ...unfinished } = record.adoptedFrom!;
    env.cluster.edit(RECORD_PATH, (secret) => {
      (secret.data as Record<string, string>)['record.json'] = Buffer.from(JSON.stringify({ ...record, adoptedFrom: unfinished })).toString('base64');
    });
    const mark = env.cluster.log.length;
    expect(await run(env)).toMatchObject({ outcome: 'already' });
    expect((await readRecord(env.cluster, RELEASE, NS))!.adoptedFrom!.finishedAt).toEqual(expect.any(String));
    // nothing re-applied: the record's values are redacted and would put placeholders into Secrets
    expect(writesSince(env.cluster.log, mark)).toEqual([]);
    expect(env.helm.installs()).toHaveLength(3); // the first run's: CRDs, NATS, etcd
  });

  it('helm’s record gone while the install record says installing: refused, pointing at install with the user’s values', async () => {
    const env = await umbrellaEnv();
    env.helm.opts.failures = { [`${RELEASE}-etcd`]: 'timed out waiting for the condition' };
    await expect(adopt(env)).rejects.toThrow(/dynamo-platform-etcd/);
    env.cluster.remove(env.storage);
    const error = await run(env).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(`helm's record of release ${RELEASE} is gone, but the adoption did not finish (the install record says installing)`);
    expect((error as UserError).hint).toBe(`complete it with dynamoctl install --release ${RELEASE} -n ${NS} -f <the values you gave helm>`);
  });

  it('stopped by a failing helm install, then run again, converges', async () => {
    const env = await umbrellaEnv();
    env.helm.opts.failures = { [`${RELEASE}-etcd`]: 'timed out waiting for the condition' };
    await expect(adopt(env)).rejects.toThrow(/dynamo-platform-etcd/);
    expect(await readRecord(env.cluster, RELEASE, NS)).toMatchObject({ phase: 'installing', adoptedFrom: { release: RELEASE } });
    // helm's record of the umbrella goes last: still there
    expect(env.cluster.get(env.storage)).toBeDefined();

    delete env.helm.opts.failures;
    await adopt(env);
    expect(await readRecord(env.cluster, RELEASE, NS)).toMatchObject({ phase: 'installed' });
    expect(env.cluster.get(env.storage)).toBeUndefined();
    expect(writers(metaOf(env, DEPLOYMENT))).toEqual(['dynamoctl/Apply']);
  });
});
