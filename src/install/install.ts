/**
 * installPlatform: install and upgrade as one short recipe over the engine.
 *
 *   lock → checks → discover → plan → (show, confirm: the command's) → execute exactly that plan → record
 *
 * The lock comes first so that the checks and the claim cannot interleave with another run; losing it
 * aborts the run's signal, which stops helm, the waits and every request. The record is written as
 * `installing` before the first change and `installed` after the last: an interrupted run is completed by
 * the next one and never looks done. `dryRun` stops after the plan and takes no lock.
 */
import { acquireLockWaiting } from '../apply/lock.ts';
import { applyObject, USER_FIELD_MANAGER } from '../apply/apply.ts';
import { identity, readRecord, updateRecord, writeRecord, type AdoptedFrom, type InstallRecord } from '../apply/record.ts';
import { withPins } from '../config/pins.ts';
import { createCheckContext } from '../checks/context.ts';
import { CRDS_NAMESPACE, DYNAMO_CRDS, preflightChecks } from '../checks/preflight.ts';
import { checkExitCode, runChecks } from '../checks/runner.ts';
import type { CheckResult } from '../checks/types.ts';
import { Kube, type ClusterApi, type KubeTarget } from '../cluster/client.ts';
import { apiGroupVersions } from '../cluster/discovery.ts';
import { parseDuration } from '../config/duration.ts';
import { failFastGraceMs } from '../failfast/race.ts';
import { redactValues } from '../config/redact.ts';
import type { Values } from '../config/values-schema.ts';
import { planView, type PlanView } from '../engine/describe.ts';
import { discover } from '../engine/discover.ts';
import { step, type Emit } from '../engine/events.ts';
import { execute } from '../engine/execute.ts';
import { planInstall, versionVerdict } from '../engine/plan.ts';
import { conflicts, type Adopting, type ClusterState, type Plan } from '../engine/state.ts';
import { ConflictError, InterruptedError, ReportedError, UserError } from '../errors.ts';
import { helmApi as realHelm, type HelmApi } from '../helm/api.ts';
import { liveCrdOwnerError } from '../helm/crd-owners.ts';
import type { HelmOptions } from '../helm/helm.ts';
import { onInterrupt } from '../interrupt.ts';
import { renderManifests } from '../render/index.ts';
import { objectKey, type KubeObject } from '../render/k8s-types.ts';
import { renderContext } from '../render/context.ts';
import { managerDeploymentName } from '../render/operator.ts';
import { cliVersion, DYNAMO_PLATFORM_VERSION } from '../version.ts';

/** How long an install waits for another to finish before giving up. */
const LOCK_WAIT_MS = 10 * 60_000;

export interface InstallOptions {
  values: Values;
  /** The user's own values (not the defaults); recorded, redacted. */
  overrides: Record<string, unknown>;
  target: KubeTarget;
  helm: HelmOptions;
  emit: Emit;
  /** Shown the plan, says whether to go on (the command asks, or --yes answers). */
  confirm: (plan: PlanView, context: string) => Promise<boolean>;
  dryRun: boolean;
  /** Take over objects and fields other managers own. */
  forceConflicts?: boolean;
  /** Checks to let through, each with the reason given (recorded). */
  skipChecks: { id: string; reason: string }[];
  /** Called with failing check results, to show them before the error. */
  reportChecks: (failed: CheckResult[]) => void;
  /**
   * Secrets the user supplied (the wizard's registry credentials): applied after the confirmation, before
   * the operator, and not owned by the install (no ownership labels, not in the record, never pruned).
   */
  userSecrets?: KubeObject[];
  /** The platform version to install (tests of upgrades change it). */
  platformVersion?: string;
  /** The cluster and helm layers (unit tests pass in-memory ones). */
  kube?: ClusterApi;
  helmApi?: HelmApi;
  /** Run the preflight checks (unit tests without a cluster turn them off), or all but these. */
  checks?: boolean | { without: readonly string[] };
  /** Taking over a helm release of the upstream chart (dynamoctl adopt). */
  adopt?: {
    from: AdoptedFrom;
    /** What the planner may take, given what discovery found. */
    adopting: (state: ClusterState) => Adopting;
    /** After the last change, before the record says installed: the umbrella's storage goes. */
    finish: (kube: ClusterApi) => Promise<void>;
  };
}

export interface InstallSummary {
  release: string;
  namespace: string;
  scope: 'cluster' | 'namespace';
  upgrade: boolean;
  plan: PlanView;
  record?: InstallRecord;
}

async function preflight(o: InstallOptions, values: Values, objects: KubeObject[]): Promise<void> {
  const ctx = createCheckContext({ values, objects, target: o.target, helm: o.helm, userSecrets: o.userSecrets ?? [] });
  const without = typeof o.checks === 'object' ? o.checks.without : [];
  const results = await step(o.emit, 'Checking the cluster', () => runChecks(preflightChecks.filter((c) => !without.includes(c.id)), ctx));
  const skipped = new Set(o.skipChecks.map((s) => s.id));
  const failed = results.filter((r) => r.status === 'fail' && !skipped.has(r.id));
  for (const r of results.filter((x) => x.status === 'warn' || (x.status === 'fail' && skipped.has(x.id)))) {
    o.emit({ type: 'warning', message: `${r.id}: ${r.message ?? r.description}${skipped.has(r.id) ? ' (skipped on request)' : ''}` });
  }
  if (failed.length) {
    o.reportChecks(failed);
    throw new ReportedError(checkExitCode(failed));
  }
}

