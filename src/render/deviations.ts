/**
 * Where dynamoctl's operator render differs from the upstream dynamo-platform 0.8.1 chart, as data: one
 * entry per difference, with the reason a user would accept. The conformance test compares every upstream
 * reference render with dynamoctl's and fails on a difference no entry declares, and on an entry that no
 * longer matches anything; README's deviation section is generated from this table.
 *
 * Templates in `object.name`, `upstream` and `dynamoctl`: {F} operator fullname, {NS} install namespace,
 * {TNS} target namespace, {RELEASE} release name, {CERT_SECRET} and {MPI_SECRET} the webhook certificate's
 * and the MPI key's Secret names; `*` matches anything. Values are JSON text; ABSENT means
 * the field (or, with path '', the whole object) is not there.
 */

export const ABSENT = '(absent)';

export interface Deviation {
  id: string;
  /** kind '*' = any kind (or a list of kinds); name omitted = any name; hook: only the chart's helm-hook objects. */
  object: { kind: string | readonly string[]; name?: string; hook?: boolean };
  /** Field path as the comparison prints it; '' is the whole object. */
  path: string;
  upstream: string;
  dynamoctl: string;
  reason: string;
  /** The 0.8.1 reference renders hold no case where this occurs (checked: an entry so marked must match nothing). */
  noUpstreamCase?: true;
}

const OWNERSHIP = 'dynamoctl selects what an install owns by these labels (status, prune, uninstall)';

