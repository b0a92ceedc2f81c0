/**
 * The uninstall's reads of the cluster: what carries the install's labels, the Dynamo custom resources,
 * what a namespace still holds, and what is left after the uninstall.
 */
import { OWNED_KINDS, ownedObjects } from '../apply/apply.ts';
import { identityPath, RECORD_TYPE, recordName, type HelmReleaseRecord, type InstallRecord, type ObjectIdentity } from '../apply/record.ts';
import { CRDS_NAMESPACE, DYNAMO_CRDS } from '../checks/preflight.ts';
import { unlessForbidden, type ClusterApi } from '../cluster/client.ts';
import { discoverOperators, servedResources } from '../cluster/discovery.ts';
import { SUBCHART_KEYS } from '../components/table.ts';
import type { ExistingOperator } from '../conflicts/types.ts';
import { ClusterError, UserError } from '../errors.ts';
import { releaseStatus } from '../helm/install.ts';
import { ownershipSelector } from '../render/labels.ts';
import { subchartRelease } from '../render/names.ts';
import { deleteCommand, describeObject, mergeObjects, sortForDeletion, type Inventory, type Leftover, type UninstallPlan } from './uninstall-plan.ts';
import type { UninstallOptions } from './uninstall.ts';
export const ignoreStatus =
  (...codes: number[]) =>
  (error: unknown): undefined => {
    if (error instanceof ClusterError && error.status !== undefined && codes.includes(error.status)) return undefined;
    throw error;
  };


/**
 * Objects carrying the install's ownership labels that dynamoctl's field manager wrote, in its namespaces
 * (forbidden or unserved kinds skipped), with their uid for the delete precondition.
 */
export async function labelledObjects(kube: ClusterApi, release: string, namespaces: readonly string[]): Promise<ObjectIdentity[]> {
  const found = await ownedObjects(kube, ownershipSelector(release, namespaces[0] ?? ''), OWNED_KINDS, namespaces);
  return found
    .filter((o) => (o.object.metadata.managedFields ?? []).some((m) => m.manager === 'dynamoctl'))
    .map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.object.metadata.name, ...(o.object.metadata.namespace ? { namespace: o.object.metadata.namespace } : {}), ...(o.object.metadata.uid ? { uid: o.object.metadata.uid } : {}) }));
}

/**
 * Other installs' records that use an object of ours as shared (`record.shared`): such objects are handed
 * to one of them, not deleted. A user who may not list records everywhere sees those of the namespace.
 */
export async function sharers(kube: ClusterApi, release: string, namespace: string): Promise<Map<string, { release: string; namespace: string }>> {
  const list = (path: string): Promise<{ data?: Record<string, string> }[]> => kube.list(path, { fieldSelector: `type=${RECORD_TYPE}` });
  const secrets = (await unlessForbidden(list('/api/v1/secrets'))) ?? (await unlessForbidden(list(`/api/v1/namespaces/${namespace}/secrets`))) ?? [];
  const users = new Map<string, { release: string; namespace: string }>();
  for (const s of secrets) {
    const raw = s.data?.['record.json'];
    if (!raw) continue;
    const r = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as InstallRecord;
    if (r.release === release && r.namespace === namespace) continue;
    for (const o of r.shared ?? []) users.set(`${o.kind}:${o.namespace ?? ''}:${o.name}`, { release: r.release, namespace: r.namespace });
  }
  return users;
}

/** The Dynamo custom resource collections the API serves (plural, group/version), found through discovery. */
async function dynamoResources(kube: ClusterApi): Promise<{ groupVersion: string; plural: string }[]> {
  const group = await kube.getOptional<{ versions?: { groupVersion: string }[]; preferredVersion?: { groupVersion: string } }>('/apis/nvidia.com');
  const gv = group?.preferredVersion?.groupVersion ?? group?.versions?.[0]?.groupVersion;
  if (!gv) return [];
  const served = await servedResources(kube, gv);
  return served.filter((plural) => DYNAMO_CRDS.includes(`${plural}.nvidia.com`)).map((plural) => ({ groupVersion: gv, plural }));
}

interface CustomResource {
  path: string;
  label: string;
  finalizers: string[];
}

