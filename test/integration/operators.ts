/**
 * Existing Dynamo operators for the conflict tests, installed two ways: with dynamoctl's own render, and
 * shaped like the upstream dynamo-platform Helm chart's objects (Helm labels, the chart's quirks).
 * Only what discovery can see is applied: ServiceAccounts, RBAC and the operator Deployment.
 */
import { resolveValues } from '../../src/config/resolve.ts';
import { renderManifests } from '../../src/render/index.ts';
import type { KubeObject } from '../../src/render/k8s-types.ts';
import { DYNAMO_PLATFORM_VERSION } from '../../src/version.ts';
import { defaults } from '../helpers/render.ts';
import { kubectl, kubectlOk, yamlStream } from './cluster.ts';

export type InstalledBy = 'dynamoctl' | 'helm-chart';

export interface OperatorSpec {
  release: string;
  namespace: string;
  scope: 'cluster' | 'namespace';
  targetNamespace?: string;
  /** Apply RBAC only, as a failed uninstall leaves it. */
  leftover?: boolean;
}

const APPLIED_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Deployment']);

/** dynamoctl renders the chart's objects (the conformance test holds it to that); helm's labels instead of ours. */
function asHelmChart(o: KubeObject, release: string, namespace: string): KubeObject {
  const labels = { ...o.metadata.labels };
  delete labels['dynamoctl.nvidia.com/release-namespace'];
  Object.assign(labels, { 'app.kubernetes.io/managed-by': 'Helm', release });
  return { ...o, metadata: { ...o.metadata, labels, annotations: { 'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': namespace } } };
}

export function operatorObjects(spec: OperatorSpec, by: InstalledBy): KubeObject[] {
  const values = resolveValues({
    defaults,
    files: [],
    sets: [],
    flags: { release: spec.release, namespace: spec.namespace, scope: spec.scope, ...(spec.targetNamespace ? { targetNamespace: spec.targetNamespace } : {}) },
  });
  return renderManifests(values, { apiVersions: [] }, undefined, DYNAMO_PLATFORM_VERSION)
    .filter((o) => APPLIED_KINDS.has(o.kind) && !(spec.leftover && o.kind === 'Deployment'))
    .map((o) => (by === 'helm-chart' ? asHelmChart(o, spec.release, spec.namespace) : o));
}

/** Applies an existing operator; returns a function that removes it again. */
export function installOperator(spec: OperatorSpec, by: InstalledBy): () => void {
  const objects = operatorObjects(spec, by);
  const namespaces = [...new Set([spec.namespace, spec.targetNamespace ?? spec.namespace])];
  for (const ns of namespaces) if (kubectl(['get', 'namespace', ns]).code !== 0) kubectlOk(['create', 'namespace', ns]);
  kubectlOk(['apply', '--server-side', '--field-manager=test-setup', '-f', '-'], { input: yamlStream(objects) });
  return () => {
    kubectl(['delete', '--wait=false', '--ignore-not-found', '-f', '-'], { input: yamlStream(objects) });
  };
}
