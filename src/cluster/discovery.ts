/**
 * Reading the cluster. Each function answers one question with as few requests as possible: cluster-wide
 * paginated lists (never one request per namespace), metadata-only where names and labels suffice.
 *
 * Existing Dynamo operators are recognised whoever installed them:
 * - manager ClusterRoles/Roles named `…dynamo-operator…-manager-role` or labelled
 *   app.kubernetes.io/name=dynamo-operator (the chart's own check misses a release named exactly
 *   `dynamo-operator`, and renamed installs; we match both ways);
 * - the release from the `release` or `app.kubernetes.io/instance` label, else from the role's name;
 * - the install namespace from the ClusterRoleBinding's ServiceAccount subject (or the Role's binding);
 * - the scope and target namespace from the operator Deployment's `--restrictedNamespace` argument;
 * - installed by dynamoctl when labelled app.kubernetes.io/managed-by=dynamoctl, else by the Helm chart.
 * RBAC without a Deployment is reported as a leftover.
 */
import type { ExistingOperator, ObjectRef, Scope } from '../conflicts/types.ts';
import { unlessForbidden, type ClusterApi, type ListOptions } from './client.ts';

interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}
interface Obj {
  metadata: Meta;
}
interface Binding extends Obj {
  roleRef: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}
interface Deployment extends Obj {
  spec?: { template?: { spec?: { containers?: { name: string; args?: string[]; image?: string }[] } } };
  status?: { availableReplicas?: number; replicas?: number };
}

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const OPERATOR_NAME_LABEL = 'app.kubernetes.io/name=dynamo-operator';

/** A list the user may not be allowed to read: empty, and noted in `forbidden`, when refused. */
async function listIfAllowed<T>(kube: ClusterApi, path: string, opts: ListOptions, forbidden: string[], what: string): Promise<T[]> {
  const items = await unlessForbidden(kube.list<T>(path, opts));
  if (!items) forbidden.push(what);
  return items ?? [];
}

export function isManagerRole(meta: Meta): boolean {
  if (!meta.name.endsWith('-manager-role')) return false;
  return meta.name.includes('dynamo-operator') || meta.labels?.['app.kubernetes.io/name'] === 'dynamo-operator';
}

/** The release a manager role belongs to: its labels, else its name minus the chart's suffixes. */
export function releaseOf(meta: Meta): string {
  const fromLabels = meta.labels?.release ?? meta.labels?.['app.kubernetes.io/instance'];
  if (fromLabels) return fromLabels;
  const fullname = meta.name.slice(0, -'-manager-role'.length);
  return fullname.endsWith('-dynamo-operator') && fullname !== 'dynamo-operator' ? fullname.slice(0, -'-dynamo-operator'.length) : fullname;
}

const installedBy = (meta: Meta): ExistingOperator['installedBy'] => (meta.labels?.['app.kubernetes.io/managed-by'] === 'dynamoctl' ? 'dynamoctl' : 'helm-chart');

function restrictedNamespaceOf(d: Deployment): string | undefined {
  for (const c of d.spec?.template?.spec?.containers ?? []) {
    for (const arg of c.args ?? []) {
      const m = /^--restrictedNamespace=(.+)$/.exec(arg);
      if (m) return m[1];
    }
  }
  return undefined;
}

export interface OperatorDiscovery {
  operators: ExistingOperator[];
  /** Lists the user was not allowed to read; the verdict is then incomplete. */
  forbidden: string[];
}

/**
 * Every operator in the cluster; or, with `scope.namespaces`, those visible in these namespaces (for a
 * namespace admin, who may not list cluster-wide: no ClusterRoles, Roles and Deployments of these only).
 */
