/**
 * The uninstall's pure half: what an install consists of (the inventory), what to delete in which order
 * (the plan), and how both read for people. Nothing here reads the cluster.
 */
import { componentOf } from '../components/table.ts';
import { identityKey, recordName, type HelmReleaseRecord, type ObjectIdentity } from '../apply/record.ts';
import { CRDS_NAMESPACE } from '../checks/preflight.ts';
import { KIND_ORDER } from '../render/index.ts';
import { KIND_RESOURCES } from '../render/k8s-types.ts';

/** What the uninstall works from: the record, or the ownership labels alone. */
export interface Inventory {
  source: 'record' | 'labels';
  scope: 'cluster' | 'namespace';
  targetNamespace: string;
  createdNamespace: boolean;
  objects: ObjectIdentity[];
  helmReleases: HelmReleaseRecord[];
  /** The record Secret exists. */
  hasRecord: boolean;
}

/** The deletions, in order. Pure: derived from the inventory and the flags. */
export interface UninstallPlan {
  webhooks: ObjectIdentity[];
  operator: ObjectIdentity[];
  /** Subchart releases to uninstall (not the reused ones, not the CRDs). */
  subcharts: HelmReleaseRecord[];
  /** Releases found but left alone, and why. */
  keptReleases: { release: HelmReleaseRecord; reason: string }[];
  deleteCustomResources: boolean;
  /** The dynamo-crds release and the CRD objects. */
  deleteCrds: boolean;
  /** PVC label selectors (instance of the NATS and etcd releases), with --delete-data. */
  dataSelectors: string[];
  deleteNamespace: boolean;
}

export interface Leftover {
  what: string;
  why: string;
  /** The command that removes it. */
  command: string;
}

export interface UninstallSummary {
  release: string;
  namespace: string;
  scope: 'cluster' | 'namespace';
  source: Inventory['source'];
  dryRun: boolean;
  /** What was (or, with --dry-run, would be) deleted. */
  deleted: string[];
  /** What was deliberately kept, with the reason. */
  kept: string[];
  leftovers: Leftover[];
}

export const describeObject = (o: Pick<ObjectIdentity, 'kind' | 'name' | 'namespace'>): string => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;

/** Deletion order: the Deployment first (the operator stops before its RBAC goes), then apply order reversed. */
function deletionRank(kind: string): number {
  if (kind === 'Deployment') return -1;
  const i = KIND_ORDER.indexOf(kind);
  return i === -1 ? -0.5 : KIND_ORDER.length - i;
}

export function sortForDeletion<T extends Pick<ObjectIdentity, 'kind' | 'name' | 'namespace'>>(objects: readonly T[]): T[] {
  const key = (o: T): string => identityKey(o);
  return [...objects].sort((a, b) => deletionRank(a.kind) - deletionRank(b.kind) || key(a).localeCompare(key(b)));
}

/** Joins object lists, each object once. */
export function mergeObjects(...lists: readonly (readonly ObjectIdentity[])[]): ObjectIdentity[] {
  const byKey = new Map<string, ObjectIdentity>();
  for (const o of lists.flat()) byKey.set(`${o.kind}:${o.namespace ?? ''}:${o.name}`, o);
  return [...byKey.values()];
}

/** What to delete, in which order, from the inventory and the flags. */
export function planUninstall(inv: Inventory, opts: { release: string; namespace: string; purge: boolean; deleteData: boolean; otherOperators: number }): UninstallPlan {
  const isRecord = (o: ObjectIdentity): boolean => o.kind === 'Secret' && o.namespace === opts.namespace && o.name === recordName(opts.release);
  const objects = inv.objects.filter((o) => !isRecord(o) && o.kind !== 'Namespace' && o.kind !== 'CustomResourceDefinition');
  const keptReleases: UninstallPlan['keptReleases'] = [];
  const subcharts: HelmReleaseRecord[] = [];
  for (const r of inv.helmReleases) {
    if (r.component === 'dynamo-crds') continue;
    if (r.reused) keptReleases.push({ release: r, reason: 'installed by someone else (reused)' });
    else subcharts.push(r);
  }
  const crds = inv.helmReleases.find((r) => r.component === 'dynamo-crds');
  const deleteCrds = opts.purge && inv.scope === 'cluster' && opts.otherOperators === 0 && crds?.reused !== true;
  if (crds && !deleteCrds) {
    keptReleases.push({
      release: crds,
      reason: crds.reused ? 'installed by someone else (reused)' : !opts.purge ? 'the CRDs stay without --purge' : 'another Dynamo operator remains',
    });
  }
  const data = inv.helmReleases.filter((r) => componentOf(r.component)?.keepsData);
  return {
    webhooks: sortForDeletion(objects.filter((o) => o.kind === 'ValidatingWebhookConfiguration')),
    operator: sortForDeletion(objects.filter((o) => o.kind !== 'ValidatingWebhookConfiguration')),
    subcharts,
    keptReleases,
    deleteCustomResources: opts.purge,
    deleteCrds,
    dataSelectors: opts.deleteData ? data.map((r) => `app.kubernetes.io/instance=${r.release}`) : [],
    deleteNamespace: inv.createdNamespace,
  };
}

/** The lines of the plan, as shown before the confirmation. */
export function describeUninstallPlan(plan: UninstallPlan, facts: { release: string; namespace: string; customResources: number; crdsPresent: number; pvcs: string[] }): string[] {
  const lines: string[] = [];
  for (const o of [...plan.webhooks, ...plan.operator]) lines.push(`  - delete ${describeObject(o)}`);
  if (plan.deleteCustomResources) lines.push(`  - delete ${facts.customResources} Dynamo custom resource${facts.customResources === 1 ? '' : 's'}`);
  for (const r of plan.subcharts) lines.push(`  - helm uninstall ${r.release} -n ${r.namespace}`);
  for (const p of facts.pvcs) lines.push(`  - delete PersistentVolumeClaim ${facts.namespace}/${p} (its data is lost)`);
  if (plan.deleteCrds) {
    lines.push(`  - helm uninstall dynamo-crds -n ${CRDS_NAMESPACE}`);
    lines.push(`  - delete ${facts.crdsPresent} Dynamo CRD${facts.crdsPresent === 1 ? '' : 's'} (${facts.customResources} custom resource${facts.customResources === 1 ? '' : 's'} would be lost with them)`);
  }
  lines.push(`  - delete Secret ${facts.namespace}/${recordName(facts.release)} (the install record)`);
  if (plan.deleteNamespace) lines.push(`  - delete Namespace ${facts.namespace} (created by the install), if nothing else is left in it`);
  for (const k of plan.keptReleases) lines.push(`  = keep helm release ${k.release.release} in ${k.release.namespace}: ${k.reason}`);
  return lines;
}

/** The leftovers report: one line per object, with the command that removes it. */
export function formatLeftovers(leftovers: readonly Leftover[]): string[] {
  if (!leftovers.length) return [];
  return [
    `${leftovers.length} thing${leftovers.length === 1 ? '' : 's'} left behind:`,
    ...leftovers.flatMap((l) => [`  - ${l.what}: ${l.why}`, `      ${l.command}`]),
  ];
}

/** The kubectl command that deletes an object. */
export function deleteCommand(o: Pick<ObjectIdentity, 'apiVersion' | 'kind' | 'name' | 'namespace'>): string {
  const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
  const resource = KIND_RESOURCES[o.kind]?.[1] ?? o.kind.toLowerCase();
  return `kubectl delete ${resource}${group} ${o.name}${o.namespace ? ` -n ${o.namespace}` : ''}`;
}

