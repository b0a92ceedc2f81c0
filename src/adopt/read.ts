/**
 * Reading the umbrella release for adopt: what helm keeps of it (the user's values, the manifest, the
 * hooks), each of its objects as it is live (uid, version, managed fields), and the values the takeover
 * will use: the release's own under the -f/--set given to adopt, with pins that keep what runs as it runs.
 * Reads only; refuses (exit 2, nothing changed) what adopt cannot take over.
 */
import { identityPath, type AdoptedFrom } from '../apply/record.ts';
import type { ClusterApi } from '../cluster/client.ts';
import { COMPONENTS, SUBCHART_KEYS } from '../components/table.ts';
import { mapLimit } from '../concurrency.ts';
import { resolveValues, userOverrides, type ValuesInput } from '../config/resolve.ts';
import type { SubchartKey, Values } from '../config/values-schema.ts';
import type { LiveObject } from '../engine/state.ts';
import { UserError } from '../errors.ts';
import type { HelmApi } from '../helm/api.ts';
import type { ReleaseState } from '../helm/install.ts';
import type { LiveReleaseObject } from './plan.ts';
import { pinnedValues, releaseObjects, type ReleaseObject } from './umbrella.ts';

export type UmbrellaObject = LiveReleaseObject & { object: LiveObject };

export interface Umbrella {
  values: Values;
  /** The user's values: the release's and adopt's -f/--set (recorded, redacted). */
  overrides: Record<string, unknown>;
  from: AdoptedFrom;
  /** The subcharts it runs (handed over), in the components table's order. */
  subcharts: SubchartKey[];
  /** Its objects and hooks that exist. */
  live: UmbrellaObject[];
}

/**
 * The chart names its cert-gen and ca-inject hook Jobs by revision (`…-cert-gen-3`) and never deletes the
 * earlier ones: helm's hooks list only the current revision's, so the others are found by name and label.
 */
async function earlierHookJobs(kube: ClusterApi, objects: readonly (ReleaseObject & { hook: boolean })[], revision: number, namespace: string, release: string): Promise<(ReleaseObject & { hook: boolean })[]> {
  const bases = objects.filter((x) => x.hook && x.kind === 'Job' && x.name.endsWith(`-${revision}`)).map((x) => x.name.slice(0, -`-${revision}`.length));
  if (!bases.length || revision < 2) return [];
  const jobs = await kube.list<{ metadata: { name: string } }>(`/apis/batch/v1/namespaces/${namespace}/jobs`, { labelSelector: `app.kubernetes.io/instance=${release}`, metadataOnly: true });
  const listed = new Set(objects.map((x) => `${x.kind}/${x.name}`));
  return jobs
    .map((j) => j.metadata.name)
    .filter((name) => !listed.has(`Job/${name}`) && bases.some((b) => name.startsWith(`${b}-`) && /^\d+$/.test(name.slice(b.length + 1))))
    .map((name) => ({ apiVersion: 'batch/v1', kind: 'Job', name, namespace, hook: true }));
}

export async function readUmbrella(kube: ClusterApi, helm: HelmApi, o: { release: string; namespace: string; input: ValuesInput; found: ReleaseState }): Promise<Umbrella> {
  const contents = await helm.contents(o.release, o.namespace);
  const objects = [...releaseObjects(contents.manifest, o.namespace).map((x) => ({ ...x, hook: false })), ...releaseObjects(contents.hooks, o.namespace).map((x) => ({ ...x, hook: true }))];
  const subcharts = SUBCHART_KEYS.filter((k) => objects.some((x) => x.subchart === k));
  const unsupported = subcharts.filter((k) => !COMPONENTS[k].keepInstance);
  if (unsupported.length) {
    throw new UserError(`helm release ${o.release} also installed ${unsupported.map((k) => COMPONENTS[k].title).join(' and ')}; dynamoctl adopt hands over NATS and etcd only`, {
      hint: 'nothing was changed; keep managing this release with helm',
    });
  }
  const input: ValuesInput = { ...o.input, files: [{ source: `values of helm release ${o.release}`, values: contents.values }, ...o.input.files], flags: { ...o.input.flags, release: o.release, namespace: o.namespace } };
  const values = resolveValues(input);
  const dropped = subcharts.filter((k) => !values[k].enabled);
  if (dropped.length) {
    throw new UserError(`helm release ${o.release} runs ${dropped.map((k) => COMPONENTS[k].title).join(' and ')}, which the values given to adopt turn off`, { hint: 'nothing was changed; adopt first, then turn it off with dynamoctl install' });
  }

  const live = (
    await mapLimit([...objects, ...(await earlierHookJobs(kube, objects, o.found.revision, o.namespace, o.release))], 8, async (x): Promise<UmbrellaObject | undefined> => {
      const object = await kube.getOptional<LiveObject>(identityPath(x));
      return object ? { ...x, uid: object.metadata.uid ?? '', resourceVersion: object.metadata.resourceVersion ?? '', object } : undefined;
    })
  ).filter((x) => x !== undefined);
  const proxy = live
    .filter((x) => x.kind === 'Deployment' && !x.subchart)
    .flatMap((x) => (x.object.spec as { template?: { spec?: { containers?: { name: string; image?: string }[] } } }).template?.spec?.containers ?? [])
    .find((c) => c.name === 'kube-rbac-proxy');
  const from: AdoptedFrom = {
    release: o.release,
    namespace: o.namespace,
    chart: o.found.chart,
    version: o.found.version,
    pinned: pinnedValues({ umbrella: o.release, rbacProxyImage: proxy?.image, subcharts }),
  };
  return { values, overrides: userOverrides(input), from, subcharts, live };
}
