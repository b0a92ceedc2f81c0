/**
 * The upstream umbrella release, read as data: which chart versions dynamoctl can take over, which of its
 * objects belong to the operator and which to a subchart (helm's manifest names each object's template in a
 * `# Source: <chart>/charts/<subchart>/…` line), and the values that keep its workloads exactly as they run.
 * Pure: the manifests and live facts come in as text and objects.
 */
import { parse } from 'yaml';
import type { ObjectIdentity } from '../apply/record.ts';
import { COMPONENTS, SUBCHART_KEYS } from '../components/table.ts';
import type { SubchartKey } from '../config/values-schema.ts';
import { UserError } from '../errors.ts';
import { KIND_RESOURCES } from '../render/k8s-types.ts';

type Tree = Record<string, unknown>;

export const UMBRELLA_CHART = 'dynamo-platform';
/** The chart versions whose objects dynamoctl renders identically (its operator parity is with 0.8.1). */
export const SUPPORTED_VERSIONS = /^0\.8\.\d+$/;

/** Refuses (exit 2) a release that is not a dynamo-platform 0.8.x chart, naming what is supported. */
export function checkUmbrella(release: string, namespace: string, found: { chart: string; version: string; status: string }): void {
  if (found.chart !== UMBRELLA_CHART || !SUPPORTED_VERSIONS.test(found.version)) {
    throw new UserError(`helm release ${release} in ${namespace} is chart ${found.chart} ${found.version}; dynamoctl adopts chart ${UMBRELLA_CHART} 0.8.x only`, {
      hint: `nothing was changed; upgrade it with helm to ${UMBRELLA_CHART} 0.8.1 first, or keep managing it with helm`,
    });
  }
  if (found.status !== 'deployed') {
    throw new UserError(`helm release ${release} in ${namespace} is ${found.status}, not deployed`, { hint: `nothing was changed; finish it with helm first (helm history ${release} -n ${namespace})` });
  }
}

export interface ReleaseObject extends ObjectIdentity {
  /** nats, etcd, grove, kai-scheduler; undefined: the operator (or the umbrella's own templates). */
  subchart?: SubchartKey;
}

/** The objects of a helm manifest (or hooks listing), with the subchart each came from. Kinds dynamoctl cannot address are refused. */
export function releaseObjects(text: string, namespace: string): ReleaseObject[] {
  const out: ReleaseObject[] = [];
  for (const chunk of text.split(/^---[ \t]*$/m)) {
    const o = parse(chunk) as { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> } } | null;
    if (!o?.kind || !o.metadata?.name || !o.apiVersion) continue;
    // `helm test` hooks (NATS's request-reply Pod) exist only while a test runs
    const hook = o.metadata.annotations?.['helm.sh/hook'];
    if (hook && hook.split(',').every((h) => h.trim().startsWith('test'))) continue;
    const source = /^# Source: (\S+)/m.exec(chunk)?.[1] ?? '';
    const sub = /^[^/]+\/charts\/([^/]+)\//.exec(source)?.[1];
    const mapping = KIND_RESOURCES[o.kind];
    if (!mapping) throw new UserError(`the release holds a ${o.kind} (${o.metadata.name}), which dynamoctl adopt does not handle`, { hint: 'nothing was changed; this release was not made by the dynamo-platform chart alone' });
    out.push({
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.metadata.name,
      ...(mapping[2] ? { namespace: o.metadata.namespace ?? namespace } : {}),
      ...(sub && (SUBCHART_KEYS as readonly string[]).includes(sub) ? { subchart: sub as SubchartKey } : {}),
    });
  }
  return out;
}

/** A live image reference as repository and tag (undefined when it has a digest: the values cannot say that). */
export function splitImage(image: string): { repository: string; tag: string } | undefined {
  if (image.includes('@')) return undefined;
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? { repository: image.slice(0, colon), tag: image.slice(colon + 1) } : { repository: image, tag: 'latest' };
}

/**
 * The values that keep what runs as it runs: the kube-rbac-proxy image the operator pod runs (dynamoctl's
 * default moved off the deleted gcr.io image, which would restart the pod) and, for each subchart handed to
 * a release of its own, the umbrella's instance label.
 */
export function pinnedValues(o: { umbrella: string; rbacProxyImage?: string | undefined; subcharts: readonly SubchartKey[] }): Tree {
  const pins: Tree = {};
  const image = o.rbacProxyImage ? splitImage(o.rbacProxyImage) : undefined;
  if (image) pins['dynamo-operator'] = { controllerManager: { kubeRbacProxy: { image } } };
  for (const key of o.subcharts) {
    const keep = COMPONENTS[key].keepInstance;
    if (keep) pins[key] = keep(o.umbrella);
  }
  return pins;
}
