/**
 * The executor: carries out exactly the confirmed plan, in order — verify that the cluster is still what
 * the plan saw (objects at the same uid and version, helm releases at the same revision), create the
 * namespace, claim (the caller's record), the CRDs, NATS and etcd together, Grove and Kai together, the
 * operator's objects (server-side apply with the planned version as a precondition), prunes, the rollout,
 * then the helm releases the values no longer enable. One AbortSignal stops everything: requests, waits
 * and helm; when one of several parallel helm installs fails, the others are stopped and waited for.
 */
import { applyObject, deleteObject, dropOtherOwners, pointAtRelease } from '../apply/apply.ts';
import { forgetHelmRelease } from '../apply/helm-storage.ts';
import { identity, identityPath, type HelmReleaseRecord } from '../apply/record.ts';
import { waitForReady } from '../apply/wait.ts';
import type { ClusterApi } from '../cluster/client.ts';
import { componentOf } from '../components/table.ts';
import { ClusterError, ConflictError } from '../errors.ts';
import { failFast } from '../failfast/race.ts';
import type { HelmApi } from '../helm/api.ts';
import { objectPath } from '../render/k8s-types.ts';
import { step, type Emit } from './events.ts';
import { planObject } from './plan.ts';
import { mapLimit } from '../concurrency.ts';
import type { HelmAction, LiveObject, ObjectAction, Plan } from './state.ts';

export interface ExecuteContext {
  kube: ClusterApi;
  helm: HelmApi;
  emit: Emit;
  signal: AbortSignal;
  helmTimeoutSeconds: number;
  rolloutTimeoutMs: number;
  /** How long a pod or claim may look broken before a wait stops (fail-fast). */
  failFastGraceMs: number;
  crdNames: readonly string[];
  /** After the namespace exists, before the first other change (the caller writes its record). */
  claim: () => Promise<void>;
}

const idOf = (a: ObjectAction): { path: string; label: string } => {
  if (a.action === 'prune') {
    return { path: identityPath(a.id), label: `${a.id.kind} ${a.id.namespace ? `${a.id.namespace}/` : ''}${a.id.name}` };
  }
  const m = a.object.metadata;
  return { path: objectPath(a.object), label: `${a.object.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name}` };
};

/**
 * What changed in the cluster since the plan was made (empty: nothing that matters), and the versions to
 * apply against. A new resourceVersion alone is not a change (controllers write status); a different field
 * difference, owner or uid is.
 */
export async function changedSincePlan(kube: ClusterApi, helm: HelmApi, plan: Plan): Promise<{ changes: string[]; versions: Map<string, string>; pending: Map<string, string> }> {
  const versions = new Map<string, string>();
  /** namespace/release → pending-install, pending-upgrade… */
  const pending = new Map<string, string>();
  const objects = await mapLimit(plan.objects, 8, async (a): Promise<string | undefined> => {
    if (a.action === 'conflict' || a.action === 'shared') return undefined;
    const { path, label } = idOf(a);
    const live = await kube.getOptional<LiveObject>(path);
    if (a.action === 'create') return live ? `${label} was created by someone else` : undefined;
    if (!live) return `${label} was deleted`;
    if (live.metadata.uid !== a.uid) return `${label} was replaced`;
    versions.set(path, live.metadata.resourceVersion ?? '');
    if (a.action === 'prune' || live.metadata.resourceVersion === a.resourceVersion) return undefined;
    const now = planObject(a.object, live, plan, false);
    const before = a.action === 'update' ? a.changes : [];
    const after = now.action === 'update' ? now.changes : [];
    // re-planned without force, what the plan takes by force (an update or a replace) is a conflict: that is no change
    const forced = (a.action === 'update' && a.force) || a.action === 'replace';
    const same = (now.action === a.action || (forced && now.action === 'conflict')) && JSON.stringify(before) === JSON.stringify(after);
    return same ? undefined : `${label} was modified`;
  });
  const releases = await Promise.all(
    plan.helm.map(async (h): Promise<string | undefined> => {
      if (h.action === 'reuse') return undefined;
      const state = await helm.status(h.release, h.namespace);
      if (state?.status.startsWith('pending-')) pending.set(`${h.namespace}/${h.release}`, state.status);
      if (h.action === 'install') return state && !state.status.startsWith('pending-') ? `helm release ${h.release} in ${h.namespace} was installed by someone else` : undefined;
      if (!state) return `helm release ${h.release} in ${h.namespace} was removed`;
      return state.revision !== h.revision ? `helm release ${h.release} in ${h.namespace} moved from revision ${h.revision} to ${state.revision}` : undefined;
    }),
  );
  return { changes: [...objects, ...releases].filter((x): x is string => x !== undefined), versions, pending };
}