/** Objects in the way stop the install before anything changes; the error names whose they are. */
function refuseConflicts(plan: Plan, state: ClusterState): void {
  const found = conflicts(plan);
  if (!found.length) return;
  // the upstream chart's operator objects name the operator chart in helm.sh/chart
  const umbrella = found.map((c) => state.live.get(objectKey(c.object))).find((l) => l?.metadata.labels?.['helm.sh/chart']?.startsWith('dynamo-operator-') && l.metadata.annotations?.['meta.helm.sh/release-name']);
  if (umbrella) {
    const name = umbrella.metadata.annotations!['meta.helm.sh/release-name']!;
    const ns = umbrella.metadata.annotations!['meta.helm.sh/release-namespace'] ?? plan.namespace;
    throw new UserError(`the Dynamo platform in ${ns} was installed with helm (release ${name}); install does not take over a helm release; nothing was changed`, {
      hint: `take it over with: dynamoctl adopt --release ${name} -n ${ns} (or keep it with helm and install elsewhere)`,
    });
  }
  const names = (list: typeof found): string => `${list.slice(0, 4).map((c) => `${c.object.kind} ${c.object.metadata.name}`).join(', ')}${list.length > 4 ? `, and ${list.length - 4} more` : ''}`;
  const byRelease = new Map<string, typeof found>();
  for (const c of found) {
    const owner = /belongs to (dynamoctl|helm) release (\S+ in \S+)/.exec(c.reason);
    if (owner) byRelease.set(`${owner[1] === 'helm' ? 'helm ' : ''}release ${owner[2]}`, [...(byRelease.get(`${owner[1] === 'helm' ? 'helm ' : ''}release ${owner[2]}`) ?? []), c]);
  }
  const [owner, theirs] = [...byRelease][0] ?? [];
  if (owner && theirs) {
    throw new ConflictError(`${owner} already has ${theirs.length} object${theirs.length === 1 ? '' : 's'} this install needs (${names(theirs)}); nothing was changed`, {
      hint: theirs.some((c) => c.object.metadata.namespace === plan.namespace)
        ? `the chart names them without the release, so two releases cannot share namespace ${plan.namespace} (helm refuses it too): install into another namespace, or uninstall ${owner} first`
        : `objects of another release are never taken over: uninstall ${owner} first`,
    });
  }
  throw new ConflictError(`${found.length} object${found.length === 1 ? '' : 's'} in the way; nothing was changed: ${found.map((c) => c.reason).join('; ')}`, { hint: 'leave them to their manager, or take them over with --force-conflicts' });
}

