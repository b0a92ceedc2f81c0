/**
 * The install's cluster-side stages, each a named function the pipeline composes: reuse or generate the
 * secrets, create the namespace, install the CRDs, install the subcharts. Each is safe to re-run: a
 * second run finds the work done and does nothing (or upgrades in place).
 */
import { unlessForbidden, type Kube } from '../cluster/client.ts';
import { crdStatus, findOperatorDeployment } from '../cluster/discovery.ts';
import { CRDS_NAMESPACE, DYNAMO_CRDS } from '../checks/preflight.ts';
import { ADDON_KEYS, BASE_KEYS, COMPONENTS } from '../components/table.ts';
import { parseDuration } from '../config/duration.ts';
import { subchartValues } from '../components/values.ts';
import type { ChartKey, SubchartKey, Values } from '../config/values-schema.ts';
import type { HelmOptions } from '../helm/helm.ts';
import { crdOwners, liveCrdOwnerError, recoverPendingRelease, releaseStatus, upgradeInstall } from '../helm/install.ts';
import type { Material } from '../render/context.ts';
import { ClusterError } from '../errors.ts';
import { materialFor } from '../secrets/material.ts';
import { subchartRelease } from '../render/names.ts';
import type { HelmReleaseRecord } from '../apply/record.ts';
import { waitForReady } from '../apply/wait.ts';
import { failFast, failFastGraceMs } from '../failfast/race.ts';


const secretData = (kube: Kube, namespace: string, name: string): Promise<Record<string, string> | undefined> =>
  kube.getOptional<{ data?: Record<string, string> }>(`/api/v1/namespaces/${namespace}/secrets/${name}`).then((s) => s?.data);

/** The webhook certificate and MPI key, reusing what the cluster already holds (see secrets/material.ts). */
export function loadMaterial(kube: Kube, values: Values): Promise<{ material: Material; notes: string[] }> {
  return materialFor(values, (name) => secretData(kube, values.dynamoctl.namespace, name));
}

/** Creates the namespace unless it exists; true when created. A terminating namespace is an error. */
export async function ensureNamespace(kube: Kube, name: string): Promise<boolean> {
  const current = await unlessForbidden(kube.getOptional<{ status?: { phase?: string } }>(`/api/v1/namespaces/${name}`), { status: { phase: 'Active' } });
  if (current?.status?.phase === 'Terminating') {
    throw new ClusterError(`namespace ${name} is being deleted`, { hint: `wait until kubectl get namespace ${name} reports NotFound, then re-run` });
  }
  if (current) return false;
  await kube.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'dynamoctl' } } } });
  return true;
}

const timeoutSeconds = (duration: string): number => Math.ceil((parseDuration(duration) ?? 600_000) / 1000);

const record = (component: ChartKey, release: string, namespace: string, values: Values, extra: Partial<HelmReleaseRecord> = {}): HelmReleaseRecord => ({
  component,
  release,
  namespace,
  chart: values.dynamoctl.charts[component].name,
  version: values.dynamoctl.charts[component].version,
  ...extra,
});

/**
 * The Dynamo CRDs (cluster-wide installs only): reused when another party installed them and they are
 * established, else installed or upgraded through helm from the pinned dynamo-crds chart; then waited on.
 * CRDs an uninstalled helm release left behind (the chart keeps five of the six) are taken over; CRDs of a
 * release that still exists are never taken.
 */