/** Every Dynamo custom resource, in `namespace` or (undefined) in the whole cluster. */
export async function customResources(kube: ClusterApi, namespace: string | undefined): Promise<CustomResource[]> {
  const resources = await dynamoResources(kube);
  const lists = await Promise.all(
    resources.map(async ({ groupVersion, plural }) => {
      const base = `/apis/${groupVersion}${namespace ? `/namespaces/${namespace}` : ''}/${plural}`;
      const items = (await kube.list<{ kind?: string; metadata: { name: string; namespace?: string; finalizers?: string[] } }>(base, { metadataOnly: true }).catch(ignoreStatus(403, 404))) ?? [];
      return items.map((i) => ({
        path: `/apis/${groupVersion}/namespaces/${i.metadata.namespace ?? namespace ?? ''}/${plural}/${i.metadata.name}`,
        label: `${plural}.nvidia.com ${i.metadata.namespace ?? namespace}/${i.metadata.name}`,
        finalizers: i.metadata.finalizers ?? [],
      }));
    }),
  );
  return lists.flat();
}

/** Polls until every path answers 404; returns those still there at the deadline. */
export async function waitGone(kube: ClusterApi, paths: readonly string[], timeoutMs: number, update?: (detail: string) => void): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = [...paths];
  for (;;) {
    const present = await Promise.all(left.map(async (p) => ((await unlessForbidden(kube.getOptional(p), undefined)) === undefined ? undefined : p)));
    left = present.filter((p): p is string => p !== undefined);
    if (!left.length || Date.now() >= deadline) return left;
    update?.(`waiting for ${left.length} to disappear`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Someone else's install of the platform with the upstream Helm chart: recognised, left to helm. */
export function helmChartRefusal(release: string, namespace: string, crdsRelease: boolean): UserError {
  const steps = [`to manage it with dynamoctl first: dynamoctl adopt --release ${release} -n ${namespace}; to remove it with helm: helm uninstall ${release} -n ${namespace}`];
  if (crdsRelease) steps.push(`then, for the CRDs (only when no other Dynamo operator remains): helm uninstall dynamo-crds -n ${CRDS_NAMESPACE}`);
  return new UserError(`release ${release} in ${namespace} was installed with the dynamo-platform Helm chart, not with dynamoctl`, { hint: steps.join('; ') });
}

export const operatorLabel = (o: ExistingOperator): string =>
  `${o.release} in ${o.namespace ?? 'an unknown namespace'} (${o.scope === 'cluster' ? 'cluster-wide' : `restricted to ${o.targetNamespace ?? '?'}`}, ${o.installedBy === 'dynamoctl' ? 'dynamoctl' : 'Helm chart'})`;

/** Finds what the install of `release` in `namespace` consists of. */
export async function findInventory(kube: ClusterApi, o: UninstallOptions, record: InstallRecord | undefined): Promise<{ inventory: Inventory; ours: ExistingOperator | undefined }> {
  const local = await discoverOperators(kube, { namespaces: [o.namespace] });
  const ours = local.operators.find((x) => x.release === o.release && x.namespace === o.namespace);
  const scope = record?.scope ?? ours?.scope ?? 'namespace';
  const targetNamespace = record?.targetNamespace || ours?.targetNamespace || o.namespace;
  const labelled = await labelledObjects(kube, o.release, [o.namespace, targetNamespace]);
  const listed = new Set(mergeObjects(record?.inventory ?? [], record?.shared ?? []).map((i) => `${i.kind}:${i.namespace ?? ''}:${i.name}`));
  const helmReleases: HelmReleaseRecord[] = record ? [...record.helmReleases] : [];
  if (!record) {
    // no record: the subchart releases dynamoctl names after the release, where they exist
    const found = await Promise.all(
      SUBCHART_KEYS.map(async (component) => {
        const name = subchartRelease(o.release, component);
        const state = await releaseStatus(name, o.namespace, o.helm);
        return state ? { component, release: name, namespace: o.namespace, chart: state.chart, version: state.version } : undefined;
      }),
    );
    helmReleases.push(...found.filter((r) => r !== undefined));
    if (scope === 'cluster' && (labelled.length || helmReleases.length) && (await releaseStatus('dynamo-crds', CRDS_NAMESPACE, o.helm).catch(() => undefined))) {
      helmReleases.push({ component: 'dynamo-crds', release: 'dynamo-crds', namespace: CRDS_NAMESPACE, chart: 'dynamo-crds', version: '' });
    }
  }
  const inventory: Inventory = {
    source: record ? 'record' : 'labels',
    scope,
    targetNamespace,
    createdNamespace: record?.createdNamespace ?? false,
    // what carries our labels now and, with a record, what it lists: objects relabelled since are not ours
    objects: record ? labelled.filter((l) => listed.has(`${l.kind}:${l.namespace ?? ''}:${l.name}`)) : labelled,
    helmReleases,
    hasRecord: record !== undefined,
  };
  return { inventory, ours };
}


/** What else a namespace holds (the install record aside): anything means it is not ours to delete. */
export async function namespaceContents(kube: ClusterApi, namespace: string, release: string): Promise<string[]> {
  const collections: [string, string, (name: string) => boolean][] = [
    ['pods', `/api/v1/namespaces/${namespace}/pods`, () => true],
    ['services', `/api/v1/namespaces/${namespace}/services`, () => true],
    ['secrets', `/api/v1/namespaces/${namespace}/secrets`, (n) => n !== recordName(release)],
    ['configmaps', `/api/v1/namespaces/${namespace}/configmaps`, (n) => n !== 'kube-root-ca.crt'],
    ['serviceaccounts', `/api/v1/namespaces/${namespace}/serviceaccounts`, (n) => n !== 'default'],
    ['persistentvolumeclaims', `/api/v1/namespaces/${namespace}/persistentvolumeclaims`, () => true],
    ['deployments', `/apis/apps/v1/namespaces/${namespace}/deployments`, () => true],
    ['statefulsets', `/apis/apps/v1/namespaces/${namespace}/statefulsets`, () => true],
    ['roles', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`, () => true],
    ['rolebindings', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, () => true],
  ];
  const found = await Promise.all(
    collections.map(async ([what, path, counts]) => {
      const items = (await kube.list<{ metadata: { name: string } }>(path, { metadataOnly: true }).catch(ignoreStatus(403, 404))) ?? [];
      return items.filter((i) => counts(i.metadata.name)).map((i) => `${what}/${i.metadata.name}`);
    }),
  );
  const crs = (await customResources(kube, namespace)).map((c) => c.label);
  return [...found.flat(), ...crs];
}

/** What remains of the install after the uninstall: labelled objects, helm releases, a stuck namespace. */
export async function findLeftovers(kube: ClusterApi, o: UninstallOptions, inventory: Inventory, plan: UninstallPlan): Promise<Leftover[]> {
  const leftovers: Leftover[] = [];
  const objects = await labelledObjects(kube, o.release, [o.namespace, inventory.targetNamespace]);
  for (const obj of sortForDeletion(objects)) {
    let why = 'still carries the install’s ownership labels';
    if (obj.kind === 'ValidatingWebhookConfiguration') {
      const hook = await kube.getOptional<{ webhooks?: { clientConfig?: { service?: { name: string; namespace: string } } }[] }>(identityPath(obj)).catch(() => undefined);
      const svc = hook?.webhooks?.find((w) => w.clientConfig?.service)?.clientConfig?.service;
      if (svc && !(await unlessForbidden(kube.getOptional(`/api/v1/namespaces/${svc.namespace}/services/${svc.name}`), {}))) {
        why = `its service ${svc.namespace}/${svc.name} is gone: every request it matches is refused`;
      }
    }
    leftovers.push({ what: describeObject(obj), why, command: deleteCommand(obj) });
  }
  const releases = [...plan.subcharts, ...(plan.deleteCrds ? inventory.helmReleases.filter((r) => r.component === 'dynamo-crds') : [])];
  for (const r of releases) {
    const state = await releaseStatus(r.release, r.namespace, o.helm).catch(() => undefined);
    if (state) leftovers.push({ what: `helm release ${r.release} in ${r.namespace}`, why: `still ${state.status}`, command: `helm uninstall ${r.release} -n ${r.namespace}` });
  }
  const ns = await unlessForbidden(kube.getOptional<{ status?: { phase?: string } }>(`/api/v1/namespaces/${o.namespace}`));
  if (ns?.status?.phase === 'Terminating') {
    leftovers.push({
      what: `namespace ${o.namespace}`,
      why: 'stuck Terminating (something in it has a finalizer nobody completes)',
      command: `kubectl api-resources --verbs=list --namespaced -o name | xargs -n1 kubectl get -n ${o.namespace} --ignore-not-found --show-kind`,
    });
  }
  return leftovers;
}

