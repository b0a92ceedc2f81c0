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
import { acquireLockWaiting } from '../apply/lock.ts';
import { deleteObject } from '../apply/apply.ts';
import { identityPath, readRecord, recordName, RECORD_TYPE, type HelmReleaseRecord } from '../apply/record.ts';
import { CRDS_NAMESPACE, DYNAMO_CRDS } from '../checks/preflight.ts';
import { unlessForbidden, Kube as KubeClient, type KubeTarget } from '../cluster/client.ts';
import { discoverOperators } from '../cluster/discovery.ts';
import { componentOf } from '../components/table.ts';
import type { ExistingOperator } from '../conflicts/types.ts';
import { step, type Emit } from '../engine/events.ts';
import { ClusterError, InterruptedError, UserError } from '../errors.ts';
import type { HelmOptions } from '../helm/helm.ts';
import { releaseStatus, uninstallRelease } from '../helm/install.ts';
import { onInterrupt } from '../interrupt.ts';
import { RELEASE_NAMESPACE_LABEL } from '../render/labels.ts';
import { customResources, findInventory, findLeftovers, helmChartRefusal, ignoreStatus, namespaceContents, operatorLabel, sharers, waitGone } from './uninstall-cluster.ts';
import { describeObject, describeUninstallPlan, planUninstall, type UninstallSummary } from './uninstall-plan.ts';

const LOCK_WAIT_MS = 10 * 60_000;
/** How long deleted objects (operator, CRDs, namespace) may take to disappear. */
const GONE_TIMEOUT_MS = 120_000;

