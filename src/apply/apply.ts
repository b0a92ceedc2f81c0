/**
 * The object operations the engine executes: server-side apply (without force unless the user takes
 * over; with the planned resourceVersion as a precondition), delete with uid and resourceVersion
 * preconditions, and the listing of what carries an install's ownership labels.
 */
import type { ClusterApi } from '../cluster/client.ts';
import { ClusterError, ConflictError } from '../errors.ts';
import { KIND_RESOURCES, objectPath, type KubeObject } from '../render/k8s-types.ts';
import type { ObjectIdentity } from './record.ts';

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
  const path = objectPath({ apiVersion: id.apiVersion, kind: id.kind, metadata: { name: id.name, ...(id.namespace ? { namespace: id.namespace } : {}) } });
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

/** The kinds an install may own, for pruning and uninstall (every kind the renderer can produce). */
export const OWNED_KINDS: readonly { apiVersion: string; kind: string }[] = Object.entries(KIND_RESOURCES)
  .filter(([kind]) => !['Namespace', 'CustomResourceDefinition', 'Lease', 'StatefulSet', 'PodDisruptionBudget', 'ConfigMap'].includes(kind))
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
