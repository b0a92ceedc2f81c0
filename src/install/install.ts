/**
 * installPlatform: the whole install as one recipe of named stages.
 *
 *   lock → check → plan → confirm → namespace → record(installing) → CRDs → subcharts → operator → wait
 *   → record(installed)
 *
 * The lock comes first so that the conflict check and the claim cannot interleave with another run. The
 * record is written as `installing` before the first change and `installed` after the last: an interrupted
 * run is completed by the next one and never looks done. `dryRun` stops after the plan and takes no lock.
 */
import { SUBCHART_KEYS } from '../components/table.ts';
import { acquireLockWaiting } from '../apply/lock.ts';
import { applyObject, applyPlan, OWNED_KINDS, planObjects, USER_FIELD_MANAGER, type Plan } from '../apply/apply.ts';
import { identity, readRecord, writeRecord, type HelmReleaseRecord, type InstallRecord } from '../apply/record.ts';
import { waitForReady } from '../apply/wait.ts';
import { createCheckContext } from '../checks/context.ts';
import { preflightChecks } from '../checks/preflight.ts';
import { checkExitCode, runChecks } from '../checks/runner.ts';
import type { CheckResult } from '../checks/types.ts';
import { Kube, type KubeTarget } from '../cluster/client.ts';
import { apiGroupVersions } from '../cluster/discovery.ts';
import { parseDuration } from '../config/duration.ts';
import { compareVersions } from '../config/version.ts';
import { redactValues } from '../config/redact.ts';
import type { ChartKey, Values } from '../config/values-schema.ts';
import { InterruptedError, ReportedError, UserError } from '../errors.ts';
import type { HelmOptions } from '../helm/helm.ts';
import { onInterrupt } from '../interrupt.ts';
import { renderManifests } from '../render/index.ts';
import { objectKey, type KubeObject } from '../render/k8s-types.ts';
import { pruneSelector } from '../render/labels.ts';
import { renderContext } from '../render/context.ts';
import { managerDeploymentName } from '../render/operator.ts';
import type { Progress } from '../ui/progress.ts';
import { cliVersion, DYNAMO_PLATFORM_VERSION } from '../version.ts';
import { ensureNamespace, installCrds, installSubcharts, loadMaterial } from './stages.ts';
import { failFast, failFastGraceMs } from '../failfast/race.ts';

/** How long an install waits for another to finish before giving up. */
const LOCK_WAIT_MS = 10 * 60_000;

export interface InstallOptions {
  values: Values;
  /** The user's own values (not the defaults); recorded, redacted. */
  overrides: Record<string, unknown>;
  target: KubeTarget;
  helm: HelmOptions;
  progress: Progress;
  dryRun: boolean;
  /** Checks to let through, each with the reason given (recorded). */
  skipChecks: { id: string; reason: string }[];
  /** Called with failing check results, to show them before the error. */
  reportChecks: (failed: CheckResult[]) => void;
  /**
   * Secrets the user supplied (the wizard's registry credentials): applied after the confirmation, before
   * the operator, and not owned by the install (no ownership labels, not in the record, never pruned).
   */
  userSecrets?: KubeObject[];
}

export interface InstallSummary {
  release: string;
  namespace: string;
  scope: 'cluster' | 'namespace';
  upgrade: boolean;
  plan: Plan;
  record?: InstallRecord;
}

/** Does the record name a newer platform than this dynamoctl installs? A record that names no version is an error. */
function newerThanThis(recorded: string, release: string, namespace: string): boolean {
  try {
    return compareVersions(recorded, DYNAMO_PLATFORM_VERSION) > 0;
  } catch {
    throw new UserError(`the install record of ${release} in ${namespace} names platform version ${JSON.stringify(recorded)}, which is not a version`, {
      hint: `kubectl get secret dynamoctl-install-${release} -n ${namespace} -o yaml shows it; uninstall and install again`,
    });
  }
}

function describePlan(plan: Plan): string[] {
  const id = (o: { kind: string; metadata: { name: string; namespace?: string } }): string => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
  return [
    ...plan.entries.filter((e) => e.change !== 'unchanged').map((e) => `  ${e.change === 'create' ? '+' : '~'} ${e.change} ${id(e.object)}`),
    ...plan.prune.map((o) => `  - prune ${id(o)}`),
  ];
}

