/**
 * adoptRelease: from `helm install dynamo-platform` to a dynamoctl install, without restarting anything.
 *
 *   read the umbrella release (state, user values, manifest, hooks) and its objects as they are live
 *   → values: the release's own, under -f/--set, with pins that keep the running pods as they are
 *   → the install recipe, whose planner may take the umbrella's objects: the operator's objects in place
 *     (field ownership moved to dynamoctl), the hooks' Secrets reused, NATS and etcd handed to the releases
 *     <release>-nats and <release>-etcd, the hooks' leftovers removed
 *   → helm's record of the umbrella removed last (objects stay), then the install record says installed.
 *
 * Every step is idempotent and the record says `installing` from the first change, so a run that was
 * stopped is completed by the next; once the umbrella's record is gone, adopt finishes (or repeats) as an
 * install with the recorded values.
 */
import { forgetHelmRelease } from '../apply/helm-storage.ts';
import { readRecord, type AdoptedFrom } from '../apply/record.ts';
import { Kube, type ClusterApi, type KubeTarget } from '../cluster/client.ts';
import { COMPONENTS, SUBCHART_KEYS } from '../components/table.ts';
import { mapLimit } from '../concurrency.ts';
import { resolveValues, userOverrides, type ValuesInput } from '../config/resolve.ts';
import type { SubchartKey, Values } from '../config/values-schema.ts';
import { step } from '../engine/events.ts';
import type { LiveObject } from '../engine/state.ts';
import { UserError } from '../errors.ts';
import { helmApi as realHelm, type HelmApi } from '../helm/api.ts';
import type { HelmOptions } from '../helm/helm.ts';
import { installPlatform, type InstallOptions, type InstallSummary } from '../install/install.ts';
import { objectPath } from '../render/k8s-types.ts';
import { planAdopting, type LiveReleaseObject } from './plan.ts';
import { restartsOf } from './restarts.ts';
import { checkUmbrella, pinnedValues, releaseObjects, withPins, type ReleaseObject } from './umbrella.ts';
import { subchartValues } from '../components/values.ts';
import { subchartRelease } from '../render/names.ts';

export interface AdoptOptions extends Pick<InstallOptions, 'emit' | 'confirm' | 'dryRun' | 'kube' | 'helmApi' | 'skipChecks' | 'reportChecks'> {
  /** The helm release and its namespace. */
  release: string;
  namespace: string;
  /** -f/--set given to adopt: layered over the release's own values. */
  input: ValuesInput;
  target: KubeTarget;
  helm: HelmOptions;
}

export interface AdoptSummary extends InstallSummary {
  from: AdoptedFrom;
  /** Workloads whose pods the handover restarts (the chart renders them differently from what runs). */
  restarts: string[];
}

/**
 * helm's own render of each handed-over release against the live cluster, compared with what runs. A pod
 * template can differ although the values are the same: Bitnami etcd hashes a JWT key it generated anew
 * on the first install, so its first upgrade restarts etcd once (bitnami/charts#9417).
 */
async function predictRestarts(helm: HelmApi, values: Values, keys: readonly SubchartKey[], live: readonly (LiveReleaseObject & { object: LiveObject })[], release: string, namespace: string): Promise<string[]> {
  const running = new Map(live.map((x) => [`${x.kind}/${x.name}`, x.object]));
  const found = await Promise.all(
    keys.map(async (key) => {
      const spec = { release: subchartRelease(release, key), namespace, source: values.dynamoctl.charts[key], values: subchartValues(values, key), timeoutSeconds: 60, takeOwnership: true };
      const manifest = await helm.preview(spec);
      if (manifest === undefined) return [`${COMPONENTS[key].title}: this helm (before 3.17) cannot preview the handover; its pods may restart`];
      return restartsOf(manifest, running).map((w) => `${COMPONENTS[key].title}: ${w}`);
    }),
  );
  return found.flat();
}

const pathOf = (o: ReleaseObject): string => objectPath({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) } });

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

