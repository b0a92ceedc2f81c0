/**
 * uninstallPlatform: removes exactly what an install put in the cluster, in an order that makes every step
 * safe to repeat (an interrupted uninstall is completed by running it again):
 *
 *   lock → inventory → confirm → webhooks → [--purge] custom resources → operator → subcharts
 *   → [--delete-data] volumes → [--purge, cluster-wide] CRDs → record → namespace (if created) → leftovers
 *
 * The inventory is the install record's, joined with whatever still carries the install's ownership
 * labels; without a record the labels alone say what is ours (and the user is told so). An install made
 * with the upstream Helm chart is recognised and left to helm. Webhooks go first so nothing is refused by
 * an operator that is about to disappear; custom resources go while the operator still runs, so its
 * finalizers complete. Every step tolerates "already gone". It ends with a scan for leftovers.
 */
import { componentOf, SUBCHART_KEYS } from '../components/table.ts';
import { acquireLockWaiting } from '../apply/lock.ts';
import { OWNED_KINDS } from '../apply/apply.ts';
import { readRecord, recordName, RECORD_TYPE, type HelmReleaseRecord, type InstallRecord, type ObjectIdentity } from '../apply/record.ts';
import { DYNAMO_CRDS } from '../checks/preflight.ts';
import { unlessForbidden, type Kube, Kube as KubeClient, type KubeTarget } from '../cluster/client.ts';
import { discoverOperators, servedResources } from '../cluster/discovery.ts';
import type { ExistingOperator } from '../conflicts/types.ts';
import { ClusterError, InterruptedError, UserError } from '../errors.ts';
import type { HelmOptions } from '../helm/helm.ts';
import { releaseStatus, uninstallRelease } from '../helm/install.ts';
import { onInterrupt } from '../interrupt.ts';
import { KIND_ORDER } from '../render/index.ts';
import { KIND_RESOURCES, objectKey, objectPath } from '../render/k8s-types.ts';
import { ownershipSelector } from '../render/labels.ts';
import { subchartRelease } from '../render/names.ts';
import type { Progress } from '../ui/progress.ts';
import { CRDS_NAMESPACE } from '../checks/preflight.ts';

const LOCK_WAIT_MS = 10 * 60_000;
/** How long deleted objects (operator, CRDs, namespace) may take to disappear. */
const GONE_TIMEOUT_MS = 120_000;

export interface UninstallOptions {
  release: string;
  namespace: string;
  target: KubeTarget;
  helm: HelmOptions;
  progress: Progress;
  dryRun: boolean;
  /** Also delete the Dynamo custom resources, and (cluster-wide, no other operator left) the CRDs. */
  purge: boolean;
  /** Also delete the NATS and etcd PersistentVolumeClaims. */
  deleteData: boolean;
  /** How long deleted custom resources may wait on their finalizers. */
  finalizerTimeoutMs: number;
  /** Consent, given up front, to remove finalizers that did not complete. */
  forceFinalizers: boolean;
  /** Asks for that consent (a terminal prompt); false when nobody can be asked. */
  askFinalizers: (question: string) => Promise<boolean>;
  /** How long helm may take to uninstall a release, in seconds. */
  helmTimeoutSeconds?: number;
}

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
  const key = (o: T): string => objectKey({ kind: o.kind, metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) } });
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

const ignoreStatus =
  (...codes: number[]) =>
  (error: unknown): undefined => {
    if (error instanceof ClusterError && error.status !== undefined && codes.includes(error.status)) return undefined;
    throw error;
  };

const pathOf = (o: ObjectIdentity): string => objectPath({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) } });

