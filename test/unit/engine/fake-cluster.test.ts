/** The in-memory cluster answers as kube-apiserver does (the behaviours the engine relies on). */
import { describe, expect, it } from 'vitest';
import { inspect } from '../../../src/apply/wait.ts';
import { ClusterError } from '../../../src/errors.ts';
import { FakeCluster } from '../../helpers/fake-cluster.ts';

type Tree = Record<string, unknown>;
const SECRETS = '/api/v1/namespaces/default/secrets';
const DEPLOY = '/apis/apps/v1/namespaces/default/deployments/op';
const apply = (c: FakeCluster, path: string, body: Tree, manager = 'dynamoctl', force = false) =>
  c.request<Tree>('PATCH', path, { body, contentType: 'application/apply-patch+yaml', query: { fieldManager: manager, force: String(force) } });
const deployment = (image: string, replicas = 1): Tree => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'op', namespace: 'default', labels: { app: 'op' } },
  spec: { replicas, selector: { matchLabels: { app: 'op' } }, template: { metadata: { labels: { app: 'op' } }, spec: { containers: [{ name: 'manager', image, args: ['--v=0'], ports: [{ containerPort: 9443, name: 'webhook' }] }] } } },
});
const metaOf = (o: Tree | undefined): Tree => (o?.metadata ?? {}) as Tree;
const failure = async (p: Promise<unknown>): Promise<{ status: number | undefined; message: string }> => {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(ClusterError);
  return { status: (e as ClusterError).status, message: (e as ClusterError).message };
};

describe('reads', () => {
  it('GET of a missing object and of an unserved resource: 404 as the client reports it', async () => {
    const c = new FakeCluster();
    expect(await failure(c.request('GET', `${SECRETS}/nope`))).toEqual({ status: 404, message: `GET ${SECRETS}/nope failed (404): secrets "nope" not found` });
    expect((await failure(c.request('GET', '/apis/monitoring.coreos.com/v1/namespaces/default/podmonitors'))).status).toBe(404);
    expect(await c.getOptional(`${SECRETS}/nope`)).toBeUndefined();
  });

  it.each([
    ['a=1', undefined, ['one', 'both']],
    ['a!=1', undefined, ['two', 'none']],
    ['a=1,b=2', undefined, ['both']],
    ['b', undefined, ['two', 'both']],
    ['!b', undefined, ['one', 'none']],
    [undefined, 'type=kubernetes.io/dockerconfigjson', ['two']],
    [undefined, 'metadata.name=none', ['none']],
    ['a=1', 'type=Opaque', ['one', 'both']],
  ])('LIST labelSelector %s fieldSelector %s', async (labelSelector, fieldSelector, names) => {
    const c = new FakeCluster();
    const secret = (name: string, labels: Tree, type = 'Opaque'): Tree => ({ apiVersion: 'v1', kind: 'Secret', type, metadata: { name, namespace: 'default', labels } });
    for (const s of [secret('one', { a: '1' }), secret('two', { a: '2', b: '2' }, 'kubernetes.io/dockerconfigjson'), secret('both', { a: '1', b: '2' }), secret('none', {})]) c.seed(s);
    const items = await c.list<{ metadata: { name: string } }>(SECRETS, { ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) });
    expect(items.map((i) => i.metadata.name)).toEqual(names);
  });

  it('a field selector the resource does not support is a 400; metadata-only lists carry managed fields', async () => {
    const c = new FakeCluster({ deploymentController: false });
    expect((await failure(c.list('/apis/apps/v1/deployments', { fieldSelector: 'type=x' }))).status).toBe(400);
    await apply(c, DEPLOY, deployment('op:1'));
    const [item] = await c.list<Tree>('/apis/apps/v1/deployments', { metadataOnly: true });
    expect(item).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'op', namespace: 'default', managedFields: [{ manager: 'dynamoctl', operation: 'Apply' }] } });
    expect(item).not.toHaveProperty('spec');
  });
});