/** Runs `tasks` together; the first failure stops the rest (their signal), and all are waited for before it is thrown. */
async function together<T>(signal: AbortSignal, tasks: ((signal: AbortSignal) => Promise<T>)[]): Promise<T[]> {
  const siblings = new AbortController();
  const linked = AbortSignal.any([signal, siblings.signal]);
  let first: unknown;
  const settled = await Promise.allSettled(
    tasks.map((t) =>
      t(linked).catch((error: unknown) => {
        // the failure that stopped the others, not the cancellations it caused
        if (!siblings.signal.aborted && !signal.aborted) {
          first = error;
          siblings.abort(new ClusterError(`stopped because another part of the install failed: ${(error as Error).message.split('\n')[0]}`));
        }
        throw error;
      }),
    ),
  );
  if (signal.aborted) throw signal.reason;
  if (first !== undefined) throw first;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

const recordOf = (h: HelmAction): HelmReleaseRecord => ({ component: h.component, release: h.release, namespace: h.namespace, chart: h.chart, version: h.version, ...(h.action === 'reuse' ? { reused: true } : {}) });

async function runChart(ctx: ExecuteContext, h: HelmAction, signal: AbortSignal, update: (s: string) => void, pending: string | undefined): Promise<HelmReleaseRecord> {
  if (h.action === 'reuse') {
    update(`${h.component}: ${h.reason}; reused`);
    return recordOf(h);
  }
  if (h.action === 'remove') throw new Error('removals run after the rollout');
  // an interrupted run left it pending (seen just before): undo that first, or helm refuses to go on; an
  // interrupted handover install is forgotten, not uninstalled (that would delete the objects being taken over)
  const handover = 'handover' in h ? h.handover : undefined;
  const forget = handover !== undefined && pending === 'pending-install';
  if (forget) {
    await forgetHelmRelease(ctx.kube, h.release, h.namespace);
    update(`${h.component}: release ${h.release} was left pending-install by an interrupted adoption; its record forgotten, objects kept`);
  }
  const recovered = pending && !forget ? await ctx.helm.recover(h.release, h.namespace, ctx.helmTimeoutSeconds, signal) : undefined;
  if (recovered) update(`${h.component}: ${recovered}`);
  if (h.takeOwnership && h.takingOver.length) update(`taking over the CRDs left by the uninstalled release ${h.takingOver.join(', ')}`);
  if (handover) {
    // helm adopts what its release annotations name it; labels and selectors stay (the values pin them), so no pod restarts
    update(`${h.component}: handing ${handover.objects.length} objects of helm release ${handover.from} to ${h.release}`);
    await mapLimit(handover.objects, 8, (id) => pointAtRelease(ctx.kube, id, h.release, h.namespace));
  }
  update(`${h.component}: helm upgrade --install ${h.release}${h.takeOwnership ? ' --take-ownership' : ''}`);
  const spec = { release: h.release, namespace: h.namespace, source: h.source, values: h.values, timeoutSeconds: ctx.helmTimeoutSeconds, takeOwnership: h.takeOwnership };
  const component = componentOf(h.component);
  if (!component) {
    await ctx.helm.upgradeInstall(spec, signal); // the CRDs: no pods to watch
  } else {
    // helm --wait, raced against a watch of the release's pods and claims: a pod that cannot start stops it within the grace
    const scope = { namespace: h.namespace, component: component.title, valuesKey: component.key, release: h.release };
    const watch = { graceMs: ctx.failFastGraceMs, update };
    await failFast(ctx.kube, scope, watch, (stop) => ctx.helm.upgradeInstall(spec, AbortSignal.any([signal, stop])));
    if (component.runtimeDeployments.length) {
      // what the component's operator creates after helm is done: part of the component being ready
      update(`${h.component}: waiting for ${component.runtimeDeployments.join(', ')}`);
      await failFast(ctx.kube, { ...scope, deployments: component.runtimeDeployments }, watch, (stop) =>
        waitForReady(ctx.kube, component.runtimeDeployments.map((name) => ({ kind: 'Deployment' as const, name, namespace: h.namespace })), {
          timeoutMs: ctx.helmTimeoutSeconds * 1000,
          onEvent: (e) => update(`${h.component}: ${e.target.name}: ${e.message}`),
          signal: AbortSignal.any([signal, stop]),
        }),
      );
    }
  }
  if (h.component === 'dynamo-crds') {
    await waitForReady(ctx.kube, ctx.crdNames.map((name) => ({ kind: 'CustomResourceDefinition' as const, name })), { timeoutMs: 60_000, onEvent: (e) => update(`${e.target.name}: ${e.message}`) });
  }
  update(`${h.component}: ready`);
  return recordOf(h);
}

/** Executes `plan`; returns the helm releases the install now consists of (for the record). */
export async function execute(plan: Plan, ctx: ExecuteContext): Promise<HelmReleaseRecord[]> {
  try {
    return await carryOut(plan, ctx);
  } catch (error) {
    // stopped from outside (the lock lost): that is the reason to report, not how each piece was stopped
    if (ctx.signal.aborted) throw ctx.signal.reason;
    throw error;
  }
}

async function carryOut(plan: Plan, ctx: ExecuteContext): Promise<HelmReleaseRecord[]> {
  const { kube, emit, signal } = ctx;
  kube.signal = signal;
  const { changes, versions, pending } = await step(emit, 'Checking nothing changed since the plan', () => changedSincePlan(kube, ctx.helm, plan));
  if (changes.length) throw new ConflictError(`the cluster changed since the plan was shown: ${changes.join('; ')}`, { hint: 'nothing was changed; run the command again to see the new plan' });

  if (plan.createNamespace) {
    await step(emit, `Creating namespace ${plan.namespace}`, () => kube.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: plan.namespace, labels: { 'app.kubernetes.io/managed-by': 'dynamoctl' } } } }));
  }
  await ctx.claim();

  const charts: HelmReleaseRecord[] = [];
  const installs = plan.helm.filter((h) => h.action !== 'remove');
  const crds = installs.filter((h) => h.component === 'dynamo-crds');
  const base = installs.filter((h) => h.component !== 'dynamo-crds' && !componentOf(h.component)?.operator);
  const addons = installs.filter((h) => componentOf(h.component)?.operator);
  for (const [title, group] of [['Installing the Dynamo CRDs', crds], [`Installing ${base.map((h) => h.component).join(', ')}`, base], [`Installing ${addons.map((h) => h.component).join(', ')}`, addons]] as const) {
    if (!group.length) continue;
    charts.push(...(await step(emit, title, (update) => together(signal, group.map((h) => (s: AbortSignal) => runChart(ctx, h, s, update, pending.get(`${h.namespace}/${h.release}`)))))));
  }

  const writes = plan.objects.filter((a) => a.action === 'create' || a.action === 'update' || a.action === 'replace');
  const prunes = plan.objects.filter((a) => a.action === 'prune');
  if (writes.length || prunes.length) {
    await step(emit, 'Applying the operator', async (update) => {
      for (const a of writes) {
        if (a.action === 'create') await applyObject(kube, a.object);
        else if (a.action === 'replace') {
          await deleteObject(kube, identity(a.object), { uid: a.uid });
          await applyObject(kube, a.object);
        } else if (a.action === 'update') {
          await applyObject(kube, a.object, { resourceVersion: versions.get(idOf(a).path) ?? a.resourceVersion, force: a.force });
          if (a.takeover) await dropOtherOwners(kube, a.object, a.uid);
        }
        update(`${a.action === 'update' && a.takeover ? 'took over' : a.action} ${idOf(a).label}`);
      }
      for (const a of prunes) {
        if (a.action !== 'prune') continue;
        await deleteObject(kube, a.id, { uid: a.uid });
        update(`pruned ${idOf(a).label}`);
      }
    });
  }
  await step(emit, 'Waiting for the operator', (update) =>
    failFast(kube, { namespace: plan.rollout.namespace, component: 'the operator', valuesKey: 'dynamo-operator', deployments: [plan.rollout.name] }, { graceMs: ctx.failFastGraceMs, update }, (stop) =>
      waitForReady(kube, [plan.rollout], { timeoutMs: ctx.rolloutTimeoutMs, onEvent: (e) => update(e.message), signal: AbortSignal.any([signal, stop]) }),
    ),
  );

  const removals = plan.helm.filter((h) => h.action === 'remove');
  if (removals.length) {
    await step(emit, `Removing ${removals.map((h) => h.component).join(', ')}`, (update) =>
      together(signal, removals.map((h) => async (s: AbortSignal) => {
        update(`helm uninstall ${h.release}`);
        await ctx.helm.uninstall(h.release, h.namespace, ctx.helmTimeoutSeconds, s);
      })),
    );
  }
  return charts;
}