/** Objects carrying the install's ownership labels, in its namespaces (forbidden or unserved kinds skipped). */
export async function labelledObjects(kube: Kube, release: string, namespaces: readonly string[]): Promise<ObjectIdentity[]> {
  const selector = ownershipSelector(release, namespaces[0] ?? '');
  const collections = OWNED_KINDS.flatMap((kind): { kind: { apiVersion: string; kind: string }; path: string }[] =>
    KIND_RESOURCES[kind.kind]?.[2]
      ? [...new Set(namespaces)].map((namespace) => ({ kind, path: objectPath({ ...kind, metadata: { name: '', namespace } }, false) }))
      : [{ kind, path: objectPath({ ...kind, metadata: { name: '' } }, false) }],
  );
  const found = await Promise.all(
    collections.map(async ({ kind, path }) => {
      const items = (await kube.list<{ metadata: { name: string; namespace?: string } }>(path, { labelSelector: selector, metadataOnly: true }).catch(ignoreStatus(403, 404))) ?? [];
      return items.map((i): ObjectIdentity => ({ apiVersion: kind.apiVersion, kind: kind.kind, name: i.metadata.name, ...(i.metadata.namespace ? { namespace: i.metadata.namespace } : {}) }));
    }),
  );
  return found.flat();
}

/** The Dynamo custom resource collections the API serves (plural, group/version), found through discovery. */
async function dynamoResources(kube: Kube): Promise<{ groupVersion: string; plural: string }[]> {
  const group = await kube.getOptional<{ versions?: { groupVersion: string }[]; preferredVersion?: { groupVersion: string } }>('/apis/nvidia.com');
  const gv = group?.preferredVersion?.groupVersion ?? group?.versions?.[0]?.groupVersion;
  if (!gv) return [];
  const served = await servedResources(kube, gv);
  return served.filter((plural) => DYNAMO_CRDS.includes(`${plural}.nvidia.com`)).map((plural) => ({ groupVersion: gv, plural }));
}

interface CustomResource {
  path: string;
  label: string;
  finalizers: string[];
}

/** Every Dynamo custom resource, in `namespace` or (undefined) in the whole cluster. */
async function customResources(kube: Kube, namespace: string | undefined): Promise<CustomResource[]> {
  const resources = await dynamoResources(kube);
  const lists = await Promise.all(
    resources.map(async ({ groupVersion, plural }) => {
      const base = `/apis/${groupVersion}${namespace ? `/namespaces/${namespace}` : ''}/${plural}`;
      const items = (await kube.list<{ kind?: string; metadata: { name: string; namespace?: string; finalizers?: string[] } }>(base, { metadataOnly: true }).catch(ignoreStatus(403, 404))) ?? [];
      return items.map((i) => ({
        path: `/apis/${groupVersion}/namespaces/${i.metadata.namespace ?? namespace ?? ''}/${plural}/${i.metadata.name}`,
        label: `${plural}.nvidia.com ${i.metadata.namespace ?? namespace}/${i.metadata.name}`,
        finalizers: i.metadata.finalizers ?? [],
      }));
    }),
  );
  return lists.flat();
}

