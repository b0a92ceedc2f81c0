/**
 * What every object builder needs, computed once from resolved values, and the chart's metadata helpers:
 * the label sets its templates use, so each builder says which one, as the template does.
 */
import type { OperatorValues, Values } from '../config/values-schema.ts';
import type { KubeObject, Subject, V1PolicyRule } from './k8s-types.ts';
import { chartLabels, ownershipLabels, type LabelContext } from './labels.ts';
import { chartName, fullname } from './names.ts';

/** What the renderer knows about the cluster (discovered by the caller; render never asks). */
export interface ClusterFacts {
  /** Served group/versions, e.g. "monitoring.coreos.com/v1". */
  apiVersions: readonly string[];
}

/** Generated secrets. Absent: Secrets carry a placeholder and the webhook no caBundle (`render` without --include-secrets). */
export interface Material {
  webhook?: { caCert: string; tlsCert: string; tlsKey: string };
  ssh?: { privateKey: string; publicKey: string };
}

export interface RenderContext {
  values: Values;
  op: OperatorValues;
  release: string;
  /** Install (release) namespace. */
  ns: string;
  /** Namespace a restricted operator manages (= ns unless targetNamespace says otherwise). */
  tns: string;
  clusterWide: boolean;
  /** fullname. */
  f: string;
  version: string;
  labelCtx: LabelContext;
}

export function renderContext(values: Values, platformVersion: string): RenderContext {
  const op = values['dynamo-operator'];
  const release = values.dynamoctl.release;
  const ns = values.dynamoctl.namespace;
  return {
    values,
    op,
    release,
    ns,
    tns: op.namespaceRestriction.targetNamespace || ns,
    clusterWide: !op.namespaceRestriction.enabled,
    f: fullname(release, op),
    version: platformVersion,
    labelCtx: { release, namespace: ns, name: chartName(op), version: platformVersion },
  };
}

/** Namespace mode restricted to namespaced objects (installable by a namespace admin). */
export function namespaceOnly(values: Values): boolean {
  return values.dynamoctl.namespaceOnly && values['dynamo-operator'].namespaceRestriction.enabled;
}

/** Is the validating webhook rendered? Off with webhook.enabled=false, and with --namespace-only (its configuration is cluster-scoped). */
export function webhookActive(values: Values): boolean {
  return values['dynamo-operator'].webhook.enabled && !namespaceOnly(values);
}

/** Does this install generate a webhook certificate itself (not cert-manager, not an external one)? */
export function generatesWebhookCert(values: Values): boolean {
  const webhook = values['dynamo-operator'].webhook;
  return webhookActive(values) && !webhook.certificateSecret.external && !webhook.certManager.enabled;
}

/**
 * The chart's label sets: 'common' is `dynamo-operator.labels` alone; a component adds the
 * component/created-by/part-of trio most templates write; 'unlabelled' objects (the chart gives them no
 * labels) carry only dynamoctl's ownership labels.
 */
export type LabelSet = 'common' | 'unlabelled' | { component: string; extra?: Record<string, string> } | { profiling: true };

export function labelsFor(ctx: RenderContext, set: LabelSet): Record<string, string> {
  if (set === 'unlabelled') return ownershipLabels(ctx.labelCtx);
  const common = chartLabels(ctx.labelCtx);
  if (set === 'common') return common;
  if ('profiling' in set) return { ...common, 'app.kubernetes.io/component': 'dgdr-profiling' };
  return { 'app.kubernetes.io/component': set.component, 'app.kubernetes.io/created-by': 'dynamo-operator', 'app.kubernetes.io/part-of': 'dynamo-operator', ...set.extra, ...common };
}

export function meta(ctx: RenderContext, name: string, labels: LabelSet, namespace?: string, annotations?: Record<string, string>) {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: labelsFor(ctx, labels),
    ...(annotations && Object.keys(annotations).length ? { annotations } : {}),
  };
}

export const RBAC = 'rbac.authorization.k8s.io';
export const saSubject = (name: string, namespace: string): Subject => ({ kind: 'ServiceAccount', name, namespace });
export const managerSa = (ctx: RenderContext): string => `${ctx.f}-controller-manager`;

/** A Role in `namespace`, or a ClusterRole when namespace is undefined, plus its binding to `subjects`. */
export function roleWithBinding(
  ctx: RenderContext,
  opts: { role: string; binding: string; rules: V1PolicyRule[]; namespace?: string | undefined; subjects: Subject[]; labels: LabelSet; bindingLabels?: LabelSet },
): KubeObject[] {
  const cluster = opts.namespace === undefined;
  const roleKind = cluster ? 'ClusterRole' : 'Role';
  return [
    { apiVersion: `${RBAC}/v1`, kind: roleKind, metadata: meta(ctx, opts.role, opts.labels, opts.namespace), rules: opts.rules },
    {
      apiVersion: `${RBAC}/v1`,
      kind: cluster ? 'ClusterRoleBinding' : 'RoleBinding',
      metadata: meta(ctx, opts.binding, opts.bindingLabels ?? opts.labels, opts.namespace),
      roleRef: { apiGroup: RBAC, kind: roleKind, name: opts.role },
      subjects: opts.subjects,
    },
  ];
}

export function serviceAccount(ctx: RenderContext, name: string, labels: LabelSet, extra: { annotations?: Record<string, string>; pullSecret?: string | undefined } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(ctx, name, labels, ctx.ns, extra.annotations),
    ...(extra.pullSecret ? { imagePullSecrets: [{ name: extra.pullSecret }] } : {}),
  };
}