export async function installCrds(kube: Kube, values: Values, helm: HelmOptions, update: (s: string) => void): Promise<HelmReleaseRecord> {
  const ours = await releaseStatus('dynamo-crds', CRDS_NAMESPACE, helm);
  const crds = await crdStatus(kube, DYNAMO_CRDS);
  if (!ours && crds.every((c) => c.present && c.established)) {
    update('already installed; reused');
    return record('dynamo-crds', 'dynamo-crds', CRDS_NAMESPACE, values, { reused: true });
  }
  // checked before anything changed (preflight `crds`); again here, as the last word before helm takes over
  const owners = await crdOwners(crds, { release: 'dynamo-crds', namespace: CRDS_NAMESPACE }, helm);
  if (owners.live) throw liveCrdOwnerError(owners.live, crds.filter((c) => !c.present).map((c) => c.name));
  if (owners.gone.length) update(`taking over the CRDs left by the uninstalled release ${owners.gone.join(', ')}`);
  const recovered = await recoverPendingRelease('dynamo-crds', CRDS_NAMESPACE, timeoutSeconds(values.dynamoctl.timeouts.helm), helm);
  if (recovered) update(recovered);
  update(`helm upgrade --install dynamo-crds ${values.dynamoctl.charts['dynamo-crds'].version}`);
  await upgradeInstall(
    { release: 'dynamo-crds', namespace: CRDS_NAMESPACE, source: values.dynamoctl.charts['dynamo-crds'], values: {}, timeoutSeconds: timeoutSeconds(values.dynamoctl.timeouts.helm), takeOwnership: owners.gone.length > 0 },
    helm,
  );
  await waitForReady(kube, DYNAMO_CRDS.map((name) => ({ kind: 'CustomResourceDefinition' as const, name })), { timeoutMs: 60_000, onEvent: (e) => update(`${e.target.name}: ${e.message}`) });
  return record('dynamo-crds', 'dynamo-crds', CRDS_NAMESPACE, values);
}

/** NATS and etcd together, then Grove and Kai together (each reused when its operator already runs elsewhere). */
export async function installSubcharts(kube: Kube, values: Values, helm: HelmOptions, update: (s: string) => void): Promise<HelmReleaseRecord[]> {
  const { release, namespace } = values.dynamoctl;
  const install = async (key: SubchartKey): Promise<HelmReleaseRecord> => {
    const name = subchartRelease(release, key);
    const recovered = await recoverPendingRelease(name, namespace, timeoutSeconds(values.dynamoctl.timeouts.helm), helm);
    if (recovered) update(`${key}: ${recovered}`);
    update(`${key}: helm upgrade --install ${name}`);
    const watch = { graceMs: failFastGraceMs(values), update };
    const scope = { namespace, component: COMPONENTS[key].title, valuesKey: key, release: name };
    await failFast(kube, scope, watch, (signal) =>
      upgradeInstall({ release: name, namespace, source: values.dynamoctl.charts[key], values: subchartValues(values, key), timeoutSeconds: timeoutSeconds(values.dynamoctl.timeouts.helm) }, { ...helm, signal }),
    );
    const runtime = COMPONENTS[key].runtimeDeployments;
    if (runtime.length) {
      // what the component's operator creates after helm is done: part of the component being ready
      update(`${key}: waiting for ${runtime.join(', ')}`);
      await failFast(kube, { ...scope, deployments: runtime }, watch, (signal) =>
        waitForReady(
          kube,
          runtime.map((name) => ({ kind: 'Deployment' as const, name, namespace })),
          { timeoutMs: parseDuration(values.dynamoctl.timeouts.helm) ?? 600_000, onEvent: (e) => update(`${key}: ${e.target.name}: ${e.message}`), signal },
        ),
      );
    }
    update(`${key}: ready`);
    return record(key, name, namespace, values);
  };
  const results: HelmReleaseRecord[] = [];
  results.push(...(await Promise.all(BASE_KEYS.filter((k) => values[k].enabled).map(install))));
  const addons = ADDON_KEYS.filter((k) => values[k].enabled);
  results.push(
    ...(await Promise.all(
      addons.map(async (key) => {
        const ours = await releaseStatus(subchartRelease(release, key), namespace, helm);
        // someone else's: its operator runs (CRDs alone do not count: helm keeps them after uninstall); a user
        // who may not list Deployments everywhere installs it, and helm names the fixed-name object in the way
        const elsewhere = ours ? undefined : await unlessForbidden(findOperatorDeployment(kube, COMPONENTS[key].operator));
        if (elsewhere) {
          update(`${key}: its operator already runs in ${elsewhere.namespace}; reused`);
          return record(key, subchartRelease(release, key), namespace, values, { reused: true });
        }
        return install(key);
      }),
    )),
  );
  return results;
}

