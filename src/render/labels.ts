/**
 * Labels. Every object dynamoctl renders carries the ownership labels below, which install, status, prune
 * and uninstall select on; the chart's own labels are kept so tools that read them still work.
 */

export const MANAGED_BY = 'dynamoctl';
/** Cluster-scoped objects say which install namespace they belong to. */
export const RELEASE_NAMESPACE_LABEL = 'dynamoctl.nvidia.com/release-namespace';

export interface LabelContext {
  release: string;
  namespace: string;
  /** The chart's `name` (dynamo-operator or nameOverride). */
  name: string;
  version: string;
}

/** Selector labels: stable for the life of a release (Deployment selectors are immutable). */
export function selectorLabels(ctx: LabelContext): Record<string, string> {
  return { 'app.kubernetes.io/name': ctx.name, 'app.kubernetes.io/instance': ctx.release };
}

/** Ownership + chart labels for an object of `component` (manager, rbac, webhook, …). */
export function ownerLabels(ctx: LabelContext, component: string): Record<string, string> {
  return {
    ...selectorLabels(ctx),
    'app.kubernetes.io/version': ctx.version,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/part-of': 'dynamo-platform',
    'app.kubernetes.io/component': component,
    [RELEASE_NAMESPACE_LABEL]: ctx.namespace,
  };
}

/** What pruning may delete: everything the install owns except its own record. */
export function pruneSelector(release: string, namespace: string): string {
  return `${ownershipSelector(release, namespace)},app.kubernetes.io/component!=record`;
}

/** The label selector that finds everything an install owns. */
export function ownershipSelector(release: string, namespace: string): string {
  return `app.kubernetes.io/managed-by=${MANAGED_BY},app.kubernetes.io/instance=${release},${RELEASE_NAMESPACE_LABEL}=${namespace}`;
}
