/**
 * The object operations the engine executes: server-side apply (without force unless the user takes
 * over; with the planned resourceVersion as a precondition), delete with uid and resourceVersion
 * preconditions, and the listing of what carries an install's ownership labels.
 */
import type { ClusterApi } from '../cluster/client.ts';
import { ClusterError, ConflictError } from '../errors.ts';
import { KIND_RESOURCES, objectPath, type KubeObject } from '../render/k8s-types.ts';
import { identityPath, type ObjectIdentity } from './record.ts';

export const FIELD_MANAGER = 'dynamoctl';

/** The field manager of objects the user supplied through dynamoctl but owns (the wizard's pull secret). */
export const USER_FIELD_MANAGER = 'dynamoctl-user';

export interface ApplyOptions {
  fieldManager?: string;
  /** Take fields other managers own. */
  force?: boolean;
  /** Precondition: the object must still be at this version. */
  resourceVersion?: string;
}

const describe = (o: { kind: string; metadata: { name: string; namespace?: string } }): string => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** Server-side apply of one object. A field conflict or a changed object is a ConflictError that says which. */
export async function applyObject(kube: ClusterApi, object: KubeObject, opts: ApplyOptions = {}): Promise<Record<string, unknown>> {
  const body = opts.resourceVersion ? { ...object, metadata: { ...object.metadata, resourceVersion: opts.resourceVersion } } : object;
  try {
    return await kube.request('PATCH', objectPath(object), {
      body,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: opts.fieldManager ?? FIELD_MANAGER, force: opts.force ? 'true' : 'false' },
    });
  } catch (error) {
    if (!(error instanceof ClusterError) || error.status !== 409) throw error;
    const managers = [...error.message.matchAll(/conflicts? with "([^"]+)"/g)].map((m) => m[1]);
    if (managers.length) {
      throw new ConflictError(`${describe(object)}: fields are managed by ${[...new Set(managers)].join(', ')} (${error.message.replace(/^.*?: Apply failed with /, '')})`, {
        hint: 'leave them to that manager, or take them over with --force-conflicts',
      });
    }
    throw new ConflictError(`${describe(object)} changed since the plan was made`, { hint: 'review the new plan: run the command again' });
  }
}

/** Deletes what the plan saw, and only that: the same uid at the same version. Gone already is fine. */
export async function deleteObject(kube: ClusterApi, id: ObjectIdentity, preconditions: { uid?: string; resourceVersion?: string } = {}, propagationPolicy: 'Background' | 'Foreground' = 'Background'): Promise<void> {
  const path = identityPath(id);
  const pre = Object.fromEntries(Object.entries(preconditions).filter(([, v]) => v));
  await kube
    .request('DELETE', path, { body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy, ...(Object.keys(pre).length ? { preconditions: pre } : {}) } })
    .catch((error: unknown) => {
      if (error instanceof ClusterError && error.status === 404) return;
      if (error instanceof ClusterError && error.status === 409) {
        throw new ConflictError(`${id.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name} changed since the plan was made; not deleted`, { hint: 'review the new plan: run the command again' });
      }
      throw error;
    });
}

/** helm's ownership annotations: helm adopts an object whose annotations name the release it installs. */
export const HELM_RELEASE_ANNOTATIONS = ['meta.helm.sh/release-name', 'meta.helm.sh/release-namespace'] as const;

const escapePointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

type ManagedFieldsEntry = { manager?: string; operation?: string; subresource?: string };

/** Another writer of the object's fields (not dynamoctl's apply; status writers of a subresource do not count). */
export const isOtherOwner = (m: ManagedFieldsEntry): boolean => !m.subresource && !(m.manager === FIELD_MANAGER && m.operation === 'Apply');
type LiveMeta = { metadata: { uid?: string; annotations?: Record<string, string>; managedFields?: ManagedFieldsEntry[] } };

/**
 * Completes a takeover after dynamoctl applied the object: every other field manager's entry goes (helm's,
 * kubectl's: what they set is now dynamoctl's alone; a controller's status entry stays) and helm's release annotations go, in one JSON patch
 * that also tests the uid. A patch that writes managedFields replaces them as given.
 */