export async function adoptRelease(o: AdoptOptions): Promise<AdoptSummary> {
  const kube = o.kube ?? Kube.load(o.target);
  const helm: HelmApi = o.helmApi ?? realHelm(o.helm);
  const flags = { ...o.input.flags, release: o.release, namespace: o.namespace };
  const common = { target: o.target, helm: o.helm, emit: o.emit, confirm: o.confirm, dryRun: o.dryRun, kube, helmApi: helm, skipChecks: o.skipChecks, reportChecks: o.reportChecks, checks: false };
  const [found, record] = await step(o.emit, `Reading helm release ${o.release} in ${o.namespace}`, () => Promise.all([helm.status(o.release, o.namespace), readRecord(kube, o.release, o.namespace)]));

  if (!found) {
    // helm's record went last: what is left is an install with the recorded values (or nothing at all)
    if (record?.adoptedFrom) {
      const input: ValuesInput = { ...o.input, files: [{ source: 'install record', values: record.overrides }, ...o.input.files], flags };
      const summary = await installPlatform({ ...common, values: resolveValues(input), overrides: userOverrides(input) });
      return { ...summary, from: record.adoptedFrom, restarts: [] };
    }
    throw new UserError(`no helm release ${o.release} in namespace ${o.namespace}`, { hint: 'helm list -A shows the releases: pass the name with --release and its namespace with -n' });
  }
  if (record && !record.adoptedFrom) {
    throw new UserError(`release ${o.release} in ${o.namespace} is both a helm release and a dynamoctl install`, { hint: `nothing was changed; see dynamoctl status --release ${o.release} -n ${o.namespace} and helm status ${o.release} -n ${o.namespace}` });
  }
  checkUmbrella(o.release, o.namespace, found);

  const contents = await helm.contents(o.release, o.namespace);
  const objects = [...releaseObjects(contents.manifest, o.namespace).map((x) => ({ ...x, hook: false })), ...releaseObjects(contents.hooks, o.namespace).map((x) => ({ ...x, hook: true }))];
  const subcharts = SUBCHART_KEYS.filter((k) => objects.some((x) => x.subchart === k));
  const unsupported = subcharts.filter((k) => !COMPONENTS[k].keepInstance);
  if (unsupported.length) {
    throw new UserError(`helm release ${o.release} also installed ${unsupported.map((k) => COMPONENTS[k].title).join(' and ')}; dynamoctl adopt hands over NATS and etcd only`, {
      hint: 'nothing was changed; keep managing this release with helm',
    });
  }
  const input: ValuesInput = { ...o.input, files: [{ source: `values of helm release ${o.release}`, values: contents.values }, ...o.input.files], flags };
  const values = resolveValues(input);
  const dropped = subcharts.filter((k) => !values[k].enabled);
  if (dropped.length) {
    throw new UserError(`helm release ${o.release} runs ${dropped.map((k) => COMPONENTS[k].title).join(' and ')}, which the values given to adopt turn off`, { hint: `nothing was changed; adopt first, then turn it off with dynamoctl install` });
  }

  const live = (
    await mapLimit([...objects, ...(await earlierHookJobs(kube, objects, found.revision, o.namespace, o.release))], 8, async (x): Promise<(LiveReleaseObject & { object: LiveObject }) | undefined> => {
      const object = await kube.getOptional<LiveObject>(pathOf(x));
      return object ? { ...x, uid: object.metadata.uid ?? '', resourceVersion: object.metadata.resourceVersion ?? '', object } : undefined;
    })
  ).filter((x) => x !== undefined);
  const proxy = live
    .filter((x) => x.kind === 'Deployment' && !x.subchart)
    .flatMap((x) => ((x.object.spec as { template?: { spec?: { containers?: { name: string; image?: string }[] } } }).template?.spec?.containers ?? []))
    .find((c) => c.name === 'kube-rbac-proxy');
  const from: AdoptedFrom = {
    release: o.release,
    namespace: o.namespace,
    chart: found.chart,
    version: found.version,
    pinned: pinnedValues({ umbrella: o.release, rbacProxyImage: proxy?.image, subcharts }),
  };
  const overrides = userOverrides(input);
  const restarts = subcharts.length ? await step(o.emit, `Rendering the ${subcharts.map((k) => COMPONENTS[k].title).join(' and ')} handover with helm`, () => predictRestarts(helm, withPins(values, overrides, from.pinned), subcharts, live, o.release, o.namespace)) : [];
  for (const r of restarts) o.emit({ type: 'warning', message: `the handover restarts pods: ${r}; volumes and data are kept` });
  if (subcharts.length && !restarts.length) o.emit({ type: 'info', message: `helm renders ${subcharts.map((k) => COMPONENTS[k].title).join(' and ')} as they run: the handover restarts no pod` });
  const summary = await installPlatform({
    ...common,
    values,
    overrides,
    adopt: {
      from,
      adopting: (state) => planAdopting({ release: o.release, namespace: o.namespace, values, live, state }),
      finish: async (k) => void (await forgetHelmRelease(k, o.release, o.namespace)),
    },
  });
  return { ...summary, from, restarts };
}
