/**
 * Discovery: everything the planner needs, read from the cluster in one pass before anything is planned —
 * the install record, the live copy of every object the render names and every object carrying this
 * install's labels (with their managed fields), the helm releases it would own, the CRDs and who owns
 * them, the add-on operators already running elsewhere, and the secret material to reuse. Reads only.
 */
import { readRecord, type InstallRecord } from '../apply/record.ts';
import { OWNED_KINDS, ownedObjects } from '../apply/apply.ts';
import { unlessForbidden, type ClusterApi } from '../cluster/client.ts';
import { apiGroupVersions, crdStatus, findOperatorDeployment } from '../cluster/discovery.ts';
import { ADDON_KEYS, COMPONENTS, SUBCHART_KEYS } from '../components/table.ts';
import type { ChartKey, Values } from '../config/values-schema.ts';
import type { HelmApi } from '../helm/api.ts';
import { crdOwners } from '../helm/crd-owners.ts';
import type { Material } from '../render/context.ts';
import { objectKey, objectPath, type KubeObject } from '../render/k8s-types.ts';
import { pruneSelector } from '../render/labels.ts';
import { subchartRelease } from '../render/names.ts';
import { materialFor } from '../secrets/material.ts';
import { mapLimit } from '../concurrency.ts';
import type { ClusterState, LiveObject } from './state.ts';

export interface DiscoverInput {
  values: Values;
  /** Where the dynamo-crds release lives. */
  crdsNamespace: string;
  crdNames: readonly string[];
  /** The record when the caller has just read it (status starts from it): not read again. */
  record?: InstallRecord;
  /** The pure render, given what only the cluster knows. */
  render: (facts: { apiVersions: string[]; material: Material }) => KubeObject[];
}

export interface Discovered extends ClusterState {
  /** What the secret material reuse said (e.g. a certificate renewed). */
  notes: string[];
}

export async function discover(kube: ClusterApi, helm: HelmApi, input: DiscoverInput): Promise<Discovered> {
  const { values } = input;
  const { release, namespace } = values.dynamoctl;
  const restriction = values['dynamo-operator'].namespaceRestriction;
  const scope = restriction.enabled ? 'namespace' : 'cluster';
  const targetNamespace = restriction.targetNamespace || namespace;
  const ours: [ChartKey, string, string][] = [
    ...(scope === 'cluster' ? [['dynamo-crds', 'dynamo-crds', input.crdsNamespace] as [ChartKey, string, string]] : []),
    ...SUBCHART_KEYS.map((k): [ChartKey, string, string] => [k, subchartRelease(release, k), namespace]),
  ];
  const readSecret = (name: string): Promise<Record<string, string> | undefined> =>
    kube.getOptional<{ data?: Record<string, string> }>(`/api/v1/namespaces/${namespace}/secrets/${name}`).then((s) => s?.data);

  const record = input.record ?? (await readRecord(kube, release, namespace));
  // the releases that matter: what the values enable and what the record says was installed (helm is slow to ask)
  const wanted = ours.filter(([component]) => component === 'dynamo-crds' || values[component].enabled || record?.helmReleases.some((r) => r.component === component));
  const [apiVersions, ns, { material, notes }, releases, crds] = await Promise.all([
    apiGroupVersions(kube),
    unlessForbidden(kube.getOptional<{ status?: { phase?: string } }>(`/api/v1/namespaces/${namespace}`), { status: { phase: 'Active' } }),
    materialFor(values, readSecret),
    Promise.all(wanted.map(async ([component, name, where]) => [component, { release: name, namespace: where, state: await helm.status(name, where) }] as const)),
    scope === 'cluster' ? crdStatus(kube, input.crdNames) : Promise.resolve([]),
  ]);
  const helmReleases = Object.fromEntries(releases);
  const desired = input.render({ apiVersions, material });

  const namespaces = [...new Set([namespace, targetNamespace])];
  const [live, owned, elsewhere, owners] = await Promise.all([
    mapLimit(desired, 8, async (o) => [objectKey(o), await kube.getOptional<LiveObject>(objectPath(o))] as const),
    ownedObjects(kube, pruneSelector(release, namespace), OWNED_KINDS, namespaces),
    Promise.all(
      ADDON_KEYS.filter((k) => values[k].enabled && !helmReleases[k]?.state).map(async (k) => {
        // a user who may not list Deployments everywhere installs it, and helm names the fixed-name object in the way
        const found = await unlessForbidden(findOperatorDeployment(kube, COMPONENTS[k].operator));
        return [k, found] as const;
      }),
    ),
    crdOwners(crds, { release: 'dynamo-crds', namespace: input.crdsNamespace }, (r, n) => helm.status(r, n)),
  ]);
  return {
    context: kube.context,
    release,
    namespace,
    scope,
    targetNamespace,
    record,
    namespaceExists: ns !== undefined && ns.status?.phase !== 'Terminating',
    desired,
    live: new Map(live.filter((e): e is readonly [string, LiveObject] => e[1] !== undefined)),
    owned: new Map(owned.map((o) => [objectKey({ kind: o.kind, metadata: o.object.metadata }), o])),
    helm: helmReleases,
    crds,
    crdOwners: owners,
    operatorsElsewhere: Object.fromEntries(elsewhere.filter(([, f]) => f !== undefined)),
    notes,
  };
}