describe('writes', () => {
  it('POST: 409 when it exists, 404 in a namespace that does not; PUT: 409 on a stale resourceVersion', async () => {
    const c = new FakeCluster();
    const body = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } };
    const created = await c.request<Tree>('POST', SECRETS, { body });
    expect(metaOf(created)).toMatchObject({ uid: expect.any(String), resourceVersion: expect.any(String) });
    expect(await failure(c.request('POST', SECRETS, { body }))).toEqual({ status: 409, message: `POST ${SECRETS} failed (409): secrets "s" already exists` });
    expect(await failure(c.request('POST', '/api/v1/namespaces/missing/secrets', { body }))).toEqual({ status: 404, message: 'POST /api/v1/namespaces/missing/secrets failed (404): namespaces "missing" not found' });
    const updated = await c.request<Tree>('PUT', `${SECRETS}/s`, { body: { ...body, metadata: { name: 's', resourceVersion: metaOf(created).resourceVersion }, data: { a: 'YQ==' } } });
    expect(metaOf(updated).resourceVersion).not.toBe(metaOf(created).resourceVersion);
    expect((await failure(c.request('PUT', `${SECRETS}/s`, { body: { ...body, metadata: { name: 's', resourceVersion: metaOf(created).resourceVersion } } }))).message).toMatch(/the object has been modified; please apply your changes/);
  });

  it('server-side apply: creates, writes managedFields as the server does, skips a no-op, honours a resourceVersion precondition', async () => {
    const c = new FakeCluster({ deploymentController: false });
    const first = await apply(c, DEPLOY, deployment('op:1'));
    const fields = (metaOf(first).managedFields as { fieldsV1: Tree }[])[0]!.fieldsV1;
    expect(fields).toMatchObject({ 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"manager"}': { '.': {}, 'f:args': {}, 'f:ports': { 'k:{"containerPort":9443,"protocol":"TCP"}': { '.': {}, 'f:name': {} } } } } } } } });
    expect(first.spec).toMatchObject({ revisionHistoryLimit: 10 }); // defaulted by the server, not owned
    expect(JSON.stringify(fields)).not.toContain('revisionHistoryLimit');
    const again = await apply(c, DEPLOY, deployment('op:1'));
    expect(metaOf(again).resourceVersion).toBe(metaOf(first).resourceVersion);
    const stale = { ...deployment('op:2'), metadata: { ...metaOf(deployment('op:2')), resourceVersion: '1' } };
    expect(await failure(apply(c, DEPLOY, stale))).toEqual({ status: 409, message: `PATCH ${DEPLOY} failed (409): Operation cannot be fulfilled on deployments.apps "op": the object has been modified; please apply your changes to the latest version and try again` });
  });

  it('server-side apply: other managers\' fields conflict with the server\'s message; force takes them', async () => {
    const c = new FakeCluster({ deploymentController: false });
    await apply(c, DEPLOY, deployment('op:1'));
    c.edit(DEPLOY, (d) => void ((d.spec as Tree).replicas = 3));
    expect((await failure(apply(c, DEPLOY, deployment('op:1')))).message).toBe(`PATCH ${DEPLOY} failed (409): Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas`);
    await apply(c, DEPLOY, deployment('op:1', 3)); // the same value: shared, no conflict
    await apply(c, DEPLOY, deployment('op:9', 3), 'helm', true); // takes the image from dynamoctl
    expect((await failure(apply(c, DEPLOY, deployment('op:1', 1)))).message).toBe(
      `PATCH ${DEPLOY} failed (409): Apply failed with 3 conflicts: conflicts with "helm":\n- .spec.replicas\n- .spec.template.spec.containers[name="manager"].image\nconflicts with "kubectl-edit" using apps/v1:\n- .spec.replicas`,
    );
    const forced = await apply(c, DEPLOY, deployment('op:1', 1), 'dynamoctl', true);
    expect(forced.spec).toMatchObject({ replicas: 1 });
    const managers = metaOf(forced).managedFields as { manager: string; fieldsV1: Tree }[];
    expect(managers.map((m) => m.manager)).toEqual(['dynamoctl', 'helm']);
    expect(JSON.stringify(managers[1]!.fieldsV1)).not.toMatch(/f:replicas|f:image/);
  });

  it('DELETE honours uid and resourceVersion preconditions; a merge patch is an Update by its manager', async () => {
    const c = new FakeCluster();
    const s = await c.request<Tree>('POST', SECRETS, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } } });
    const patched = await c.request<Tree>('PATCH', `${SECRETS}/s`, { body: { metadata: { labels: { a: '1' } } }, contentType: 'application/merge-patch+json', query: { fieldManager: 'kubectl-label' } });
    expect(metaOf(patched).managedFields).toContainEqual(expect.objectContaining({ manager: 'kubectl-label', operation: 'Update', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:a': {} } } } }));
    for (const preconditions of [{ uid: 'other' }, { resourceVersion: metaOf(s).resourceVersion }]) {
      expect((await failure(c.request('DELETE', `${SECRETS}/s`, { body: { preconditions } }))).message).toMatch(/Precondition failed: (UID|ResourceVersion) in precondition/);
    }
    await c.request('DELETE', `${SECRETS}/s`, { body: { preconditions: { uid: metaOf(s).uid } } });
    expect((await failure(c.request('DELETE', `${SECRETS}/s`))).status).toBe(404);
  });
});

it('requests reject with the signal\'s reason once it is aborted', async () => {
  const c = new FakeCluster();
  const controller = new AbortController();
  c.signal = controller.signal;
  const pending = c.request('GET', '/api/v1/namespaces/default');
  controller.abort(new Error('lock lost'));
  await expect(pending).rejects.toThrow('lock lost');
  await expect(c.list('/api/v1/namespaces')).rejects.toThrow('lock lost');
});

it('the deployment controller makes a Deployment available after each spec change, as waitForReady checks', async () => {
  const c = new FakeCluster();
  await apply(c, DEPLOY, deployment('op:1'));
  await new Promise((r) => setImmediate(r));
  expect(await inspect(c, { kind: 'Deployment', name: 'op', namespace: 'default' })).toMatchObject({ ready: true, message: '1/1 replicas available' });
  expect(await inspect(new FakeCluster({ deploymentController: false }), { kind: 'Deployment', name: 'op', namespace: 'default' })).toMatchObject({ ready: false });
});