export const DEVIATIONS: readonly Deviation[] = [
  {
    id: 'kube-rbac-proxy-image',
    object: { kind: 'Deployment', name: '{F}-controller-manager' },
    path: 'spec.template.spec.containers[name=kube-rbac-proxy].image',
    upstream: '"gcr.io/kubebuilder/kube-rbac-proxy:*"',
    dynamoctl: '"registry.k8s.io/kubebuilder/kube-rbac-proxy:*"',
    reason:
      "The chart's default image was deleted with the gcr.io kubebuilder images, so its operator pod cannot start; registry.k8s.io serves the same tags. Only the default changes: a repository you set is used as given.",
  },
  {
    id: 'webhook-target-namespace',
    object: { kind: 'ValidatingWebhookConfiguration', name: '{F}-validating-{NS}' },
    path: 'webhooks[name=*].namespaceSelector.matchLabels["kubernetes.io/metadata.name"]',
    upstream: '"{NS}"',
    dynamoctl: '"{TNS}"',
    reason:
      'With a target namespace, a restricted operator manages the custom resources of that namespace; the chart validates those of the install namespace instead, where that operator manages nothing, so the resources it does manage go unvalidated.',
  },
  {
    id: 'proxy-rolebinding-role',
    object: { kind: 'RoleBinding', name: '{F}-proxy-rolebinding' },
    path: 'roleRef.kind',
    upstream: '"ClusterRole"',
    dynamoctl: '"Role"',
    reason:
      'In namespace mode the chart binds a ClusterRole it never creates there; the API server refuses such a binding to a namespace admin (it checks the role the binding names), so dynamoctl binds the Role it renders beside it.',
  },
  {
    id: 'subchart-addresses-domain',
    object: { kind: 'Deployment', name: '{F}-controller-manager' },
    path: 'spec.template.spec.containers[name=manager].args',
    upstream: '*.svc.cluster.local:*',
    dynamoctl: '*',
    reason: 'The chart writes cluster.local into the NATS and etcd addresses whatever kubernetesClusterDomain says; dynamoctl uses kubernetesClusterDomain, as the chart does everywhere else.',
    noUpstreamCase: true,
  },
  {
    id: 'no-address-of-absent-subchart',
    object: { kind: 'Deployment', name: '{F}-controller-manager' },
    path: 'spec.template.spec.containers[name=manager].args',
    upstream: '*--etcdAddr=*',
    dynamoctl: '*',
    reason:
      'With etcd (or NATS) not installed and no address given, the chart still points the operator at <release>-etcd / <release>-nats, which do not exist; dynamoctl leaves the flag out.',
    noUpstreamCase: true,
  },
  {
    id: 'image-pull-policy',
    object: { kind: 'Deployment', name: '{F}-controller-manager' },
    path: 'spec.template.spec.containers[name=*].imagePullPolicy',
    upstream: ABSENT,
    dynamoctl: '*',
    reason:
      "Only when you set dynamoctl's controllerManager.{manager,kubeRbacProxy}.image.imagePullPolicy (the chart has no such value; its pullPolicy key is read by no template and stays ignored): an air-gapped node may need Never.",
    noUpstreamCase: true,
  },
  {
    id: 'generated-ca-bundle',
    object: { kind: 'ValidatingWebhookConfiguration' },
    path: 'webhooks[name=*].clientConfig.caBundle',
    upstream: ABSENT,
    dynamoctl: '*',
    reason: "The chart's CA-injection hook patches the caBundle in after install; dynamoctl writes the CA it generated into the object it applies.",
    noUpstreamCase: true,
  },
  {
    id: 'service-name-length',
    object: { kind: 'Service', name: '*-webhook-service' },
    path: '',
    upstream: '*',
    dynamoctl: '*',
    reason:
      'For release names that make `<fullname>-webhook-service` longer than 63 characters, the chart renders a Service the API server refuses; dynamoctl shortens the fullname part.',
    noUpstreamCase: true,
  },
  {
    id: 'service-name-length-reference',
    object: { kind: 'ValidatingWebhookConfiguration' },
    path: 'webhooks[name=*].clientConfig.service.name',
    upstream: '"{F}-webhook-service"',
    dynamoctl: '"*-webhook-service"',
    reason: 'The webhook configuration names the shortened Service (see the row above).',
    noUpstreamCase: true,
  },
  {
    id: 'hook-objects',
    object: { kind: ['Job', 'ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'], hook: true },
    path: '',
    upstream: 'object',
    dynamoctl: ABSENT,
    reason:
      'The chart runs helm hook Jobs (webhook certificate, CA injection, MPI SSH key) with their own ServiceAccounts, Roles and bindings; dynamoctl generates the same Secrets and the caBundle in-process, so none of that runs in the cluster.',
  },
  {
    id: 'hook-made-webhook-certificate',
    object: { kind: 'Secret', name: '{CERT_SECRET}' },
    path: '',
    upstream: ABSENT,
    dynamoctl: 'object',
    reason: "The webhook serving certificate Secret that the chart's cert-gen hook Job would create, created by dynamoctl itself (same name and keys).",
  },
  {
    id: 'hook-made-mpi-key',
    object: { kind: 'Secret', name: '{MPI_SECRET}' },
    path: '',
    upstream: ABSENT,
    dynamoctl: 'object',
    reason: "The MPI SSH key Secret that the chart's ssh-keygen hook Job would create, created by dynamoctl itself (same name and keys).",
  },
  {
    id: 'kai-queues-plain',
    object: { kind: 'Queue' },
    path: 'metadata.annotations["helm.sh/hook*"]',
    upstream: '*',
    dynamoctl: ABSENT,
    reason: 'The chart creates the Kai queues as post-install hooks; dynamoctl applies them as ordinary objects of the install (helm hooks mean nothing outside helm).',
  },
  {
    id: 'kai-queues-only-with-kai',
    object: { kind: 'Queue' },
    path: '',
    upstream: 'object',
    dynamoctl: ABSENT,
    reason:
      'The chart creates the dynamo and dynamo-default queues whenever the cluster serves the Kai API and they do not exist yet; dynamoctl creates them only when Kai is enabled for the install (installed with it, or an existing Kai reused), so an install without Kai adds nothing to a Kai scheduler.',
    noUpstreamCase: true,
  },
  {
    id: 'managed-by',
    object: { kind: '*' },
    path: 'metadata.labels["app.kubernetes.io/managed-by"]',
    upstream: '"Helm"',
    dynamoctl: '"dynamoctl"',
    reason: 'The label names the tool that manages the object (helm writes its own name there); dynamoctl is that tool, and helm must not take the objects for its own.',
  },
  {
    id: 'release-namespace-label',
    object: { kind: '*' },
    path: 'metadata.labels["dynamoctl.nvidia.com/release-namespace"]',
    upstream: ABSENT,
    dynamoctl: '"{NS}"',
    reason: `Ownership label: two installs may share a release name in different namespaces; ${OWNERSHIP}.`,
  },
  {
    id: 'unlabelled-instance',
    object: { kind: ['PodMonitor', 'Queue'] },
    path: 'metadata.labels["app.kubernetes.io/instance"]',
    upstream: ABSENT,
    dynamoctl: '"{RELEASE}"',
    reason: `The chart leaves its PodMonitors and Kai queues unlabelled; ${OWNERSHIP}.`,
  },
  {
    id: 'unlabelled-managed-by',
    object: { kind: ['PodMonitor', 'Queue'] },
    path: 'metadata.labels["app.kubernetes.io/managed-by"]',
    upstream: ABSENT,
    dynamoctl: '"dynamoctl"',
    reason: `The chart leaves its PodMonitors and Kai queues unlabelled; ${OWNERSHIP}.`,
  },
];

const cell = (s: string): string => s.replace(/\|/g, '\\|');
const code = (s: string): string => (s === ABSENT || s === 'object' ? s : `\`${s}\``);

/** README's deviation section, generated from the table (a test keeps README equal to it). */
export function deviationsMarkdown(table: readonly Deviation[] = DEVIATIONS): string {
  const rows = table.map((d) => {
    const kinds = typeof d.object.kind === 'string' ? d.object.kind : d.object.kind.join(', ');
    const object = `${kinds === '*' ? 'every object' : kinds}${d.object.hook ? ' (helm hooks)' : ''}${d.object.name ? ` \`${d.object.name}\`` : ''}`;
    const field = d.path ? `\`${d.path}\`` : 'the object';
    const shown = d.noUpstreamCase ? `${d.reason} (Not in the reference cases.)` : d.reason;
    return `| ${cell(object)} | ${cell(field)} | ${cell(code(d.upstream))} | ${cell(code(d.dynamoctl))} | ${cell(shown)} |`;
  });
  return ['| Object | Field | Chart 0.8.1 | dynamoctl | Why |', '|---|---|---|---|---|', ...rows].join('\n');
}