export interface UninstallOptions {
  release: string;
  namespace: string;
  target: KubeTarget;
  helm: HelmOptions;
  emit: Emit;
  /** Asks whether to go on (the command's prompt, or --yes). */
  confirm: (question: string) => Promise<boolean>;
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

export async function uninstallPlatform(o: UninstallOptions): Promise<UninstallSummary> {
  const { emit, release, namespace } = o;
  const kube = KubeClient.load(o.target);
  const helmTimeout = o.helmTimeoutSeconds ?? 300;

  const lock = o.dryRun
    ? undefined
    : await step(emit, 'Claiming the install lock', (update) =>
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
    const { inventory, others, customResourceCount, crdsPresent, pvcs } = await step(emit, `Finding what ${release} in ${namespace} installed`, async () => {
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
      emit({ type: 'warning', message: `no install record; found ${n} object${n === 1 ? '' : 's'} by their labels` });
    }
    if (o.purge && inventory.scope === 'namespace') emit({ type: 'info', message: `namespace mode: --purge deletes the custom resources in ${inventory.targetNamespace} only; the CRDs are never removed` });

    const plan = planUninstall(inventory, { release, namespace, purge: o.purge, deleteData: o.deleteData, otherOperators: others.length });
    // objects another install uses as shared are handed to it, not deleted
    const users = await sharers(kube, release, namespace);
    const handovers = plan.operator.flatMap((obj) => {
      const to = users.get(`${obj.kind}:${obj.namespace ?? ''}:${obj.name}`);
      return to ? [{ obj, to }] : [];
    });
    plan.operator = plan.operator.filter((obj) => !handovers.some((h) => h.obj === obj));
    const lines = [
      ...describeUninstallPlan(plan, { release, namespace, customResources: customResourceCount, crdsPresent, pvcs }),
      ...handovers.map((h) => `  = hand ${describeObject(h.obj)} over to release ${h.to.release} in ${h.to.namespace} (it uses it too)`),
    ];
    emit({ type: 'info', message: `Uninstall ${release} from ${namespace} (${inventory.scope === 'cluster' ? 'cluster-wide' : `restricted to ${inventory.targetNamespace}`}; from the ${inventory.source === 'record' ? 'install record' : 'ownership labels'}):\n${lines.join('\n')}` });
    if (!o.purge && customResourceCount === 0) emit({ type: 'info', message: 'Dynamo custom resources and CRDs are kept (--purge deletes them)' });

    const deleted = lines.filter((l) => l.startsWith('  - ')).map((l) => l.slice(4));
    const kept = plan.keptReleases.map((k) => `helm release ${k.release.release} in ${k.release.namespace}: ${k.reason}`);
    const summary: UninstallSummary = { release, namespace, scope: inventory.scope, source: inventory.source, dryRun: o.dryRun, deleted, kept, leftovers: [] };
    if (o.dryRun) return summary;
    if (!(await o.confirm(`Uninstall Dynamo platform release ${release} from ${namespace} (context ${kube.context})${o.purge ? ', deleting its custom resources' : ''}${o.deleteData ? ' and data volumes' : ''}?`))) {
      throw new InterruptedError('declined; nothing was changed');
    }

    const del = async (path: string, propagationPolicy: 'Foreground' | 'Background'): Promise<void> => {
      await kube.request('DELETE', path, { body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy } }).catch(ignoreStatus(404));
    };

    await step(emit, 'Removing the validating webhook configurations', async (update) => {
      for (const w of plan.webhooks) {
        await del(identityPath(w), 'Background');
        update(w.name);
      }
    });

    if (plan.deleteCustomResources) {
      await step(emit, 'Deleting the Dynamo custom resources', async (update) => {
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

    await step(emit, 'Removing the operator', async (update) => {
      for (const { obj, to } of handovers) {
        const labels = { 'app.kubernetes.io/instance': to.release, [RELEASE_NAMESPACE_LABEL]: to.namespace };
        await kube.request('PATCH', identityPath(obj), { body: { metadata: { labels } }, contentType: 'application/merge-patch+json' }).catch(ignoreStatus(404));
        update(`${describeObject(obj)}: now release ${to.release}'s`);
      }
      for (const obj of plan.operator) {
        // only what the inventory saw: the same object (uid), not one someone made since under that name
        await deleteObject(kube, obj, obj.uid ? { uid: obj.uid } : {}, obj.kind === 'Deployment' ? 'Foreground' : 'Background');
        update(describeObject(obj));
      }
      const left = await waitGone(kube, plan.operator.map(identityPath), GONE_TIMEOUT_MS, update);
      if (left.length) throw new ClusterError(`operator objects still present after ${GONE_TIMEOUT_MS / 1000}s: ${left.join(', ')}`, { hint: `kubectl get all -n ${namespace}; then re-run the uninstall` });
    });

    if (plan.subcharts.length) {
      await step(emit, `Uninstalling ${plan.subcharts.map((r) => r.component).join(', ')}`, async (update) => {
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
      await step(emit, 'Deleting the NATS and etcd volumes', async (update) => {
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
      await step(emit, 'Removing the Dynamo CRDs', async (update) => {
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
      await step(emit, `Removing namespace ${namespace}`, async (update) => {
        const others = await namespaceContents(kube, namespace, release);
        if (others.length) {
          emit({ type: 'warning', message: `namespace ${namespace} kept: it holds more than this install (${others.slice(0, 5).join(', ')}${others.length > 5 ? ', …' : ''})` });
          summary.kept.push(`namespace ${namespace}: not empty`);
          return;
        }
        const removed = await unlessForbidden(kube.request('DELETE', `/api/v1/namespaces/${namespace}`).then(() => true).catch(ignoreStatus(404)), false);
        if (removed === false) {
          emit({ type: 'warning', message: `namespace ${namespace} kept: not allowed to delete namespaces` });
          summary.kept.push(`namespace ${namespace}: not allowed to delete it`);
          return;
        }
        update('waiting for it to terminate');
        await waitGone(kube, [`/api/v1/namespaces/${namespace}`], 60_000, update);
        namespaceRemoved = true;
      });
    }
    if (!namespaceRemoved) {
      await step(emit, 'Removing the install record', () => del(`/api/v1/namespaces/${namespace}/secrets/${recordName(release)}`, 'Background'));
    }

    forgetLock();
    await releaseLock();

    summary.leftovers = await step(emit, 'Looking for leftovers', () => findLeftovers(kube, o, inventory, plan));
    return summary;
  } finally {
    forgetLock();
    await releaseLock();
  }
}

