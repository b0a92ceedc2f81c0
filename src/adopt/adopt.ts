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
import { Kube, type KubeTarget } from '../cluster/client.ts';
import { COMPONENTS } from '../components/table.ts';
import { mapLimit } from '../concurrency.ts';
import { resolveValues, userOverrides, type ValuesInput } from '../config/resolve.ts';
import type { SubchartKey } from '../config/values-schema.ts';
import { step } from '../engine/events.ts';
import type { LiveObject } from '../engine/state.ts';
import { UserError } from '../errors.ts';
import { helmApi as realHelm, type HelmApi } from '../helm/api.ts';
import type { HelmOptions } from '../helm/helm.ts';
import { installPlatform, type InstallOptions, type InstallSummary } from '../install/install.ts';
import { objectPath } from '../render/k8s-types.ts';
import { planAdopting, type LiveReleaseObject } from './plan.ts';
import { checkUmbrella, pinnedValues, releaseObjects, type ReleaseObject } from './umbrella.ts';

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
}

const pathOf = (o: ReleaseObject): string => objectPath({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) } });

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
      return { ...summary, from: record.adoptedFrom };
    }
    throw new UserError(`no helm release ${o.release} in namespace ${o.namespace}`, { hint: 'helm list -A shows the releases: pass the name with --release and its namespace with -n' });
  }
  if (record && !record.adoptedFrom) {
    throw new UserError(`release ${o.release} in ${o.namespace} is both a helm release and a dynamoctl install`, { hint: `nothing was changed; see dynamoctl status --release ${o.release} -n ${o.namespace} and helm status ${o.release} -n ${o.namespace}` });
  }
  checkUmbrella(o.release, o.namespace, found);

  const contents = await helm.contents(o.release, o.namespace);
  const objects = [...releaseObjects(contents.manifest, o.namespace).map((x) => ({ ...x, hook: false })), ...releaseObjects(contents.hooks, o.namespace).map((x) => ({ ...x, hook: true }))];
  const subcharts = [...new Set(objects.flatMap((x) => (x.subchart ? [x.subchart] : [])))];
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
    await mapLimit(objects, 8, async (x): Promise<(LiveReleaseObject & { object: LiveObject }) | undefined> => {
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
    pinned: pinnedValues({ umbrella: o.release, rbacProxyImage: proxy?.image, subcharts: subcharts as SubchartKey[] }),
  };
  const summary = await installPlatform({
    ...common,
    values,
    overrides: userOverrides(input),
    adopt: {
      from,
      adopting: (state) => planAdopting({ release: o.release, namespace: o.namespace, values, live, state }),
      finish: async (k) => void (await forgetHelmRelease(k, o.release, o.namespace)),
    },
  });
  return { ...summary, from };
}