/** Polls until every path answers 404; returns those still there at the deadline. */
async function waitGone(kube: Kube, paths: readonly string[], timeoutMs: number, update?: (detail: string) => void): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = [...paths];
  for (;;) {
    const present = await Promise.all(left.map(async (p) => ((await unlessForbidden(kube.getOptional(p), undefined)) === undefined ? undefined : p)));
    left = present.filter((p): p is string => p !== undefined);
    if (!left.length || Date.now() >= deadline) return left;
    update?.(`waiting for ${left.length} to disappear`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Someone else's install of the platform with the upstream Helm chart: recognised, left to helm. */
function helmChartRefusal(release: string, namespace: string, crdsRelease: boolean): UserError {
  const steps = [`helm uninstall ${release} -n ${namespace}`];
  if (crdsRelease) steps.push(`then, for the CRDs (only when no other Dynamo operator remains): helm uninstall dynamo-crds -n ${CRDS_NAMESPACE}`);
  return new UserError(`release ${release} in ${namespace} was installed with the dynamo-platform Helm chart, not with dynamoctl`, { hint: steps.join('; ') });
}

const operatorLabel = (o: ExistingOperator): string =>
  `${o.release} in ${o.namespace ?? 'an unknown namespace'} (${o.scope === 'cluster' ? 'cluster-wide' : `restricted to ${o.targetNamespace ?? '?'}`}, ${o.installedBy === 'dynamoctl' ? 'dynamoctl' : 'Helm chart'})`;

/** Finds what the install of `release` in `namespace` consists of. */
async function findInventory(kube: Kube, o: UninstallOptions, record: InstallRecord | undefined): Promise<{ inventory: Inventory; ours: ExistingOperator | undefined }> {
  const local = await discoverOperators(kube, { namespaces: [o.namespace] });
  const ours = local.operators.find((x) => x.release === o.release && x.namespace === o.namespace);
  const scope = record?.scope ?? ours?.scope ?? 'namespace';
  const targetNamespace = record?.targetNamespace || ours?.targetNamespace || o.namespace;
  const labelled = await labelledObjects(kube, o.release, [o.namespace, targetNamespace]);
  const helmReleases: HelmReleaseRecord[] = record ? [...record.helmReleases] : [];
  if (!record) {
    // no record: the subchart releases dynamoctl names after the release, where they exist
    const found = await Promise.all(
      SUBCHART_KEYS.map(async (component) => {
        const name = subchartRelease(o.release, component);
        const state = await releaseStatus(name, o.namespace, o.helm);
        return state ? { component, release: name, namespace: o.namespace, chart: state.chart, version: state.version } : undefined;
      }),
    );
    helmReleases.push(...found.filter((r) => r !== undefined));
    if (scope === 'cluster' && (labelled.length || helmReleases.length) && (await releaseStatus('dynamo-crds', CRDS_NAMESPACE, o.helm).catch(() => undefined))) {
      helmReleases.push({ component: 'dynamo-crds', release: 'dynamo-crds', namespace: CRDS_NAMESPACE, chart: 'dynamo-crds', version: '' });
    }
  }
  const inventory: Inventory = {
    source: record ? 'record' : 'labels',
    scope,
    targetNamespace,
    createdNamespace: record?.createdNamespace ?? false,
    objects: mergeObjects(record?.inventory ?? [], labelled),
    helmReleases,
    hasRecord: record !== undefined,
  };
  return { inventory, ours };
}

export async function uninstallPlatform(o: UninstallOptions): Promise<UninstallSummary> {
  const { progress, release, namespace } = o;
  const kube = KubeClient.load(o.target);
  const helmTimeout = o.helmTimeoutSeconds ?? 300;

  const lock = o.dryRun
    ? undefined
    : await progress.step('Claiming the install lock', (update) =>
        acquireLockWaiting(kube, { purpose: `uninstall ${release} in ${namespace}`, fallbackNamespace: namespace, timeoutMs: LOCK_WAIT_MS, onWait: (holder) => update(`waiting for ${holder}`) }),
      );
  let released = false;
  const releaseLock = async (): Promise<void> => {
    if (released || !lock) return;
    released = true;
    // the lock may live in the namespace just deleted: it is then gone already
    await lock.release().catch(ignoreStatus(403, 404, 409));
  };
  const forgetLock = lock ? onInterrupt(releaseLock) : () => {};
  try {
    const { inventory, others, customResourceCount, crdsPresent, pvcs } = await progress.step(`Finding what ${release} in ${namespace} installed`, async () => {
      const record = await readRecord(kube, release, namespace);
      const found = await findInventory(kube, o, record);
      if (!record && !found.inventory.objects.length && !found.inventory.helmReleases.length) {
        if (found.ours?.installedBy === 'helm-chart') {
          const crds = await releaseStatus('dynamo-crds', CRDS_NAMESPACE, o.helm).catch(() => undefined);
          throw helmChartRefusal(release, namespace, crds !== undefined);
        }
        // a cluster-wide Helm chart install is seen only by a cluster-wide look
        const all = await unlessForbidden(discoverOperators(kube));
        const chart = all?.operators.find((x) => x.release === release && x.namespace === namespace && x.installedBy === 'helm-chart');
        if (chart) {
          const crds = await releaseStatus('dynamo-crds', CRDS_NAMESPACE, o.helm).catch(() => undefined);
          throw helmChartRefusal(release, namespace, crds !== undefined);
        }
        const records = ((await kube.list<{ metadata: { name: string; namespace: string } }>('/api/v1/secrets', { fieldSelector: `type=${RECORD_TYPE}`, metadataOnly: true }).catch(() => [])) ?? []).map(
          (s) => `${s.metadata.name.replace(/^dynamoctl-install-/, '')} in ${s.metadata.namespace}`,
        );
        throw new UserError(`no dynamoctl install of release ${release} in namespace ${namespace}: no install record and no objects with its labels`, {
          hint: records.length ? `installs found: ${records.join(', ')} (use --release and -n)` : 'nothing to uninstall',
        });
      }
      // another operator keeps the CRDs (and its custom resources) alive
      let others: ExistingOperator[] = [];
      if (o.purge && found.inventory.scope === 'cluster') {
        const all = await discoverOperators(kube);
        if (all.forbidden.length) throw new UserError(`--purge: cannot tell whether another Dynamo operator remains (not allowed to list ${all.forbidden.join(', ')})`, { hint: 'run as a cluster administrator, or uninstall without --purge' });
        others = all.operators.filter((x) => x.running && !(x.release === release && x.namespace === namespace));
      }
      const crScope = found.inventory.scope === 'cluster' ? undefined : found.inventory.targetNamespace;
      const customResourceCount = o.purge ? (await customResources(kube, crScope)).length : 0;
      const crdsPresent = (await Promise.all(DYNAMO_CRDS.map((n) => unlessForbidden(kube.getOptional(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${n}`))))).filter(Boolean).length;
      const dataReleases = found.inventory.helmReleases.filter((r) => r.component === 'nats' || r.component === 'etcd');
      const pvcs = o.deleteData
        ? (
            await Promise.all(
              dataReleases.map(async (r) =>
                ((await kube.list<{ metadata: { name: string } }>(`/api/v1/namespaces/${namespace}/persistentvolumeclaims`, { labelSelector: `app.kubernetes.io/instance=${r.release}`, metadataOnly: true }).catch(ignoreStatus(404))) ?? []).map(
                  (p) => p.metadata.name,
                ),
              ),
            )
          ).flat()
        : [];
      return { inventory: found.inventory, ours: found.ours, others, customResourceCount, crdsPresent, pvcs };
    });

    if (o.purge && inventory.scope === 'cluster' && others.length) {
      throw new UserError(`--purge would delete the Dynamo CRDs and every custom resource, but another Dynamo operator remains: ${others.map(operatorLabel).join('; ')}`, {
        hint: 'the CRDs are kept: uninstall without --purge (custom resources and CRDs stay), or uninstall the other operator first',
      });
    }
    if (inventory.source === 'labels') {
      const n = inventory.objects.length + inventory.helmReleases.length;
      progress.warn(`no install record; found ${n} object${n === 1 ? '' : 's'} by their labels`);
    }
    if (o.purge && inventory.scope === 'namespace') progress.info(`namespace mode: --purge deletes the custom resources in ${inventory.targetNamespace} only; the CRDs are never removed`);

    const plan = planUninstall(inventory, { release, namespace, purge: o.purge, deleteData: o.deleteData, otherOperators: others.length });
    const lines = describeUninstallPlan(plan, { release, namespace, customResources: customResourceCount, crdsPresent, pvcs });
    progress.info(`Uninstall ${release} from ${namespace} (${inventory.scope === 'cluster' ? 'cluster-wide' : `restricted to ${inventory.targetNamespace}`}; from the ${inventory.source === 'record' ? 'install record' : 'ownership labels'}):\n${lines.join('\n')}`);
    if (!o.purge && customResourceCount === 0) progress.info('Dynamo custom resources and CRDs are kept (--purge deletes them)');

    const deleted = lines.filter((l) => l.startsWith('  - ')).map((l) => l.slice(4));
    const kept = plan.keptReleases.map((k) => `helm release ${k.release.release} in ${k.release.namespace}: ${k.reason}`);
    const summary: UninstallSummary = { release, namespace, scope: inventory.scope, source: inventory.source, dryRun: o.dryRun, deleted, kept, leftovers: [] };
    if (o.dryRun) return summary;
    if (!(await progress.confirm(`Uninstall Dynamo platform release ${release} from ${namespace} (context ${kube.context})${o.purge ? ', deleting its custom resources' : ''}${o.deleteData ? ' and data volumes' : ''}?`))) {
      throw new InterruptedError('declined; nothing was changed');
    }

    const del = async (path: string, propagationPolicy: 'Foreground' | 'Background'): Promise<void> => {
      await kube.request('DELETE', path, { body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy } }).catch(ignoreStatus(404));
    };

    await progress.step('Removing the validating webhook configurations', async (update) => {
      for (const w of plan.webhooks) {
        await del(pathOf(w), 'Background');
        update(w.name);
      }
    });

    if (plan.deleteCustomResources) {
      await progress.step('Deleting the Dynamo custom resources', async (update) => {
        const scope = inventory.scope === 'cluster' ? undefined : inventory.targetNamespace;
        const crs = await customResources(kube, scope);
        for (const cr of crs) await del(cr.path, 'Background');
        update(`${crs.length} deleted; waiting up to ${o.finalizerTimeoutMs / 1000}s for their finalizers`);
        const stuck = await waitGone(kube, crs.map((c) => c.path), o.finalizerTimeoutMs, update);
        if (!stuck.length) return;
        const names = crs.filter((c) => stuck.includes(c.path));
        const list = names.map((c) => `${c.label}${c.finalizers.length ? ` (finalizers: ${c.finalizers.join(', ')})` : ''}`).join(', ');
        const consent = o.forceFinalizers || (await o.askFinalizers(`${stuck.length} custom resource${stuck.length === 1 ? '' : 's'} still have finalizers after ${o.finalizerTimeoutMs / 1000}s: ${list}. Remove the finalizers (the operator's cleanup for them is skipped)?`));
        if (!consent) {
          throw new ClusterError(`${stuck.length} Dynamo custom resource${stuck.length === 1 ? '' : 's'} did not finish deleting within ${o.finalizerTimeoutMs / 1000}s: ${list}`, {
            hint: 'the operator did not complete their finalizers: wait longer (--timeout-finalizers), or remove the finalizers with --force-finalizers (their cleanup is skipped); nothing after this step was removed, re-run to continue',
          });
        }
        for (const p of stuck) {
          await kube.request('PATCH', p, { body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' }).catch(ignoreStatus(404));
        }
        update(`removed the finalizers of ${stuck.length}`);
        const still = await waitGone(kube, stuck, 30_000, update);
        if (still.length) throw new ClusterError(`custom resources still present after removing their finalizers: ${still.join(', ')}`, { hint: 're-run the uninstall' });
      });
    }

    await progress.step('Removing the operator', async (update) => {
      for (const obj of plan.operator) {
        await del(pathOf(obj), obj.kind === 'Deployment' ? 'Foreground' : 'Background');
        update(describeObject(obj));
      }
      const left = await waitGone(kube, plan.operator.map(pathOf), GONE_TIMEOUT_MS, update);
      if (left.length) throw new ClusterError(`operator objects still present after ${GONE_TIMEOUT_MS / 1000}s: ${left.join(', ')}`, { hint: `kubectl get all -n ${namespace}; then re-run the uninstall` });
    });

    if (plan.subcharts.length) {
      await progress.step(`Uninstalling ${plan.subcharts.map((r) => r.component).join(', ')}`, async (update) => {
        const run = async (r: HelmReleaseRecord): Promise<void> => {
          update(`helm uninstall ${r.release}`);
          const removed = await uninstallRelease(r.release, r.namespace, helmTimeout, o.helm);
          update(`${r.release}: ${removed ? 'uninstalled' : 'already gone'}`);
          // what its operator created goes with it, through the garbage collector, after helm returns
          const runtime = componentOf(r.component)?.runtimeDeployments ?? [];
          const left = await waitGone(kube, runtime.map((name) => `/apis/apps/v1/namespaces/${r.namespace}/deployments/${name}`), GONE_TIMEOUT_MS, update);
          if (left.length) throw new ClusterError(`what the ${r.component} operator created is still present after ${GONE_TIMEOUT_MS / 1000}s: ${left.join(', ')}`, { hint: `kubectl get deployments -n ${r.namespace}` });
        };
        // the add-ons (their operators) before NATS and etcd
        const first = plan.subcharts.filter((r) => componentOf(r.component)?.operator);
        await Promise.all(first.map(run));
        await Promise.all(plan.subcharts.filter((r) => !first.includes(r)).map(run));
      });
    }

    if (plan.dataSelectors.length) {
      await progress.step('Deleting the NATS and etcd volumes', async (update) => {
        const paths: string[] = [];
        for (const selector of plan.dataSelectors) {
          const claims = (await kube.list<{ metadata: { name: string } }>(`/api/v1/namespaces/${namespace}/persistentvolumeclaims`, { labelSelector: selector, metadataOnly: true }).catch(ignoreStatus(404))) ?? [];
          for (const c of claims) {
            const path = `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${c.metadata.name}`;
            await del(path, 'Background');
            paths.push(path);
            update(c.metadata.name);
          }
        }
        const left = await waitGone(kube, paths, GONE_TIMEOUT_MS, update);
        if (left.length) throw new ClusterError(`volumes still present: ${left.join(', ')}`, { hint: `a pod may still use them: kubectl get pods -n ${namespace}` });
      });
    }

    if (plan.deleteCrds) {
      await progress.step('Removing the Dynamo CRDs', async (update) => {
        const remaining = (await customResources(kube, undefined)).length;
        update(`${remaining} custom resource${remaining === 1 ? '' : 's'} lost with them`);
        await uninstallRelease('dynamo-crds', CRDS_NAMESPACE, helmTimeout, o.helm);
        // the chart keeps five of the six (helm.sh/resource-policy: keep; not DynamoWorkerMetadata)
        const paths = DYNAMO_CRDS.map((n) => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${n}`);
        for (const p of paths) await del(p, 'Background');
        const left = await waitGone(kube, paths, GONE_TIMEOUT_MS, update);
        if (left.length) throw new ClusterError(`CRDs still present: ${left.join(', ')}`, { hint: 'kubectl get crd -o name | grep nvidia.com' });
      });
    }

    // The namespace before the record: deleting the namespace takes the record with it, so a run killed at
    // any point leaves either the record (the next run finds and finishes the work) or nothing.
    let namespaceRemoved = false;
    if (plan.deleteNamespace) {
      await progress.step(`Removing namespace ${namespace}`, async (update) => {
        const others = await namespaceContents(kube, namespace, release);
        if (others.length) {
          progress.warn(`namespace ${namespace} kept: it holds more than this install (${others.slice(0, 5).join(', ')}${others.length > 5 ? ', …' : ''})`);
          summary.kept.push(`namespace ${namespace}: not empty`);
          return;
        }
        const removed = await unlessForbidden(kube.request('DELETE', `/api/v1/namespaces/${namespace}`).then(() => true).catch(ignoreStatus(404)), false);
        if (removed === false) {
          progress.warn(`namespace ${namespace} kept: not allowed to delete namespaces`);
          summary.kept.push(`namespace ${namespace}: not allowed to delete it`);
          return;
        }
        update('waiting for it to terminate');
        await waitGone(kube, [`/api/v1/namespaces/${namespace}`], 60_000, update);
        namespaceRemoved = true;
      });
    }
    if (!namespaceRemoved) {
      await progress.step('Removing the install record', () => del(`/api/v1/namespaces/${namespace}/secrets/${recordName(release)}`, 'Background'));
    }

    forgetLock();
    await releaseLock();

    summary.leftovers = await progress.step('Looking for leftovers', () => findLeftovers(kube, o, inventory, plan));
    return summary;
  } finally {
    forgetLock();
    await releaseLock();
  }
}

/** What a namespace holds besides the defaults Kubernetes puts there (Leases, bookkeeping, do not count). */
/** What else a namespace holds (the install record aside): anything means it is not ours to delete. */
async function namespaceContents(kube: Kube, namespace: string, release: string): Promise<string[]> {
  const collections: [string, string, (name: string) => boolean][] = [
    ['pods', `/api/v1/namespaces/${namespace}/pods`, () => true],
    ['services', `/api/v1/namespaces/${namespace}/services`, () => true],
    ['secrets', `/api/v1/namespaces/${namespace}/secrets`, (n) => n !== recordName(release)],
    ['configmaps', `/api/v1/namespaces/${namespace}/configmaps`, (n) => n !== 'kube-root-ca.crt'],
    ['serviceaccounts', `/api/v1/namespaces/${namespace}/serviceaccounts`, (n) => n !== 'default'],
    ['persistentvolumeclaims', `/api/v1/namespaces/${namespace}/persistentvolumeclaims`, () => true],
    ['deployments', `/apis/apps/v1/namespaces/${namespace}/deployments`, () => true],
    ['statefulsets', `/apis/apps/v1/namespaces/${namespace}/statefulsets`, () => true],
    ['roles', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`, () => true],
    ['rolebindings', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, () => true],
  ];
  const found = await Promise.all(
    collections.map(async ([what, path, counts]) => {
      const items = (await kube.list<{ metadata: { name: string } }>(path, { metadataOnly: true }).catch(ignoreStatus(403, 404))) ?? [];
      return items.filter((i) => counts(i.metadata.name)).map((i) => `${what}/${i.metadata.name}`);
    }),
  );
  const crs = (await customResources(kube, namespace)).map((c) => c.label);
  return [...found.flat(), ...crs];
}

/** What remains of the install after the uninstall: labelled objects, helm releases, a stuck namespace. */
async function findLeftovers(kube: Kube, o: UninstallOptions, inventory: Inventory, plan: UninstallPlan): Promise<Leftover[]> {
  const leftovers: Leftover[] = [];
  const objects = await labelledObjects(kube, o.release, [o.namespace, inventory.targetNamespace]);
  for (const obj of sortForDeletion(objects)) {
    let why = 'still carries the install’s ownership labels';
    if (obj.kind === 'ValidatingWebhookConfiguration') {
      const hook = await kube.getOptional<{ webhooks?: { clientConfig?: { service?: { name: string; namespace: string } } }[] }>(pathOf(obj)).catch(() => undefined);
      const svc = hook?.webhooks?.find((w) => w.clientConfig?.service)?.clientConfig?.service;
      if (svc && !(await unlessForbidden(kube.getOptional(`/api/v1/namespaces/${svc.namespace}/services/${svc.name}`), {}))) {
        why = `its service ${svc.namespace}/${svc.name} is gone: every request it matches is refused`;
      }
    }
    leftovers.push({ what: describeObject(obj), why, command: deleteCommand(obj) });
  }
  const releases = [...plan.subcharts, ...(plan.deleteCrds ? inventory.helmReleases.filter((r) => r.component === 'dynamo-crds') : [])];
  for (const r of releases) {
    const state = await releaseStatus(r.release, r.namespace, o.helm).catch(() => undefined);
    if (state) leftovers.push({ what: `helm release ${r.release} in ${r.namespace}`, why: `still ${state.status}`, command: `helm uninstall ${r.release} -n ${r.namespace}` });
  }
  const ns = await unlessForbidden(kube.getOptional<{ status?: { phase?: string } }>(`/api/v1/namespaces/${o.namespace}`));
  if (ns?.status?.phase === 'Terminating') {
    leftovers.push({
      what: `namespace ${o.namespace}`,
      why: 'stuck Terminating (something in it has a finalizer nobody completes)',
      command: `kubectl api-resources --verbs=list --namespaced -o name | xargs -n1 kubectl get -n ${o.namespace} --ignore-not-found --show-kind`,
    });
  }
  return leftovers;
}