export async function dropOtherOwners(kube: ClusterApi, object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>, uid: string): Promise<void> {
  const path = objectPath(object);
  const live = await kube.request<LiveMeta>('GET', path);
  const ours = (live.metadata.managedFields ?? []).filter((m) => !isOtherOwner(m));
  const foreign = (live.metadata.managedFields ?? []).length !== ours.length;
  const annotations = HELM_RELEASE_ANNOTATIONS.filter((a) => live.metadata.annotations?.[a] !== undefined);
  if (!ours.some((m) => m.manager === FIELD_MANAGER) || (!foreign && !annotations.length)) return;
  const patch = [
    { op: 'test', path: '/metadata/uid', value: uid },
    ...(foreign ? [{ op: 'replace', path: '/metadata/managedFields', value: ours }] : []),
    ...annotations.map((a) => ({ op: 'remove', path: `/metadata/annotations/${escapePointer(a)}` })),
  ];
  await kube.request('PATCH', path, { body: patch, contentType: 'application/json-patch+json', query: { fieldManager: FIELD_MANAGER } });
}

/** Points an object's helm release annotations at `release` (uid tested), so that helm installing that release adopts it. */
export async function pointAtRelease(kube: ClusterApi, id: ObjectIdentity, release: string, namespace: string): Promise<void> {
  const path = identityPath(id);
  const patch = [
    ...(id.uid ? [{ op: 'test', path: '/metadata/uid', value: id.uid }] : []),
    { op: 'add', path: `/metadata/annotations/${escapePointer(HELM_RELEASE_ANNOTATIONS[0])}`, value: release },
    { op: 'add', path: `/metadata/annotations/${escapePointer(HELM_RELEASE_ANNOTATIONS[1])}`, value: namespace },
  ];
  await kube.request('PATCH', path, { body: patch, contentType: 'application/json-patch+json', query: { fieldManager: FIELD_MANAGER } });
}

/** The kinds an install may own, for pruning and uninstall (every kind the renderer can produce). */
export const OWNED_KINDS: readonly { apiVersion: string; kind: string }[] = Object.entries(KIND_RESOURCES)
  .filter(([kind]) => !['Namespace', 'CustomResourceDefinition', 'Lease', 'StatefulSet', 'PodDisruptionBudget', 'ConfigMap', 'Job', 'NetworkPolicy', 'Ingress'].includes(kind))
  .map(([kind, [group]]) => ({ kind, apiVersion: group ? `${group}/${kind === 'Queue' ? 'v2' : 'v1'}` : 'v1' }));

export interface OwnedObject<M = { name: string; namespace?: string; uid?: string; resourceVersion?: string; labels?: Record<string, string>; managedFields?: { manager?: string; operation?: string }[] }> {
  apiVersion: string;
  kind: string;
  object: { metadata: M };
}

/** Objects matching `selector` (metadata only: labels, uid, version, managed fields) in `namespaces`, per kind; forbidden or unserved kinds skipped. */
export async function ownedObjects(kube: ClusterApi, selector: string, kinds: readonly { apiVersion: string; kind: string }[], namespaces: readonly string[]): Promise<OwnedObject[]> {
  const collections = kinds.flatMap((kind) =>
    KIND_RESOURCES[kind.kind]?.[2]
      ? [...new Set(namespaces)].map((namespace) => ({ kind, path: objectPath({ ...kind, metadata: { name: '', namespace } }, false) }))
      : [{ kind, path: objectPath({ ...kind, metadata: { name: '' } }, false) }],
  );
  const found = await Promise.all(
    collections.map(async ({ kind, path }) => {
      const items = await kube.list<OwnedObject['object']>(path, { labelSelector: selector, metadataOnly: true }).catch((error: unknown) => {
        // 404: the kind's API is not served; 403: kinds a namespace admin cannot own anyway
        if (error instanceof ClusterError && (error.status === 404 || error.status === 403)) return [];
        throw error;
      });
      return items.map((object) => ({ apiVersion: kind.apiVersion, kind: kind.kind, object }));
    }),
  );
  return found.flat();
}
