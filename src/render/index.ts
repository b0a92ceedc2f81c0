/**
 * renderManifests: (values, cluster facts, generated material) → the operator's objects. Pure and
 * deterministic: no clock, randomness, environment or network; the same inputs give byte-identical YAML.
 */
import type { Values } from '../config/values-schema.ts';
import { objectKey, type KubeObject } from './k8s-types.ts';
import { namespaceOnly, renderContext, type ClusterFacts, type Material } from './context.ts';
import { deployment, kaiQueues, podMonitors, secretObjects, services, webhookObjects } from './operator.ts';
import { rbacObjects } from './rbac.ts';

export type { ClusterFacts, Material } from './context.ts';

/** Apply order: what others reference comes first (istio's install order, by kind). */
export const KIND_ORDER = [
  'Namespace',
  'CustomResourceDefinition',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Issuer',
  'Certificate',
  'Service',
  'Deployment',
  'ValidatingWebhookConfiguration',
  'PodMonitor',
  'Queue',
];

export function sortObjects(objects: KubeObject[]): KubeObject[] {
  const rank = (o: KubeObject): number => {
    const i = KIND_ORDER.indexOf(o.kind);
    return i === -1 ? KIND_ORDER.length : i;
  };
  return [...objects].sort((a, b) => rank(a) - rank(b) || objectKey(a).localeCompare(objectKey(b)));
}

export function renderManifests(values: Values, facts: ClusterFacts, material: Material | undefined, platformVersion: string): KubeObject[] {
  if (!values['dynamo-operator'].enabled) return [];
  const ctx = renderContext(values, platformVersion);
  const objects = [
    ...rbacObjects(ctx),
    ...secretObjects(ctx, material),
    ...services(ctx),
    deployment(ctx),
    ...webhookObjects(ctx, material),
    ...podMonitors(ctx, facts),
    ...kaiQueues(ctx),
  ];
  // --namespace-only: nothing cluster-scoped (the webhook is already off)
  if (namespaceOnly(values)) objects.splice(0, objects.length, ...objects.filter((o) => o.metadata.namespace !== undefined));
  const keys = new Set<string>();
  for (const o of objects) {
    const key = objectKey(o);
    // Two builders producing one name is a bug in dynamoctl, never in the user's input.
    if (keys.has(key)) throw new Error(`render produced ${key} twice`);
    keys.add(key);
  }
  return sortObjects(objects);
}