export async function installPlatform(o: InstallOptions): Promise<InstallSummary> {
  const { values, progress } = o;
  const { release, namespace } = values.dynamoctl;
  const op = values['dynamo-operator'];
  const scope = op.namespaceRestriction.enabled ? 'namespace' : 'cluster';
  const kube = Kube.load(o.target);

  // lock: check-and-claim must not interleave with another install
  const lock = o.dryRun
    ? undefined
    : await progress.step('Claiming the install lock', (update) =>
        acquireLockWaiting(kube, { purpose: `install ${release} in ${namespace}`, fallbackNamespace: namespace, timeoutMs: LOCK_WAIT_MS, onWait: (holder) => update(`waiting for ${holder}`) }),
      );
  const forgetLock = lock ? onInterrupt(() => lock.release()) : () => {};
  try {
    // check
    const previous = await readRecord(kube, release, namespace).catch(() => undefined);
    if (previous && newerThanThis(previous.platformVersion, release, namespace)) {
      throw new UserError(`release ${release} in ${namespace} runs Dynamo platform ${previous.platformVersion}; this dynamoctl installs ${DYNAMO_PLATFORM_VERSION}, an older version`, {
        hint: 'downgrades are refused: use the dynamoctl that installed it, or uninstall first',
      });
    }
    const apiVersions = await apiGroupVersions(kube);
    const probe = renderManifests(values, { apiVersions }, undefined, DYNAMO_PLATFORM_VERSION);
    const ctx = createCheckContext({ values, objects: probe, target: o.target, helm: o.helm, pendingSecrets: (o.userSecrets ?? []).map((s) => s.metadata.name) });
    const results = await progress.step('Checking the cluster', () => runChecks(preflightChecks, ctx));
    const skipped = new Set(o.skipChecks.map((s) => s.id));
    const failed = results.filter((r) => r.status === 'fail' && !skipped.has(r.id));
    for (const r of results.filter((x) => x.status === 'warn' || (x.status === 'fail' && skipped.has(x.id)))) progress.warn(`${r.id}: ${r.message ?? r.description}${skipped.has(r.id) ? ' (skipped on request)' : ''}`);
    if (failed.length) {
      o.reportChecks(failed);
      throw new ReportedError(checkExitCode(failed));
    }

    // plan (with the real secrets, so re-runs compare like with like)
    const { material, notes } = await loadMaterial(kube, values);
    for (const note of notes) progress.info(note);
    const objects = renderManifests(values, { apiVersions }, material, DYNAMO_PLATFORM_VERSION);
    const selector = pruneSelector(release, namespace);
    const plan = await progress.step('Planning', () => planObjects(kube, objects, { ownedSelector: selector, kinds: OWNED_KINDS, namespaces: [...new Set([namespace, op.namespaceRestriction.targetNamespace])] }));
    const changes = [...describePlan(plan), ...(o.userSecrets ?? []).map((s) => `  + apply Secret ${s.metadata.namespace}/${s.metadata.name} (yours: not owned by the install, kept on uninstall)`)];
    progress.info(
      changes.length
        ? `Plan for ${release} in ${namespace} (${scope === 'cluster' ? 'cluster-wide' : `restricted to ${op.namespaceRestriction.targetNamespace}`}):\n${changes.join('\n')}`
        : `Plan: the operator objects are up to date (${plan.entries.length} unchanged)`,
    );
    const subcharts = SUBCHART_KEYS.filter((k) => values[k].enabled);
    const charts: ChartKey[] = [...(scope === 'cluster' ? (['dynamo-crds'] as const) : []), ...subcharts];
    progress.info(`Charts: ${charts.map((k) => `${k} ${values.dynamoctl.charts[k].version}`).join(', ') || 'none'}`);
    const summary: InstallSummary = { release, namespace, scope, upgrade: previous !== undefined, plan };
    if (o.dryRun) return summary;
    if (!(await progress.confirm(`${previous ? 'Upgrade' : 'Install'} Dynamo platform ${DYNAMO_PLATFORM_VERSION} as ${release} in ${namespace} (context ${kube.context})?`))) {
      throw new InterruptedError('declined; nothing was changed');
    }

    // claim: from here on the record says an install is under way
    const createdNamespace = (await ensureNamespace(kube, namespace)) || (previous?.createdNamespace ?? false);
    for (const secret of o.userSecrets ?? []) await applyObject(kube, secret, USER_FIELD_MANAGER);
    const labels = renderContext(values, DYNAMO_PLATFORM_VERSION).labelCtx;
    const record: InstallRecord = {
      apiVersion: 'dynamoctl.nvidia.com/v1',
      kind: 'InstallRecord',
      release,
      namespace,
      scope,
      targetNamespace: op.namespaceRestriction.targetNamespace,
      dynamoctlVersion: cliVersion(),
      platformVersion: DYNAMO_PLATFORM_VERSION,
      phase: 'installing',
      startedAt: new Date().toISOString(),
      overrides: redactValues(o.overrides),
      helmReleases: previous?.helmReleases ?? [],
      // keep what an interrupted run may already have applied, so status and uninstall still find it
      inventory: [...new Map([...(previous?.inventory ?? []), ...objects.map(identity)].map((i) => [objectKey({ kind: i.kind, metadata: i }), i])).values()],
      createdNamespace,
      skippedChecks: o.skipChecks,
    };
    await writeRecord(kube, record, labels);

    const releases: HelmReleaseRecord[] = [];
    if (scope === 'cluster') releases.push(await progress.step('Installing the Dynamo CRDs', (update) => installCrds(kube, values, o.helm, update)));
    releases.push(...(await progress.step(`Installing ${subcharts.join(', ') || 'no subcharts'}`, (update) => installSubcharts(kube, values, o.helm, update))));
    await progress.step('Applying the operator', async (update) => {
      // re-plan: the CRDs and subcharts may have changed what the server defaults
      const fresh = await planObjects(kube, objects, { ownedSelector: selector, kinds: OWNED_KINDS, namespaces: [...new Set([namespace, op.namespaceRestriction.targetNamespace])] });
      await applyPlan(kube, fresh, { onEvent: (e) => update(`${e.type === 'pruned' ? 'pruned' : e.change} ${e.object.kind} ${e.object.metadata.name}`) });
    });
    const manager = managerDeploymentName(renderContext(values, DYNAMO_PLATFORM_VERSION));
    await progress.step('Waiting for the operator', (update) =>
      failFast(kube, { namespace, component: 'the operator', valuesKey: 'dynamo-operator', deployments: [manager] }, { graceMs: failFastGraceMs(values), update }, (signal) =>
        waitForReady(kube, [{ kind: 'Deployment', name: manager, namespace }], {
          timeoutMs: parseDuration(values.dynamoctl.timeouts.rollout) ?? 300_000,
          onEvent: (e) => update(e.message),
          signal,
        }),
      ),
    );
    const done: InstallRecord = { ...record, phase: 'installed', finishedAt: new Date().toISOString(), helmReleases: releases, inventory: objects.map(identity) };
    await writeRecord(kube, done, labels);
    return { ...summary, record: done };
  } finally {
    forgetLock();
    await lock?.release();
  }
}
