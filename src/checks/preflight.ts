/**
 * The preflight checks of `dynamoctl check` (and, later, of install), in the order they run. Each says
 * what it verifies; cluster checks need the connection checks to pass first.
 */
import { crdStatus, defaultStorageClasses, discoverOperators, findOperatorDeployment, gpuNodes, namespaceExists, servedResources, serverVersion, type OperatorDiscovery } from '../cluster/discovery.ts';
import { describeOperator, detectConflicts, isSelf, leftoverCleanupCommand } from '../conflicts/detect.ts';
import { unlessForbidden } from '../cluster/client.ts';
import { ClusterError } from '../errors.ts';
import { helmVersion, resolveChartSource } from '../helm/helm.ts';
import { crdOwners, liveCrdOwnerError } from '../helm/crd-owners.ts';
import { releaseStatus } from '../helm/install.ts';
import { registryHost, rewriteRegistry } from '../config/images.ts';
import type { ChartKey, SubchartKey } from '../config/values-schema.ts';
import { DEFAULT_LEADER_ELECTION_ID } from '../config/rules.ts';
import { objectPath } from '../render/k8s-types.ts';
import { ADDON_KEYS, COMPONENTS, SUBCHART_KEYS } from '../components/table.ts';
import { pullSecretWarnings } from '../components/values.ts';
import type { CheckContext } from './context.ts';
import { imagesCheck } from './images.ts';
import { missingPermissions, requiredPermissions, summarisePermissions } from './permissions.ts';
import type { Check, Outcome } from './types.ts';

/** Where helm keeps the CRD release, as the upstream guide installs it. */
export const CRDS_NAMESPACE = 'default';

/** The CRDs the Dynamo operator serves (0.8), installed by the dynamo-crds chart. */
export const DYNAMO_CRDS = [
  'dynamocomponentdeployments.nvidia.com',
  'dynamographdeploymentrequests.nvidia.com',
  'dynamographdeployments.nvidia.com',
  'dynamographdeploymentscalingadapters.nvidia.com',
  'dynamomodels.nvidia.com',
  'dynamoworkermetadatas.nvidia.com',
];

const pass = (detail?: string): Outcome => (detail ? { status: 'pass', detail } : { status: 'pass' });
const fail = (message: string, extra: { hint?: string; details?: string[] } = {}): Outcome => ({ status: 'fail', message, ...extra });

/** Facts several checks share, fetched once. */
export const facts = {
  operators: (ctx: CheckContext): Promise<OperatorDiscovery> => ctx.memo('operators', () => discoverOperators(ctx.kube())),
  crds: (ctx: CheckContext) => ctx.memo('crds', () => crdStatus(ctx.kube(), DYNAMO_CRDS)),
  installNamespace: (ctx: CheckContext) => ctx.memo('ns', () => namespaceExists(ctx.kube(), ctx.planned.namespace)),
  addon: (ctx: CheckContext, key: SubchartKey) => ctx.memo(`addon-${key}`, () => findOperatorDeployment(ctx.kube(), COMPONENTS[key].operator)),
};

/** Asks whether the user may do one thing (a single SelfSubjectAccessReview). */
async function can(ctx: CheckContext, verb: string, group: string, resource: string, namespace?: string): Promise<boolean> {
  return (await missingPermissions(ctx.kube(), [{ verb, group, resource, namespace }])).length === 0;
}

const CONNECTION = ['kubeconfig', 'api-reachable', 'authenticated'];

/** Checks no --skip-check lets through: without them nothing else is known, or the install would break another. */
export const UNSKIPPABLE_CHECKS: readonly string[] = [...CONNECTION, 'helm-managed', 'operator-conflicts'];

