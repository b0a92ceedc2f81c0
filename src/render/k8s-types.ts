/**
 * The few Kubernetes shapes the pure renderer builds, declared here so render/ never imports
 * client-node (an edge library). They are structurally compatible with client-node's models.
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Any Kubernetes object dynamoctl renders. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface V1PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: 'ServiceAccount' | 'User' | 'Group';
  name: string;
  namespace?: string;
  apiGroup?: string;
}

/** Kind:namespace:name, the identity of an object across renders and the cluster. */
export function objectKey(o: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${o.kind}:${o.metadata.namespace ?? ''}:${o.metadata.name}`;
}