export async function installPlatform(o: InstallOptions): Promise<InstallSummary> {
  const { emit } = o;
  const { release, namespace } = o.values.dynamoctl;
  const version = o.platformVersion ?? DYNAMO_PLATFORM_VERSION;
  const kube = o.kube ?? Kube.load(o.target);
  const helm = o.helmApi ?? realHelm(o.helm);

  const lock = o.dryRun
    ? undefined
    : await step(emit, 'Claiming the install lock', (update) =>
        acquireLockWaiting(kube, { purpose: `install ${release} in ${namespace}`, fallbackNamespace: namespace, timeoutMs: LOCK_WAIT_MS, onWait: (holder) => update(`waiting for ${holder}`) }),
      );
  const forgetLock = lock ? onInterrupt(() => lock.release()) : () => {};
  try {
    const prior = await readRecord(kube, release, namespace);
    // what an adoption pinned (the images and labels the running pods have) holds under the user's values
    const pins = prior?.adoptedFrom?.pinned ?? o.adopt?.from.pinned;
    const values = withPins(o.values, o.overrides, pins);
    const proxy = (v: Values): string => `${v['dynamo-operator'].controllerManager.kubeRbacProxy.image.repository}:${v['dynamo-operator'].controllerManager.kubeRbacProxy.image.tag}`;
    if (proxy(values) !== proxy(o.values)) {
      emit({ type: 'info', message: `kube-rbac-proxy stays at ${proxy(values)}, as the adopted operator ran it; set dynamo-operator.controllerManager.kubeRbacProxy.image to move it (the operator pod restarts)` });
    }
    const render = (facts: { apiVersions: string[]; material?: Parameters<typeof renderManifests>[2] }): KubeObject[] => renderManifests(values, { apiVersions: facts.apiVersions }, facts.material, version);
    // discovery only reads, so it runs while the checks do; a failed check is reported before anything it found
    const reading = discover(kube, helm, { values, crdsNamespace: CRDS_NAMESPACE, crdNames: DYNAMO_CRDS, render, ...(prior ? { record: prior } : {}) });
    reading.catch(() => undefined);
    if (o.checks !== false) await preflight(o, values, render({ apiVersions: await apiGroupVersions(kube) }));
    const state = await step(emit, 'Reading the cluster', () => reading);
    for (const note of state.notes) emit({ type: 'info', message: note });
    const verdict = versionVerdict(state.record, version);
    if (!verdict.ok && verdict.reason === 'older') {
      throw new UserError(`release ${release} in ${namespace} runs Dynamo platform ${state.record?.platformVersion}; this dynamoctl installs ${version}, an older version`, { hint: 'downgrades are refused: use the dynamoctl that installed it, or uninstall first' });
    }
    if (!verdict.ok) {
      throw new UserError(`the install record of ${release} in ${namespace} names platform version ${JSON.stringify(state.record?.platformVersion)}, which is not a version`, { hint: `kubectl get secret dynamoctl-install-${release} -n ${namespace} -o yaml shows it; uninstall and install again` });
    }
    if (state.crdOwners.live && state.scope === 'cluster' && !state.helm['dynamo-crds']?.state && !state.crds.every((c) => c.present && c.established)) {
      throw liveCrdOwnerError(state.crdOwners.live, state.crds.filter((c) => !c.present).map((c) => c.name));
    }
    const plan = planInstall(state, {
      values,
      platformVersion: version,
      forceConflicts: o.forceConflicts === true,
      crdsNamespace: CRDS_NAMESPACE,
      operatorDeployment: managerDeploymentName(renderContext(values, version)),
      adopting: o.adopt?.adopting(state),
    });
    const view = planView(plan);
    emit({ type: 'plan', plan: view });
    for (const s of o.userSecrets ?? []) emit({ type: 'info', message: `  + apply Secret ${s.metadata.namespace}/${s.metadata.name} (yours: not owned by the install, kept on uninstall)` });
    refuseConflicts(plan, state);
    const summary: InstallSummary = { release, namespace, scope: plan.scope, upgrade: plan.upgrade, plan: view };
    if (o.dryRun) return summary;
    if (!(await o.confirm(view, kube.context))) throw new InterruptedError('declined; nothing was changed');

    const labels = renderContext(values, version).labelCtx;
    const written = plan.objects.filter((a) => a.action !== 'prune' && a.action !== 'shared' && a.action !== 'conflict').map((a) => identity((a as { object: KubeObject }).object));
    const shared = plan.objects.filter((a) => a.action === 'shared').map((a) => identity(a.object));
    const record: InstallRecord = {
      apiVersion: 'dynamoctl.nvidia.com/v1',
      kind: 'InstallRecord',
      release,
      namespace,
      scope: plan.scope,
      targetNamespace: plan.targetNamespace,
      dynamoctlVersion: cliVersion(),
      platformVersion: version,
      phase: 'installing',
      startedAt: new Date().toISOString(),
      overrides: redactValues(o.overrides),
      helmReleases: state.record?.helmReleases ?? [],
      // keep what an interrupted run may already have applied, so status and uninstall still find it
      inventory: [...new Map([...(state.record?.inventory ?? []), ...written].map((i) => [objectKey({ kind: i.kind, metadata: i }), i])).values()],
      shared,
      createdNamespace: plan.createNamespace || (state.record?.createdNamespace ?? false),
      skippedChecks: o.skipChecks,
      ...(o.adopt || prior?.adoptedFrom ? { adoptedFrom: o.adopt?.from ?? prior!.adoptedFrom! } : {}),
    };
    const signal = lock?.signal ?? new AbortController().signal;
    const charts = await execute(plan, {
      kube,
      helm,
      emit,
      signal,
      helmTimeoutSeconds: Math.ceil((parseDuration(values.dynamoctl.timeouts.helm) ?? 600_000) / 1000),
      rolloutTimeoutMs: parseDuration(values.dynamoctl.timeouts.rollout) ?? 300_000,
      failFastGraceMs: failFastGraceMs(values),
      crdNames: DYNAMO_CRDS,
      claim: async () => {
        for (const secret of o.userSecrets ?? []) await applyObject(kube, secret, { fieldManager: USER_FIELD_MANAGER, force: true });
        await writeRecord(kube, record, labels);
      },
    });
    signal.throwIfAborted();
    const done: InstallRecord = { ...record, phase: 'installed', finishedAt: new Date().toISOString(), helmReleases: charts, inventory: written };
    await writeRecord(kube, done, labels);
    if (!o.adopt) return { ...summary, record: done };
    // helm's record of the umbrella goes last (its objects are ours now), then the record says so
    await step(emit, `Removing helm's record of release ${o.adopt.from.release}`, () => o.adopt!.finish(kube));
    const adopted: InstallRecord = { ...done, adoptedFrom: { ...o.adopt.from, finishedAt: new Date().toISOString() } };
    await updateRecord(kube, adopted);
    return { ...summary, record: adopted };
  } finally {
    forgetLock();
    await lock?.release();
  }
}
