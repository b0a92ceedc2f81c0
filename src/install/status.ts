/**
 * platformStatus: an install record held against the live cluster. Each component's version and
 * readiness, the operator's scope, helm release states, and drift: objects missing or changed since the
 * install, found by the same server-side plan install uses (so "changed" means what apply would change).
 */
import { OWNED_KINDS, planObjects } from '../apply/apply.ts';
import { RECORD_TYPE, readRecord, type InstallRecord } from '../apply/record.ts';
import { inspect } from '../apply/wait.ts';
import type { Kube } from '../cluster/client.ts';
import { apiGroupVersions, crdStatus } from '../cluster/discovery.ts';
import { DYNAMO_CRDS } from '../checks/preflight.ts';
import { resolveValues } from '../config/resolve.ts';
import { UserError } from '../errors.ts';
import type { HelmOptions } from '../helm/helm.ts';
import { releaseStatus } from '../helm/install.ts';
import { renderManifests } from '../render/index.ts';
import { pruneSelector } from '../render/labels.ts';
import { renderContext } from '../render/context.ts';
import { managerDeploymentName } from '../render/operator.ts';
import { DYNAMO_PLATFORM_VERSION } from '../version.ts';
import { loadMaterial } from './stages.ts';

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

export async function platformStatus(kube: Kube, helm: HelmOptions, opts: { release: string; namespace: string; defaults: Record<string, unknown> }): Promise<PlatformStatus> {
  const record = await readRecord(kube, opts.release, opts.namespace);
  if (!record) {
    const others = await kube
      .list<{ metadata: { name: string; namespace: string } }>('/api/v1/secrets', { fieldSelector: `type=${RECORD_TYPE}`, metadataOnly: true })
      .catch(() => []);
    const found = others.map((s) => `${s.metadata.name.replace(/^dynamoctl-install-/, '')} in ${s.metadata.namespace}`);
    throw new UserError(`no dynamoctl install of release ${opts.release} in namespace ${opts.namespace}`, {
      hint: found.length ? `installs found: ${found.join(', ')} (use --release and -n)` : 'install with dynamoctl install',
    });
  }
  // re-render what the record says was installed: the user's overrides over this dynamoctl's defaults
  const values = resolveValues({ defaults: opts.defaults, files: [{ source: 'install record', values: record.overrides }], sets: [], flags: { release: record.release, namespace: record.namespace } });
  const ctx = renderContext(values, record.platformVersion);
  const components: ComponentStatus[] = [];

  const operator = await inspect(kube, { kind: 'Deployment', name: managerDeploymentName(ctx), namespace: record.namespace });
  components.push({ name: 'operator', version: record.platformVersion, healthy: operator.ready, detail: `${operator.message}; ${record.scope === 'cluster' ? 'cluster-wide' : `restricted to ${record.targetNamespace}`}` });
  for (const r of record.helmReleases) {
    if (r.reused) {
      components.push({ name: r.component, version: r.version, healthy: true, detail: 'installed by someone else; reused' });
      continue;
    }
    const s = await releaseStatus(r.release, r.namespace, helm);
    components.push({ name: r.component, version: s?.version ?? r.version, healthy: s?.status === 'deployed', detail: s ? `helm release ${r.release}: ${s.status} (revision ${s.revision})` : `helm release ${r.release} is missing` });
  }
  if (record.scope === 'cluster') {
    const crds = await crdStatus(kube, DYNAMO_CRDS);
    const bad = crds.filter((c) => !c.established).map((c) => c.name);
    components.push({ name: 'crds', version: record.platformVersion, healthy: !bad.length, detail: bad.length ? `not established: ${bad.join(', ')}` : `${crds.length} established` });
  }

  // drift: what apply would do now, with the secrets the cluster already holds
  const { material } = await loadMaterial(kube, values);
  const objects = renderManifests(values, { apiVersions: await apiGroupVersions(kube) }, material, record.platformVersion);
  const plan = await planObjects(kube, objects, { ownedSelector: pruneSelector(record.release, record.namespace), kinds: OWNED_KINDS, namespaces: [...new Set([record.namespace, record.targetNamespace])] });
  const name = (o: { kind: string; metadata: { name: string; namespace?: string } }): string => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
  // Secrets carry redacted values in the record, so their content is not compared
  const drift = {
    missing: plan.entries.filter((e) => e.change === 'create').map((e) => name(e.object)),
    changed: plan.entries.filter((e) => e.change === 'update' && e.object.kind !== 'Secret').map((e) => name(e.object)),
  };

  const advice: string[] = [];
  if (record.phase !== 'installed') advice.push('the last install did not finish (interrupted or failed): run dynamoctl install again with the same values to complete it');
  if (drift.missing.length || drift.changed.length) advice.push('objects were removed or changed outside dynamoctl: run dynamoctl install again to restore them');
  if (record.platformVersion !== DYNAMO_PLATFORM_VERSION) advice.push(`installed by Dynamo platform ${record.platformVersion}; this dynamoctl installs ${DYNAMO_PLATFORM_VERSION}`);
  const healthy = record.phase === 'installed' && components.every((c) => c.healthy) && !drift.missing.length && !drift.changed.length;
  if (!healthy && !advice.length) advice.push(`kubectl get pods -n ${record.namespace} shows what is not ready`);
  return {
    release: record.release,
    namespace: record.namespace,
    scope: record.scope,
    targetNamespace: record.targetNamespace,
    phase: record.phase,
    platformVersion: record.platformVersion,
    components,
    drift,
    healthy,
    advice,
  };
}