export const preflightChecks: Check[] = [
  {
    id: 'kubeconfig',
    category: 'kubernetes',
    severity: 'fatal',
    description: 'the kubeconfig and context are valid',
    hint: 'pass --kubeconfig and --context, or set KUBECONFIG',
    async run(ctx) {
      const kube = ctx.kube();
      return pass(`context "${kube.context}" → ${kube.server}`);
    },
  },
  {
    id: 'api-reachable',
    category: 'kubernetes',
    severity: 'fatal',
    description: 'the API server is reachable',
    hint: 'check the cluster is up and reachable from here (VPN, proxy), or raise --timeout',
    requires: ['kubeconfig'],
    async run(ctx) {
      const v = await ctx.memo('version', () => serverVersion(ctx.kube()));
      return pass(`Kubernetes ${v.gitVersion}`);
    },
  },
  {
    id: 'authenticated',
    category: 'kubernetes',
    severity: 'fatal',
    description: 'the credentials are accepted',
    hint: 'refresh the credentials of this context',
    requires: ['api-reachable'],
    async run(ctx) {
      const review = await ctx.kube().request<{ status?: { userInfo?: { username?: string } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      });
      return pass(`as ${review.status?.userInfo?.username ?? 'an unnamed user'}`);
    },
  },
  {
    id: 'server-version',
    category: 'kubernetes',
    severity: 'error',
    description: 'the Kubernetes version is supported (1.20 or newer)',
    hint: 'upgrade the cluster',
    requires: ['api-reachable'],
    async run(ctx) {
      const v = await ctx.memo('version', () => serverVersion(ctx.kube()));
      return v.major > 1 || (v.major === 1 && v.minor >= 20) ? pass(v.gitVersion) : fail(`Kubernetes ${v.gitVersion} is older than 1.20, which Dynamo does not support`);
    },
  },
  {
    id: 'server-version-recommended',
    category: 'kubernetes',
    severity: 'warning',
    description: 'the Kubernetes version is 1.24 or newer (recommended)',
    hint: 'upgrade the cluster to 1.24 or newer',
    requires: ['server-version'],
    async run(ctx) {
      const v = await ctx.memo('version', () => serverVersion(ctx.kube()));
      return v.major > 1 || (v.major === 1 && v.minor >= 24) ? pass(v.gitVersion) : fail(`Kubernetes ${v.gitVersion} works, but 1.24 or newer is recommended`);
    },
  },
  {
    id: 'helm',
    category: 'tools',
    severity: 'error',
    description: 'helm 3.8 or newer is installed (v4 accepted)',
    hint: 'install helm ≥ 3.8, or point --helm-binary at it',
    async run(ctx) {
      const v = await helmVersion(ctx.helm);
      if (v.major < 3 || (v.major === 3 && v.minor < 8)) return fail(`helm ${v.raw} is too old: OCI charts need 3.8 or newer`);
      return pass(`helm ${v.raw}`);
    },
  },
  {
    id: 'permissions',
    category: 'permissions',
    severity: 'error',
    description: 'you may create everything the install needs',
    hint: 'ask a cluster administrator to grant the permissions listed, or install with --scope namespace',
    requires: CONNECTION,
    async run(ctx) {
      const nsExists = (await facts.installNamespace(ctx)) !== false;
      // CRDs this user cannot read count as missing: cluster-wide, install would have to create them
      const crds = await unlessForbidden(facts.crds(ctx));
      const crdsMissing = !crds || crds.some((c) => DYNAMO_CRDS.includes(c.name) && !c.present);
      const wanted = requiredPermissions(ctx.values, ctx.objects, { namespaceExists: nsExists, crdsMissing });
      const missing = await missingPermissions(ctx.kube(), wanted);
      if (missing.length) return fail(`${missing.length} of ${wanted.length} required permissions are missing`, { details: summarisePermissions(missing) });
      // RBAC the user could create but not grant fails at apply time ("privilege escalation"): dry-run it.
      const rbac = ctx.objects.filter((o) => ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind) && (nsExists || !o.metadata.namespace));
      const refused: string[] = [];
      for (const o of rbac) {
        await ctx
          .kube()
          .request('PATCH', objectPath(o), { body: o, contentType: 'application/apply-patch+yaml', query: { dryRun: 'All', fieldManager: 'dynamoctl', force: 'true' } })
          .catch((error: unknown) => {
            if (error instanceof ClusterError && error.status === 403) refused.push(`${o.kind} ${o.metadata.name}: ${error.message.replace(/^forbidden: /, '')}`);
            // a binding to a Role that is not created yet: the Role's own dry run has shown its rules are held
            else if (error instanceof ClusterError && error.status === 404 && o.kind.endsWith('Binding')) return;
            // a binding whose roleRef changes is replaced (deleted, then created): the Role's dry run speaks for it
            else if (!(error instanceof ClusterError && error.status === 422 && /cannot change roleRef/.test(error.message))) throw error;
          });
      }
      if (refused.length) {
        const where = ctx.planned.scope === 'namespace' ? `in namespace ${ctx.planned.targetNamespace}` : 'cluster-wide';
        return fail(`the API server refuses ${refused.length} of the RBAC objects: they grant permissions you do not hold (privilege escalation)`, {
          details: refused,
          hint: `ask an administrator for the verbs escalate and bind on roles and rolebindings (rbac.authorization.k8s.io) ${where}, or to run the install`,
        });
      }
      return pass(`${wanted.length} permissions verified${nsExists ? '' : `; namespace ${ctx.planned.namespace} will be created`}`);
    },
  },
  {
    id: 'crds',
    category: 'crds',
    severity: 'error',
    description: 'the Dynamo CRDs are installed and established, or you may install them',
    hint: 'a cluster administrator must install the dynamo-crds chart',
    requires: CONNECTION,
    async run(ctx) {
      const chart = ctx.values.dynamoctl.charts['dynamo-crds'];
      const adminCommand = `helm upgrade --install dynamo-crds ${chart.repo.startsWith('oci://') ? `${chart.repo}/${chart.name}` : `${chart.name} --repo ${chart.repo}`} --version ${chart.version} -n default`;
      const all = await unlessForbidden(facts.crds(ctx));
      if (!all) {
        // CRDs are unreadable for namespace admins, but API discovery is open to every user: served means established
        const served = await servedResources(ctx.kube(), 'nvidia.com/v1alpha1');
        const plurals = DYNAMO_CRDS.map((n) => n.split('.')[0]!);
        const unserved = plurals.filter((p) => !served.includes(p));
        if (!unserved.length) return pass(`${plurals.length} Dynamo APIs served (seen through API discovery)`);
        return fail(`the Dynamo APIs are not served: ${unserved.join(', ')}`, { hint: `a cluster administrator must run: ${adminCommand}` });
      }
      const crds = all.filter((c) => DYNAMO_CRDS.includes(c.name));
      const missing = crds.filter((c) => !c.present).map((c) => c.name);
      const unhealthy = crds.filter((c) => c.present && !(c.established && c.namesAccepted)).map((c) => c.name);
      if (unhealthy.length) return fail(`CRDs not Established/NamesAccepted: ${unhealthy.join(', ')}`, { hint: 'kubectl describe crd <name> shows why' });
      if (!missing.length) return pass(`${crds.length} CRDs established`);
      if (ctx.planned.scope === 'cluster') {
        const owners = await crdOwners(crds, { release: 'dynamo-crds', namespace: CRDS_NAMESPACE }, (r, n) => releaseStatus(r, n, ctx.helm));
        if (owners.live) {
          const error = liveCrdOwnerError(owners.live, missing);
          return fail(error.message, { hint: error.hint ?? '' });
        }
      }
      if (ctx.planned.scope === 'namespace') {
        return fail(`${missing.length} Dynamo CRDs are missing and namespace mode never installs CRDs`, { hint: `a cluster administrator must run: ${adminCommand}`, details: missing });
      }
      if (await can(ctx, 'create', 'apiextensions.k8s.io', 'customresourcedefinitions')) return pass(`${missing.length} CRDs missing; install will add them`);
      return fail(`${missing.length} Dynamo CRDs are missing and you may not create CRDs`, { hint: `a cluster administrator must run: ${adminCommand}`, details: missing });
    },
  },
  {
    id: 'storage-class',
    category: 'cluster',
    severity: 'error',
    description: 'a default StorageClass exists for the etcd and NATS volumes',
    hint: 'mark a StorageClass as default, set etcd.persistence.storageClass, or turn persistence off',
    requires: CONNECTION,
    async run(ctx) {
      const etcd = ctx.values.etcd as { enabled: boolean; persistence?: { enabled?: boolean; storageClass?: string } };
      const nats = ctx.values.nats as { enabled: boolean; config?: { jetstream?: { enabled?: boolean; fileStore?: { pvc?: { enabled?: boolean; storageClassName?: string } } } } };
      const needs = [
        ...(etcd.enabled && etcd.persistence?.enabled !== false && !etcd.persistence?.storageClass ? ['etcd'] : []),
        ...(nats.enabled && nats.config?.jetstream?.enabled !== false && nats.config?.jetstream?.fileStore?.pvc?.enabled !== false && !nats.config?.jetstream?.fileStore?.pvc?.storageClassName ? ['NATS'] : []),
      ];
      if (!needs.length) return pass('no volume needs the default StorageClass');
      const defaults = await unlessForbidden(defaultStorageClasses(ctx.kube()));
      if (!defaults) return { status: 'skip', reason: 'you may not list StorageClasses' };
      if (!defaults.length) return fail(`no default StorageClass: the ${needs.join(' and ')} volumes would stay Pending`);
      return pass(`default StorageClass ${defaults.join(', ')}`);
    },
  },
  {
    id: 'gpu-nodes',
    category: 'cluster',
    severity: 'warning',
    description: 'the cluster has nodes with nvidia.com/gpu allocatable',
    hint: 'install the NVIDIA GPU Operator or device plugin on the GPU nodes',
    requires: CONNECTION,
    async run(ctx) {
      const n = await unlessForbidden(gpuNodes(ctx.kube()));
      if (!n) return { status: 'skip', reason: 'you may not list nodes' };
      return n.gpuNodes ? pass(`${n.gpus} GPUs on ${n.gpuNodes} of ${n.nodes} nodes`) : fail(`none of the ${n.nodes} nodes has nvidia.com/gpu allocatable`);
    },
  },
  {
    id: 'leader-election',
    category: 'cluster',
    severity: 'error',
    description: 'the leader-election namespace accepts Leases (cluster-wide mode)',
    hint: 'set dynamo-operator.controllerManager.leaderElection.namespace to a namespace you may write (not the install namespace)',
    requires: CONNECTION,
    async run(ctx) {
      if (ctx.planned.scope === 'namespace') return pass('namespace mode elects in the target namespace');
      const ns = ctx.values['dynamo-operator'].controllerManager.leaderElection.namespace || 'kube-system';
      // a dry-run create also meets admission policies (e.g. clusters that lock kube-system)
      const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: DEFAULT_LEADER_ELECTION_ID, namespace: ns }, spec: {} };
      try {
        await ctx.kube().request('POST', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`, { body: lease, query: { dryRun: 'All' } });
      } catch (error) {
        if (error instanceof ClusterError && error.status === 409) return pass(`${ns} (the lease exists)`);
        if (error instanceof ClusterError) return fail(`cannot create a Lease in ${ns}: ${error.message}`);
        throw error;
      }
      return pass(ns);
    },
  },
  {
    id: 'addons',
    category: 'cluster',
    severity: 'warning',
    description: 'Grove and the Kai scheduler: existing installs are reused, not duplicated',
    hint: 'install --no-grove / --no-kai keeps the existing ones',
    requires: CONNECTION,
    async run(ctx) {
      const found: string[] = [];
      for (const key of ADDON_KEYS) {
        const where = await facts.addon(ctx, key).catch((error: unknown) => {
          if (error instanceof ClusterError && error.status === 403) return 'forbidden' as const;
          throw error;
        });
        if (where === 'forbidden') return { status: 'skip', reason: 'you may not list Deployments in every namespace' };
        if (where) found.push(`${COMPONENTS[key].title} (${where.name} in ${where.namespace})`);
      }
      return pass(found.length ? `found ${found.join(' and ')}; install will reuse ${found.length > 1 ? 'them' : 'it'}` : 'none installed');
    },
  },
  {
    id: 'subchart-pull-secrets',
    category: 'images',
    severity: 'warning',
    description: 'every enabled subchart can give its pods the install’s image pull secrets',
    hint: 'make those images pullable without credentials on your registry, or add the secret to the pods’ ServiceAccounts',
    run(ctx) {
      const gaps = pullSecretWarnings(ctx.values);
      // the message names each chart and why: a warning line is all most users read
      return Promise.resolve(gaps.length ? { status: 'fail', message: gaps.join('; ') } : pass());
    },
  },
  {
    id: 'image-pull-secrets',
    category: 'images',
    severity: 'error',
    description: 'the configured image pull secrets exist and hold credentials for their registry',
    hint: 'kubectl create secret docker-registry <name> --docker-server=<registry> … -n <namespace>',
    requires: CONNECTION,
    async run(ctx) {
      const op = ctx.values['dynamo-operator'];
      const ns = ctx.planned.namespace;
      // the pull happens from the mirror when --registry rewrites the image
      const operatorImage = rewriteRegistry(op.controllerManager.manager.image.repository, ctx.values.dynamoctl.registry);
      const wanted = [
        ...op.imagePullSecrets.map((s) => ({ name: s.name, registry: registryHost(operatorImage) || 'docker.io' })),
        ...(op.dynamo.dockerRegistry.useKubernetesSecret && op.dynamo.dockerRegistry.existingSecretName
          ? [{ name: op.dynamo.dockerRegistry.existingSecretName, registry: op.dynamo.dockerRegistry.server }]
          : []),
      ];
      if (!wanted.length) return pass('none configured');
      const problems: string[] = [];
      for (const { name, registry } of wanted) {
        if (ctx.pendingSecrets.includes(name)) continue; // created by this install before the operator
        const secret = await ctx.kube().getOptional<{ type?: string; data?: Record<string, string> }>(`/api/v1/namespaces/${ns}/secrets/${name}`);
        if (!secret) problems.push(`${name}: not found in namespace ${ns}`);
        else if (secret.type !== 'kubernetes.io/dockerconfigjson') problems.push(`${name}: type ${secret.type ?? 'Opaque'}, expected kubernetes.io/dockerconfigjson`);
        else {
          const auths = Object.keys((JSON.parse(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString() || '{}') as { auths?: object }).auths ?? {});
          const hosts = auths.map((a) => a.replace(/^https?:\/\//, '').split('/')[0]);
          if (registry && !hosts.includes(registry) && !(registry === 'docker.io' && hosts.includes('index.docker.io'))) problems.push(`${name}: no credentials for ${registry} (has ${auths.join(', ') || 'none'})`);
        }
      }
      if (problems.length) return fail(`${problems.length} pull secret problem(s)`, { details: problems });
      return pass(wanted.map((w) => (ctx.pendingSecrets.includes(w.name) ? `${w.name} (created by the install)` : w.name)).join(', '));
    },
  },
  {
    id: 'chart-sources',
    category: 'charts',
    severity: 'error',
    description: 'every chart to install resolves at its pinned version',
    hint: 'fix dynamoctl.charts.<chart> (repo, version or path), or use --charts <dir> from dynamoctl bundle',
    requires: ['helm'],
    async run(ctx) {
      const v = ctx.values;
      const enabled: ChartKey[] = [
        ...(ctx.planned.scope === 'cluster' ? (['dynamo-crds'] as const) : []),
        ...SUBCHART_KEYS.filter((k) => v[k].enabled),
      ];
      const results = await Promise.all(enabled.map(async (key) => ({ key, r: await resolveChartSource(v.dynamoctl.charts[key], ctx.helm) })));
      const bad = results.flatMap(({ key, r }) => (r.ok ? [] : [`${key}: ${r.reason}`]));
      return bad.length ? fail(`${bad.length} of ${enabled.length} charts cannot be resolved`, { details: bad }) : pass(results.map((x) => `${x.key} ${v.dynamoctl.charts[x.key].version}`).join(', '));
    },
  },
  imagesCheck(facts.addon),
  {
    id: 'helm-managed',
    category: 'conflicts',
    severity: 'error',
    description: 'the release is not one helm manages (install never takes over what helm believes it owns; dynamoctl adopt does)',
    hint: 'take it over with dynamoctl adopt (nothing restarts), or keep managing it with helm',
    requires: CONNECTION,
    async run(ctx) {
      const everywhere = await facts.operators(ctx);
      // a namespace admin cannot list cluster-wide: their own namespace says enough here
      const { operators } = everywhere.forbidden.length ? await discoverOperators(ctx.kube(), { namespaces: [ctx.planned.namespace] }) : everywhere;
      // chart-shaped objects alone are not enough: helm must hold a release of that name there
      const chartShaped = operators.some((o) => isSelf(ctx.planned, o) && o.installedBy === 'helm-chart');
      if (!chartShaped || !(await releaseStatus(ctx.planned.release, ctx.planned.namespace, ctx.helm).catch(() => undefined))) return pass();
      return fail(`release ${ctx.planned.release} in ${ctx.planned.namespace} was installed with the dynamo-platform Helm chart and is managed by helm`, {
        hint: `take it over with: dynamoctl adopt --release ${ctx.planned.release} -n ${ctx.planned.namespace} (nothing restarts), or keep managing it with helm`,
      });
    },
  },
  {
    id: 'operator-conflicts',
    category: 'conflicts',
    severity: 'error',
    description: 'no existing Dynamo operator conflicts with this install',
    hint: 'resolve the conflict as suggested, or change --scope / --target-namespace',
    requires: CONNECTION,
    async run(ctx) {
      let { operators, forbidden } = await facts.operators(ctx);
      // a namespace admin cannot list cluster-wide; a namespace install can still be judged in its namespaces
      const visible = [...new Set([ctx.planned.namespace, ctx.planned.targetNamespace])];
      const partial = forbidden.length > 0 && ctx.planned.scope === 'namespace';
      if (partial) ({ operators, forbidden } = await discoverOperators(ctx.kube(), { namespaces: visible }));
      const verdict = detectConflicts(ctx.planned, operators);
      if (verdict.verdict === 'blocked') {
        return fail(verdict.summary, { details: verdict.blockers.flatMap((b) => [`${describeOperator(b.operator)}: ${b.rule.reason}`, ...b.resolutions.map((r) => `  fix: ${r}`)]) });
      }
      if (forbidden.length) return fail(`cannot tell: you may not list ${forbidden.join(', ')}`, { hint: 'ask an administrator to run dynamoctl check, or for read access to RBAC objects' });
      if (partial) return pass(`${verdict.summary.replace(/^allowed: /, '')}; only namespace ${visible.join(' and ')} could be checked (cluster-wide lists are not allowed for you)`);
      return pass(verdict.summary.replace(/^allowed: /, ''));
    },
  },
  {
    id: 'leftovers',
    category: 'conflicts',
    severity: 'warning',
    description: 'no Dynamo operator RBAC is left over without its operator',
    hint: 'remove the leftovers with the commands shown',
    requires: CONNECTION,
    async run(ctx) {
      const { operators, forbidden } = await facts.operators(ctx);
      if (forbidden.length) return { status: 'skip', reason: `you may not list ${forbidden.join(', ')}` };
      const verdict = detectConflicts(ctx.planned, operators);
      if (!verdict.leftovers.length) return pass();
      return fail(`${verdict.leftovers.length} leftover operator install(s)`, { details: verdict.leftovers.flatMap((o) => [describeOperator(o), `  remove: ${leftoverCleanupCommand(o)}`]) });
    },
  },
];