export async function discoverOperators(kube: ClusterApi, scope?: { namespaces: readonly string[] }): Promise<OperatorDiscovery> {
  const forbidden: string[] = [];
  const inEach = async <T>(resource: string, opts: ListOptions, what: string): Promise<T[]> =>
    scope
      ? (await Promise.all(scope.namespaces.map((ns) => listIfAllowed<T>(kube, resource.replace(/\/([a-z]+)$/, `/namespaces/${ns}/$1`), opts, forbidden, `${what} in ${ns}`)))).flat()
      : listIfAllowed<T>(kube, resource, opts, forbidden, `${what} (all namespaces)`);
  const [deployments, clusterRoles, roles, bindings] = await Promise.all([
    inEach<Deployment>('/apis/apps/v1/deployments', { labelSelector: OPERATOR_NAME_LABEL }, 'deployments'),
    scope ? Promise.resolve([] as Obj[]) : listIfAllowed<Obj>(kube, `${RBAC}/clusterroles`, { metadataOnly: true }, forbidden, 'clusterroles'),
    inEach<Obj>(`${RBAC}/roles`, { metadataOnly: true }, 'roles'),
    scope ? Promise.resolve([] as Binding[]) : listIfAllowed<Binding>(kube, `${RBAC}/clusterrolebindings`, {}, forbidden, 'clusterrolebindings'),
  ]);

  const operators: ExistingOperator[] = [];
  /** One operator per (release, install namespace); evidence accumulates. */
  const find = (release: string, namespace: string | undefined): ExistingOperator | undefined =>
    operators.find((o) => o.release === release && (o.namespace === namespace || o.namespace === undefined || namespace === undefined));

  for (const d of deployments) {
    const target = restrictedNamespaceOf(d);
    const scope: Scope = target ? 'namespace' : 'cluster';
    operators.push({
      release: releaseOf({ ...d.metadata, name: `${d.metadata.name}-manager-role` }),
      namespace: d.metadata.namespace,
      scope,
      targetNamespace: target,
      installedBy: installedBy(d.metadata),
      running: true,
      objects: [{ kind: 'Deployment', name: d.metadata.name, namespace: d.metadata.namespace }],
    });
  }

  const saNamespaceOf = (roleName: string): string | undefined =>
    bindings.find((b) => b.roleRef.kind === 'ClusterRole' && b.roleRef.name === roleName)?.subjects?.find((s) => s.kind === 'ServiceAccount' && s.namespace)?.namespace;
  const bindingsOf = (roleName: string): ObjectRef[] =>
    bindings.filter((b) => b.roleRef.kind === 'ClusterRole' && b.roleRef.name === roleName).map((b) => ({ kind: 'ClusterRoleBinding', name: b.metadata.name }));

  for (const role of clusterRoles.filter((r) => isManagerRole(r.metadata))) {
    const release = releaseOf(role.metadata);
    const namespace = saNamespaceOf(role.metadata.name) ?? role.metadata.labels?.['dynamoctl.nvidia.com/release-namespace'];
    const evidence: ObjectRef[] = [{ kind: 'ClusterRole', name: role.metadata.name }, ...bindingsOf(role.metadata.name)];
    const known = find(release, namespace);
    if (known && known.scope === 'cluster') {
      known.namespace ??= namespace;
      known.objects.push(...evidence);
    } else if (!known) {
      operators.push({ release, namespace, scope: 'cluster', targetNamespace: undefined, installedBy: installedBy(role.metadata), running: false, objects: evidence });
    }
  }

  for (const role of roles.filter((r) => isManagerRole(r.metadata))) {
    const release = releaseOf(role.metadata);
    const target = role.metadata.namespace;
    const known = operators.find((o) => o.release === release && o.scope === 'namespace' && o.targetNamespace === target);
    const evidence: ObjectRef = { kind: 'Role', name: role.metadata.name, namespace: target };
    if (known) known.objects.push(evidence);
    else {
      const namespace = role.metadata.labels?.['dynamoctl.nvidia.com/release-namespace'] ?? target;
      operators.push({ release, namespace, scope: 'namespace', targetNamespace: target, installedBy: installedBy(role.metadata), running: false, objects: [evidence] });
    }
  }
  return { operators, forbidden };
}

export interface ServerVersion {
  major: number;
  minor: number;
  gitVersion: string;
}

export async function serverVersion(kube: ClusterApi): Promise<ServerVersion> {
  const v = await kube.request<{ major: string; minor: string; gitVersion: string }>('GET', '/version');
  return { major: Number.parseInt(v.major, 10), minor: Number.parseInt(v.minor, 10), gitVersion: v.gitVersion };
}

/** Served group/versions ("v1", "apps/v1", "monitoring.coreos.com/v1", …). */
export async function apiGroupVersions(kube: ClusterApi): Promise<string[]> {
  const apis = await kube.request<{ groups: { versions: { groupVersion: string }[] }[] }>('GET', '/apis');
  return ['v1', ...apis.groups.flatMap((g) => g.versions.map((v) => v.groupVersion))];
}

