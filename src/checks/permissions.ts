/**
 * The permissions an install needs, derived from what it will create, and how to ask the API server
 * whether this user holds them (one SelfSubjectAccessReview each, in parallel).
 */
import type { Kube } from '../cluster/client.ts';
import type { Values } from '../config/values-schema.ts';
import { KIND_RESOURCES, type KubeObject } from '../render/k8s-types.ts';

export interface Permission {
  verb: string;
  group: string;
  resource: string;
  /** Undefined: cluster-wide. */
  namespace?: string | undefined;
}

/** Server-side apply needs get, create and patch; uninstall needs delete. */
const APPLY_VERBS = ['get', 'create', 'patch', 'delete'];

export function requiredPermissions(values: Values, objects: readonly KubeObject[], opts: { namespaceExists: boolean; crdsMissing: boolean }): Permission[] {
  const ns = values.dynamoctl.namespace;
  const kinds = new Map<string, string | undefined>();
  for (const o of objects) kinds.set(`${o.kind}/${o.metadata.namespace ?? ''}`, o.metadata.namespace);
  // helm keeps release state in Secrets; the NATS and etcd charts create these in the install namespace
  for (const kind of ['Secret', 'ConfigMap', 'Service', 'StatefulSet', 'ServiceAccount', 'PodDisruptionBudget']) {
    if (values.nats.enabled || values.etcd.enabled || kind === 'Secret') kinds.set(`${kind}/${ns}`, ns);
  }
  const clusterWide = !values['dynamo-operator'].namespaceRestriction.enabled;
  if (clusterWide && (values.grove.enabled || values['kai-scheduler'].enabled)) {
    for (const kind of ['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Deployment']) kinds.set(`${kind}/${kind === 'Deployment' ? ns : ''}`, kind === 'Deployment' ? ns : undefined);
  }
  if (clusterWide && opts.crdsMissing) kinds.set('CustomResourceDefinition/', undefined);
  const permissions: Permission[] = [];
  if (!opts.namespaceExists) permissions.push({ verb: 'create', group: '', resource: 'namespaces' });
  for (const [key, namespace] of kinds) {
    const mapping = KIND_RESOURCES[key.split('/')[0]!];
    if (!mapping) continue;
    const verbs = key.startsWith('Secret/') ? [...APPLY_VERBS, 'list', 'update'] : APPLY_VERBS;
    for (const verb of verbs) permissions.push({ verb, group: mapping[0], resource: mapping[1], namespace });
  }
  return permissions;
}

export function describePermission(p: Permission): string {
  return `${p.verb} ${p.resource}${p.group ? `.${p.group}` : ''} ${p.namespace ? `in namespace ${p.namespace}` : '(cluster-wide)'}`;
}

/** The permissions from `wanted` that this user lacks. */
export async function missingPermissions(kube: Kube, wanted: readonly Permission[]): Promise<Permission[]> {
  const answers = await Promise.all(
    wanted.map(async (p) => {
      const review = await kube.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { verb: p.verb, group: p.group, resource: p.resource, ...(p.namespace ? { namespace: p.namespace } : {}) } },
        },
      });
      return review.status?.allowed === true ? undefined : p;
    }),
  );
  return answers.filter((p): p is Permission => p !== undefined);
}

/** Missing permissions as the lines of a Role/ClusterRole an admin could grant. */
export function summarisePermissions(missing: readonly Permission[]): string[] {
  const groups = new Map<string, Set<string>>();
  for (const p of missing) {
    const key = `${p.resource}${p.group ? `.${p.group}` : ''} ${p.namespace ? `in namespace ${p.namespace}` : '(cluster-wide)'}`;
    groups.set(key, (groups.get(key) ?? new Set()).add(p.verb));
  }
  return [...groups].map(([what, verbs]) => `${[...verbs].join(',')} ${what}`);
}
