/**
 * Labels. Objects carry the chart's own labels (so tools that read them, and a later `helm` view, see the
 * same objects) with dynamoctl's ownership labels beside them: `managed-by` names dynamoctl, and
 * `release-namespace` tells two installs of one release name apart. Install, status, prune and uninstall
 * select on the ownership labels. Pod templates carry exactly the chart's labels: a label change there
 * would restart the operator.
 */

export const MANAGED_BY = 'dynamoctl';
/** Cluster-scoped objects say which install namespace they belong to. */
export const RELEASE_NAMESPACE_LABEL = 'dynamoctl.nvidia.com/release-namespace';

export interface LabelContext {
  release: string;
  namespace: string;
  /** The chart's `name` (dynamo-operator or nameOverride). */
  name: string;
  /** The platform (chart) version: the chart's `app.kubernetes.io/version` and `helm.sh/chart` follow it. */
  version: string;
}

/** Selector labels: stable for the life of a release (Deployment selectors are immutable). */
export function selectorLabels(ctx: LabelContext): Record<string, string> {
  return { 'app.kubernetes.io/name': ctx.name, 'app.kubernetes.io/instance': ctx.release };
}

/** The labels that make an object part of an install: what ownershipSelector finds. */
export function ownershipLabels(ctx: Pick<LabelContext, 'release' | 'namespace'>): Record<string, string> {
  return { 'app.kubernetes.io/instance': ctx.release, 'app.kubernetes.io/managed-by': MANAGED_BY, [RELEASE_NAMESPACE_LABEL]: ctx.namespace };
}

/** The chart's common labels (`dynamo-operator.labels`), with dynamoctl as the manager, plus ownership. */
export function chartLabels(ctx: LabelContext): Record<string, string> {
  return {
    'helm.sh/chart': `dynamo-operator-${ctx.version}`,
    ...selectorLabels(ctx),
    'app.kubernetes.io/version': ctx.version,
    ...ownershipLabels(ctx),
  };
}

/** dynamoctl's own objects (the install record): ownership plus what they are. */
export function ownerLabels(ctx: LabelContext, component: string): Record<string, string> {
  return { ...selectorLabels(ctx), 'app.kubernetes.io/version': ctx.version, ...ownershipLabels(ctx), 'app.kubernetes.io/component': component };
}

/** What pruning may delete: everything the install owns except its own record. */
export function pruneSelector(release: string, namespace: string): string {
  return `${ownershipSelector(release, namespace)},app.kubernetes.io/component!=record`;
}

/** The label selector that finds everything an install owns. */
export function ownershipSelector(release: string, namespace: string): string {
  return `app.kubernetes.io/managed-by=${MANAGED_BY},app.kubernetes.io/instance=${release},${RELEASE_NAMESPACE_LABEL}=${namespace}`;
}