/** Plural resource names a group/version serves, through API discovery (open to every authenticated user). */
export async function servedResources(kube: ClusterApi, groupVersion: string): Promise<string[]> {
  const list = await kube.getOptional<{ resources?: { name: string }[] }>(`/apis/${groupVersion}`);
  return (list?.resources ?? []).map((r) => r.name).filter((n) => !n.includes('/'));
}

export interface CrdStatus {
  name: string;
  present: boolean;
  established: boolean;
  namesAccepted: boolean;
  /** The helm release the CRD says owns it (meta.helm.sh annotations), if any. */
  helmOwner?: { release: string; namespace: string } | undefined;
}

/** The state of named CRDs (one GET each: a handful of names, not every CRD of the cluster). */
export async function crdStatus(kube: ClusterApi, names: readonly string[]): Promise<CrdStatus[]> {
  return Promise.all(
    names.map(async (name) => {
      const crd = await kube.getOptional<{ metadata?: { annotations?: Record<string, string> }; status?: { conditions?: { type: string; status: string }[] } }>(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
      );
      const condition = (type: string): boolean => crd?.status?.conditions?.some((c) => c.type === type && c.status === 'True') === true;
      const a = crd?.metadata?.annotations ?? {};
      const owner = a['meta.helm.sh/release-name'] && a['meta.helm.sh/release-namespace'] ? { release: a['meta.helm.sh/release-name'], namespace: a['meta.helm.sh/release-namespace'] } : undefined;
      return { name, present: crd !== undefined, established: condition('Established'), namesAccepted: condition('NamesAccepted'), helmOwner: owner };
    }),
  );
}

const DEFAULT_CLASS_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];

/** Every StorageClass, marking the default(s). */
export async function storageClasses(kube: ClusterApi): Promise<{ name: string; isDefault: boolean }[]> {
  const classes = await kube.list<Obj & { metadata: Meta & { annotations?: Record<string, string> } }>('/apis/storage.k8s.io/v1/storageclasses', { metadataOnly: true });
  return classes.map((c) => ({ name: c.metadata.name, isDefault: DEFAULT_CLASS_ANNOTATIONS.some((a) => c.metadata.annotations?.[a] === 'true') }));
}

/** Names of the docker-registry Secrets in a namespace. */
export async function dockerRegistrySecrets(kube: ClusterApi, namespace: string): Promise<string[]> {
  const secrets = await kube.list<Obj>(`/api/v1/namespaces/${namespace}/secrets`, { fieldSelector: 'type=kubernetes.io/dockerconfigjson', metadataOnly: true });
  return secrets.map((s) => s.metadata.name).sort();
}

export async function defaultStorageClasses(kube: ClusterApi): Promise<string[]> {
  return (await storageClasses(kube)).filter((c) => c.isDefault).map((c) => c.name);
}

export async function gpuNodes(kube: ClusterApi): Promise<{ nodes: number; gpuNodes: number; gpus: number }> {
  const nodes = await kube.list<Obj & { status?: { allocatable?: Record<string, string> } }>('/api/v1/nodes');
  const gpu = nodes.map((n) => Number.parseInt(n.status?.allocatable?.['nvidia.com/gpu'] ?? '0', 10)).filter((g) => g > 0);
  return { nodes: nodes.length, gpuNodes: gpu.length, gpus: gpu.reduce((a, b) => a + b, 0) };
}

/** Namespace exists? (404 → false; 403 → undefined: cannot tell.) */
export async function namespaceExists(kube: ClusterApi, name: string): Promise<boolean | undefined> {
  return unlessForbidden(kube.getOptional(`/api/v1/namespaces/${name}`).then((n) => n !== undefined));
}

/**
 * Where a component's operator runs (its Deployment, found by name and label in any namespace), or undefined.
 * Throws ClusterError 403 when the user may not list Deployments cluster-wide (callers decide).
 */
export async function findOperatorDeployment(kube: ClusterApi, operator: { deployment: string; labelSelector: string } | undefined): Promise<{ namespace: string; name: string } | undefined> {
  if (!operator) return undefined;
  const found = await kube.list<{ metadata: { name: string; namespace: string } }>('/apis/apps/v1/deployments', {
    labelSelector: operator.labelSelector,
    fieldSelector: `metadata.name=${operator.deployment}`,
    metadataOnly: true,
  });
  return found[0] ? { namespace: found[0].metadata.namespace, name: found[0].metadata.name } : undefined;
}
