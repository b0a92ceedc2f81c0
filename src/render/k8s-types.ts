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
  resourceNames?: string[];
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

/** Kind → (API group, plural resource, namespaced), for every kind dynamoctl creates or adopt hands over. */
export const KIND_RESOURCES: Record<string, [group: string, resource: string, namespaced?: boolean]> = {
  Namespace: ['', 'namespaces'],
  ServiceAccount: ['', 'serviceaccounts', true],
  Secret: ['', 'secrets', true],
  ConfigMap: ['', 'configmaps', true],
  Service: ['', 'services', true],
  Deployment: ['apps', 'deployments', true],
  StatefulSet: ['apps', 'statefulsets', true],
  Job: ['batch', 'jobs', true],
  NetworkPolicy: ['networking.k8s.io', 'networkpolicies', true],
  Ingress: ['networking.k8s.io', 'ingresses', true],
  PodDisruptionBudget: ['policy', 'poddisruptionbudgets', true],
  Role: ['rbac.authorization.k8s.io', 'roles', true],
  RoleBinding: ['rbac.authorization.k8s.io', 'rolebindings', true],
  ClusterRole: ['rbac.authorization.k8s.io', 'clusterroles'],
  ClusterRoleBinding: ['rbac.authorization.k8s.io', 'clusterrolebindings'],
  ValidatingWebhookConfiguration: ['admissionregistration.k8s.io', 'validatingwebhookconfigurations'],
  CustomResourceDefinition: ['apiextensions.k8s.io', 'customresourcedefinitions'],
  Issuer: ['cert-manager.io', 'issuers', true],
  Certificate: ['cert-manager.io', 'certificates', true],
  PodMonitor: ['monitoring.coreos.com', 'podmonitors', true],
  Queue: ['scheduling.run.ai', 'queues'],
  Lease: ['coordination.k8s.io', 'leases', true],
};

/** The REST path of an object (or of its collection with `name` omitted). */
export function objectPath(o: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>, withName = true): string {
  const mapping = KIND_RESOURCES[o.kind];
  if (!mapping) throw new Error(`no REST mapping for kind ${o.kind}`);
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  const ns = mapping[2] && o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : '';
  return `${base}${ns}/${mapping[1]}${withName ? `/${o.metadata.name}` : ''}`;
}
