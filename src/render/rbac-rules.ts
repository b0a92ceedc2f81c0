/**
 * RBAC rules, as data: the same permissions as the 0.8.1 operator chart (the conformance test compares
 * them as sets with the upstream render). The manager role keeps the chart's wildcard rule
 * (the 0.8 operator creates arbitrary objects for its components): cluster-admin when cluster-wide, the
 * namespace's admin when restricted. Everything else is narrow.
 */
import type { V1PolicyRule } from './k8s-types.ts';

const ALL = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const READ = ['get', 'list', 'watch'];
const rule = (apiGroups: string[], resources: string[], verbs: string[]): V1PolicyRule => ({ apiGroups, resources, verbs });

const DYNAMO_KINDS = ['dynamocomponentdeployments', 'dynamographdeploymentrequests', 'dynamographdeployments', 'dynamographdeploymentscalingadapters', 'dynamomodels'];

export function managerRules(opts: { istio: boolean }): V1PolicyRule[] {
  const rules = [
    rule([''], ['configmaps', 'events', 'persistentvolumeclaims', 'pods', 'secrets', 'serviceaccounts', 'services'], ALL),
    rule(['*'], ['*'], ['*']),
    rule(['admissionregistration.k8s.io'], ['mutatingwebhookconfigurations'], ALL),
    rule(['apiextensions.k8s.io'], ['customresourcedefinitions'], ALL),
    rule(['apps'], ['deployments', 'statefulsets'], ALL),
    rule(['autoscaling'], ['horizontalpodautoscalers'], ALL),
    rule(['batch'], ['cronjobs', 'jobs'], ALL),
    rule(['coordination.k8s.io'], ['leases'], ALL),
    rule(['discovery.k8s.io'], ['endpointslices'], READ),
    rule(['events.k8s.io'], ['events'], ALL),
    rule(['grove.io'], ['podcliquesets'], ALL),
    rule(['grove.io'], ['podcliques/scale', 'podcliquescalinggroups/scale'], ['get', 'patch', 'update']),
    rule(['leaderworkerset.x-k8s.io'], ['leaderworkersets'], ALL),
    rule(['networking.k8s.io'], ['ingressclasses', 'ingresses', 'networkpolicies'], ALL),
    rule(['nvidia.com'], DYNAMO_KINDS, ALL),
    // the scaling adapter has no finalizer
    rule(['nvidia.com'], DYNAMO_KINDS.filter((k) => k !== 'dynamographdeploymentscalingadapters').map((k) => `${k}/finalizers`), ['update']),
    rule(['nvidia.com'], DYNAMO_KINDS.map((k) => `${k}/status`), ['get', 'patch', 'update']),
    rule(['rbac.authorization.k8s.io'], ['clusterrolebindings', 'clusterroles', 'rolebindings', 'roles'], ALL),
    rule(['scheduling.run.ai'], ['queues'], ['get', 'list']),
    rule(['scheduling.volcano.sh'], ['podgroups'], ALL),
  ];
  if (opts.istio) rules.push(rule(['networking.istio.io'], ['virtualservices'], ALL));
  return rules;
}

export const leaderElectionRules: V1PolicyRule[] = [
  rule([''], ['configmaps'], ALL),
  rule(['coordination.k8s.io'], ['leases'], ALL),
  rule([''], ['events'], ['create', 'patch']),
];

export const proxyRules: V1PolicyRule[] = [
  rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
  rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
];

export const plannerRules: V1PolicyRule[] = [
  rule(['nvidia.com'], ['dynamocomponentdeployments', 'dynamographdeployments'], ['create', 'get', 'list', 'patch', 'update']),
  rule(['nvidia.com'], ['dynamographdeploymentscalingadapters/scale'], ['patch']),
  rule(['discovery.k8s.io'], ['endpointslices'], READ),
  rule(['nvidia.com'], ['dynamoworkermetadatas'], ALL),
];

export const profilingRules: V1PolicyRule[] = [
  rule([''], ['configmaps'], ['create', 'delete', 'get', 'patch', 'update']),
  rule(['nvidia.com'], ['dynamographdeploymentrequests'], ['get']),
  rule(['nvidia.com'], ['dynamographdeployments'], ['create', 'delete', 'get', 'list', 'watch']),
  rule([''], ['pods'], ['create', 'delete', 'get', 'list']),
  rule([''], ['pods/log'], ['get']),
];

/** Cluster-wide, profiling jobs also read nodes (GPU inventory). */
export const clusterProfilingRules: V1PolicyRule[] = [...profilingRules, rule([''], ['nodes'], READ)];

/** The operator reads its webhook certificate, and nothing else among the namespace's Secrets. */
export const certReaderRules = (secretName: string): V1PolicyRule[] => [{ apiGroups: [''], resources: ['secrets'], resourceNames: [secretName], verbs: READ }];

export const metricsReaderRules: V1PolicyRule[] = [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }];

export const queueReaderRules: V1PolicyRule[] = [rule(['scheduling.run.ai'], ['queues'], ['get', 'list'])];

/**
 * RBAC rules as what they grant: "group/resource[#resourceName]" (or a non-resource URL) → sorted verbs.
 * Two rule lists that grant the same are the same to the API server, whatever their order or grouping.
 */
export function permissions(rules: unknown): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const r of Array.isArray(rules) ? (rules as Record<string, string[] | undefined>[]) : []) {
    const targets = r.nonResourceURLs
      ? r.nonResourceURLs.map((u) => `url:${u}`)
      : (r.apiGroups ?? []).flatMap((g) => (r.resources ?? []).flatMap((res) => (r.resourceNames?.length ? r.resourceNames.map((n) => `${g || 'core'}/${res}#${n}`) : [`${g || 'core'}/${res}`])));
    for (const t of targets) {
      const verbs = out.get(t) ?? new Set<string>();
      for (const v of r.verbs ?? []) verbs.add(v);
      out.set(t, verbs);
    }
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}

export const samePermissions = (a: unknown, b: unknown): boolean => {
  const [pa, pb] = [permissions(a), permissions(b)];
  return pa.size === pb.size && [...pa].every(([k, v]) => JSON.stringify(pb.get(k)) === JSON.stringify(v));
};

