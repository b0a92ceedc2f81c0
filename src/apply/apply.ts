/**
 * Plan and apply. The plan asks the API server (server-side apply with dryRun=All) what each object would
 * become, so "create", "update" and "unchanged" are the server's answer, defaults and admission included;
 * objects carrying this install's ownership labels that are no longer rendered are to be pruned.
 * Apply is server-side apply with one field manager, in the order the objects come (render sorts them
 * so that what others reference comes first).
 */
import type { Kube } from '../cluster/client.ts';
import { ClusterError } from '../errors.ts';
import { KIND_RESOURCES, objectKey, objectPath, type KubeObject } from '../render/k8s-types.ts';
import { canonical } from '../render/serialize.ts';

export const FIELD_MANAGER = 'dynamoctl';

export type Change = 'create' | 'update' | 'unchanged';

export interface PlanEntry {
  object: KubeObject;
  change: Change;
}

export interface Plan {
  entries: PlanEntry[];
  /** Owned objects of this install that the new render no longer has. */
  prune: KubeObject[];
}

/** What differs only by bookkeeping the server writes on every apply. */
function comparable(o: Record<string, unknown> | undefined): string {
  if (!o) return '';
  const { metadata, status, ...rest } = o as { metadata?: Record<string, unknown>; status?: unknown };
  const { managedFields, resourceVersion, generation, creationTimestamp, uid, ...meta } = metadata ?? {};
  return JSON.stringify(canonical({ ...rest, metadata: meta } as unknown as KubeObject));
}

/** The field manager of objects the user supplied through dynamoctl but owns (the wizard's pull secret). */
export const USER_FIELD_MANAGER = 'dynamoctl-user';

/** Server-side apply of one object. */
export function applyObject(kube: Kube, object: KubeObject, fieldManager = FIELD_MANAGER, dryRun = false): Promise<Record<string, unknown>> {
  return kube.request('PATCH', objectPath(object), {
    body: object,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager, force: 'true', ...(dryRun ? { dryRun: 'All' } : {}) },
  });
}

const apply = (kube: Kube, object: KubeObject, dryRun: boolean): Promise<Record<string, unknown>> => applyObject(kube, object, FIELD_MANAGER, dryRun);

/**
 * The plan for `objects`. `ownedSelector` finds what this install owns (its ownership labels); `kinds`
 * lists the kinds it may own, so pruning also finds kinds the new render no longer has.
 */
export async function planObjects(
  kube: Kube,
  objects: readonly KubeObject[],
  opts: { ownedSelector: string; kinds: readonly { apiVersion: string; kind: string }[]; namespaces: readonly string[] },
): Promise<Plan> {
  const entries: PlanEntry[] = [];
  for (const object of objects) {
    const current = await kube.getOptional<Record<string, unknown>>(objectPath(object));
    if (!current) {
      entries.push({ object, change: 'create' });
      continue;
    }
    // a namespaced object whose namespace is missing cannot be dry-run; it is a create anyway
    const after = await apply(kube, object, true).catch((error: unknown) => {
      if (error instanceof ClusterError && error.status === 404) return undefined;
      throw error;
    });
    entries.push({ object, change: comparable(after) === comparable(current) ? 'unchanged' : 'update' });
  }
  const rendered = new Set(objects.map(objectKey));
  const prune: KubeObject[] = [];
  const collections = opts.kinds.flatMap((kind) =>
    KIND_RESOURCES[kind.kind]?.[2]
      ? opts.namespaces.map((namespace) => ({ kind, path: objectPath({ ...kind, metadata: { name: '', namespace } }, false) }))
      : [{ kind, path: objectPath({ ...kind, metadata: { name: '' } }, false) }],
  );
  for (const { kind, path } of collections) {
    const owned = await kube.list<KubeObject>(path, { labelSelector: opts.ownedSelector, metadataOnly: true }).catch((error: unknown) => {
      // 404: the kind's API is not served; 403: cluster-scoped kinds a namespace admin cannot own anyway
      if (error instanceof ClusterError && (error.status === 404 || error.status === 403)) return [];
      throw error;
    });
    for (const o of owned) {
      const full = { ...o, apiVersion: kind.apiVersion, kind: kind.kind };
      if (!rendered.has(objectKey(full))) prune.push(full);
    }
  }
  return { entries, prune };
}

export type ApplyEvent = { type: 'applied'; object: KubeObject; change: Change } | { type: 'pruned'; object: KubeObject };

/** Applies the plan (skipping unchanged objects), then prunes. Creates the namespace first when asked. */
export async function applyPlan(kube: Kube, plan: Plan, opts: { onEvent?: (e: ApplyEvent) => void } = {}): Promise<void> {
  for (const entry of plan.entries) {
    if (entry.change === 'unchanged') continue;
    await apply(kube, entry.object, false);
    opts.onEvent?.({ type: 'applied', object: entry.object, change: entry.change });
  }
  for (const object of plan.prune) {
    await kube.request('DELETE', objectPath(object), { body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' } }).catch((error: unknown) => {
      if (!(error instanceof ClusterError) || error.status !== 404) throw error;
    });
    opts.onEvent?.({ type: 'pruned', object });
  }
}

/** The kinds an install may own, for pruning (every kind the renderer can produce). */
export const OWNED_KINDS: readonly { apiVersion: string; kind: string }[] = Object.entries(KIND_RESOURCES)
  .filter(([kind]) => !['Namespace', 'CustomResourceDefinition', 'Lease', 'StatefulSet', 'PodDisruptionBudget', 'ConfigMap'].includes(kind))
  .map(([kind, [group]]) => ({ kind, apiVersion: group ? `${group}/${kind === 'Queue' ? 'v2' : 'v1'}` : 'v1' }));
