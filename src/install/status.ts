/**
 * platformStatus: "the plan is empty" plus health. The install record is re-rendered with the user's
 * recorded values and planned against the live cluster by the same engine install uses (reads only: a
 * user who may only get and list can run it); every object action that is not "unchanged" is drift.
 * Health is each component's readiness and helm release state.
 */
import { RECORD_TYPE, readRecord, type InstallRecord } from '../apply/record.ts';
import { inspect } from '../apply/wait.ts';
import type { ClusterApi } from '../cluster/client.ts';
import { CRDS_NAMESPACE, DYNAMO_CRDS } from '../checks/preflight.ts';
import { resolveValues } from '../config/resolve.ts';
import { UMBRELLA_CHART } from '../adopt/umbrella.ts';
import { withPins } from '../config/pins.ts';
import { discover } from '../engine/discover.ts';
import { planInstall } from '../engine/plan.ts';
import { UserError } from '../errors.ts';
import type { HelmApi } from '../helm/api.ts';
import { renderManifests } from '../render/index.ts';
import type { KubeObject } from '../render/k8s-types.ts';
import { renderContext } from '../render/context.ts';
import { managerDeploymentName } from '../render/operator.ts';
import { DYNAMO_PLATFORM_VERSION } from '../version.ts';

export interface ComponentStatus {
  name: string;
  version: string;
  healthy: boolean;
  detail: string;
}

export interface PlatformStatus {
  release: string;
  namespace: string;
  scope: InstallRecord['scope'];
  targetNamespace: string;
  phase: InstallRecord['phase'];
  platformVersion: string;
  components: ComponentStatus[];
  drift: { missing: string[]; changed: string[] };
  healthy: boolean;
  /** What to do when unhealthy. */
  advice: string[];
}

const name = (o: { kind: string; metadata: { name: string; namespace?: string } }): string => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

async function noSuchInstall(kube: ClusterApi, helm: HelmApi, release: string, namespace: string): Promise<UserError> {
  const umbrella = await helm.status(release, namespace).catch(() => undefined);
  if (umbrella?.chart === UMBRELLA_CHART) {
    return new UserError(`release ${release} in ${namespace} is a helm release (${umbrella.chart} ${umbrella.version}), not a dynamoctl install`, { hint: `take it over with dynamoctl adopt --release ${release} -n ${namespace}` });
  }
  const others = await kube.list<{ metadata: { name: string; namespace: string } }>('/api/v1/secrets', { fieldSelector: `type=${RECORD_TYPE}`, metadataOnly: true }).catch(() => []);
  const found = others.map((s) => `${s.metadata.name.replace(/^dynamoctl-install-/, '')} in ${s.metadata.namespace}`);
  return new UserError(`no dynamoctl install of release ${release} in namespace ${namespace}`, { hint: found.length ? `installs found: ${found.join(', ')} (use --release and -n)` : 'install with dynamoctl install' });
}

export async function platformStatus(kube: ClusterApi, helm: HelmApi, opts: { release: string; namespace: string; defaults: Record<string, unknown> }): Promise<PlatformStatus> {
  const record = await readRecord(kube, opts.release, opts.namespace);
  if (!record) throw await noSuchInstall(kube, helm, opts.release, opts.namespace);
  // re-render what the record says was installed: the user's overrides over this dynamoctl's defaults
  const recorded = resolveValues({ defaults: opts.defaults, files: [{ source: 'install record', values: record.overrides }], sets: [], flags: { release: record.release, namespace: record.namespace } });
  const values = withPins(recorded, record.overrides, record.adoptedFrom?.pinned);
  const ctx = renderContext(values, record.platformVersion);
  const render = (facts: { apiVersions: string[]; material: Parameters<typeof renderManifests>[2] }): KubeObject[] => renderManifests(values, { apiVersions: facts.apiVersions }, facts.material, record.platformVersion);
  const [state, operator] = await Promise.all([
    discover(kube, helm, { values, crdsNamespace: CRDS_NAMESPACE, crdNames: DYNAMO_CRDS, render, record }),
    inspect(kube, { kind: 'Deployment', name: managerDeploymentName(ctx), namespace: record.namespace }),
  ]);
  const plan = planInstall(state, { values, platformVersion: record.platformVersion, forceConflicts: false, crdsNamespace: CRDS_NAMESPACE, operatorDeployment: managerDeploymentName(ctx) });

  const components: ComponentStatus[] = [
    { name: 'operator', version: record.platformVersion, healthy: operator.ready, detail: `${operator.message}; ${record.scope === 'cluster' ? 'cluster-wide' : `restricted to ${record.targetNamespace}`}` },
  ];
  for (const r of record.helmReleases) {
    if (r.reused) {
      components.push({ name: r.component, version: r.version, healthy: true, detail: 'installed by someone else; reused' });
      continue;
    }
    const s = state.helm[r.component as keyof typeof state.helm]?.state;
    components.push({ name: r.component, version: s?.version ?? r.version, healthy: s?.status === 'deployed', detail: s ? `helm release ${r.release}: ${s.status} (revision ${s.revision})` : `helm release ${r.release} is missing` });
  }
  if (record.scope === 'cluster') {
    const bad = state.crds.filter((c) => !c.established).map((c) => c.name);
    components.push({ name: 'crds', version: record.platformVersion, healthy: !bad.length, detail: bad.length ? `not established: ${bad.join(', ')}` : `${state.crds.length} established` });
  }
  // Secrets carry redacted values in the record, so their content is not compared
  const drift = {
    missing: plan.objects.filter((a) => a.action === 'create').map((a) => name((a as { object: KubeObject }).object)),
    changed: plan.objects.filter((a) => (a.action === 'update' || a.action === 'replace' || a.action === 'conflict') && a.object.kind !== 'Secret').map((a) => name((a as { object: KubeObject }).object)),
  };

  const advice: string[] = [];
  const adopting = record.adoptedFrom && !record.adoptedFrom.finishedAt ? record.adoptedFrom : undefined;
  if (adopting) {
    advice.push(`the adoption of helm release ${adopting.release} (${adopting.chart} ${adopting.version}) did not finish: some objects may still be helm's; run dynamoctl adopt --release ${adopting.release} -n ${adopting.namespace} again to complete it`);
  } else if (record.phase !== 'installed') advice.push('the last install did not finish (interrupted or failed): run dynamoctl install again with the same values to complete it');
  if (drift.missing.length || drift.changed.length) advice.push('objects were removed or changed outside dynamoctl: run dynamoctl install again to restore them (--force-conflicts takes back fields another manager changed)');
  if (record.platformVersion !== DYNAMO_PLATFORM_VERSION) advice.push(`installed by Dynamo platform ${record.platformVersion}; this dynamoctl installs ${DYNAMO_PLATFORM_VERSION}`);
  const healthy = record.phase === 'installed' && !adopting && components.every((c) => c.healthy) && !drift.missing.length && !drift.changed.length;
  if (!healthy && !advice.length) advice.push(`kubectl get pods -n ${record.namespace} shows what is not ready`);
  return { release: record.release, namespace: record.namespace, scope: record.scope, targetNamespace: record.targetNamespace, phase: record.phase, platformVersion: record.platformVersion, components, drift, healthy, advice };
}
