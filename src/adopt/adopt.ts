/**
 * adoptRelease: from `helm install dynamo-platform` to a dynamoctl install, without restarting anything.
 *
 *   read the umbrella release (state, user values, manifest, hooks) and its objects as they are live
 *   → values: the release's own, under -f/--set, with pins that keep the running pods as they are
 *   → helm renders the NATS and etcd handover against the cluster: restarts said, immutable changes refused
 *   → the install recipe, whose planner may take the umbrella's objects: the operator's objects in place
 *     (field ownership moved to dynamoctl), the hooks' Secrets reused, NATS and etcd handed to the releases
 *     <release>-nats and <release>-etcd, the hooks' leftovers removed
 *   → the install record (installed), helm's record of the umbrella removed (objects stay), the record
 *     marked finished.
 *
 * Every step is idempotent and the record says `installing` from the first change, so a run that was
 * stopped is completed by the next; once helm's record of the umbrella is gone there is nothing left to do.
 */
import { forgetHelmRelease } from '../apply/helm-storage.ts';
import { readRecord, updateRecord, type AdoptedFrom, type InstallRecord } from '../apply/record.ts';
import { Kube, type ClusterApi, type KubeTarget } from '../cluster/client.ts';
import { COMPONENTS } from '../components/table.ts';
import { subchartValues } from '../components/values.ts';
import type { ValuesInput } from '../config/resolve.ts';
import type { SubchartKey, Values } from '../config/values-schema.ts';
import { withPins } from '../config/pins.ts';
import { step } from '../engine/events.ts';
import { UserError } from '../errors.ts';
import { helmApi as realHelm, type HelmApi } from '../helm/api.ts';
import type { HelmOptions } from '../helm/helm.ts';
import { installPlatform, type InstallOptions, type InstallSummary } from '../install/install.ts';
import { subchartRelease } from '../render/names.ts';
import { planAdopting } from './plan.ts';
import { readUmbrella, type UmbrellaObject } from './read.ts';
import { handoverEffect } from './restarts.ts';
import { checkUmbrella } from './umbrella.ts';

export interface AdoptOptions extends Pick<InstallOptions, 'emit' | 'confirm' | 'dryRun' | 'kube' | 'helmApi' | 'skipChecks' | 'reportChecks' | 'checks'> {
  /** The helm release and its namespace. */
  release: string;
  namespace: string;
  /** -f/--set given to adopt: layered over the release's own values. */
  input: ValuesInput;
  target: KubeTarget;
  helm: HelmOptions;
}

/** The install checks adopt does not run: the umbrella is the helm-managed release and the operator they would find. */
const ADOPT_SKIPS = ['helm-managed', 'operator-conflicts', 'leftovers'];

export type AdoptResult =
  | (InstallSummary & { outcome: 'adopted'; from: AdoptedFrom; /** Workloads whose pods the handover restarts. */ restarts: string[] })
  /** helm's record of the umbrella is gone and the install record says the adoption finished. */
  | { outcome: 'already'; release: string; namespace: string; from: AdoptedFrom };

/**
 * helm's own render of each handed-over release against the live cluster, compared with what runs. A pod
 * template can differ although the values are the same: Bitnami etcd hashes a JWT key it generated anew
 * on the first install, so its first upgrade restarts etcd once (bitnami/charts#9417).
 */
async function previewHandover(helm: HelmApi, values: Values, keys: readonly SubchartKey[], live: readonly UmbrellaObject[], release: string, namespace: string): Promise<{ restarts: string[]; refused: string[]; notes: string[] }> {
  const running = new Map(live.map((x) => [`${x.kind}/${x.name}`, x.object]));
  const out = { restarts: [] as string[], refused: [] as string[], notes: [] as string[] };
  await Promise.all(
    keys.map(async (key) => {
      const title = COMPONENTS[key].title;
      const spec = { release: subchartRelease(release, key), namespace, source: values.dynamoctl.charts[key], values: subchartValues(values, key), timeoutSeconds: 60, takeOwnership: true };
      // an interrupted adoption left it pending: helm previews nothing until that is undone (the run does it)
      const state = await helm.status(spec.release, namespace);
      if (state?.status.startsWith('pending-')) return void out.notes.push(`${title}: not previewed, ${spec.release} was left ${state.status} by an interrupted run`);
      const manifest = await helm.preview(spec).catch((error: unknown) => {
        out.notes.push(`${title}: helm could not preview the handover (${(error as Error).message.split('\n')[0]}); its pods may restart`);
        return null;
      });
      if (manifest === undefined) out.notes.push(`${title}: this helm (before 3.17) cannot preview the handover; its pods may restart`);
      if (!manifest) return;
      const effect = handoverEffect(manifest, running);
      out.restarts.push(...effect.restarts.map((w) => `${title}: ${w}`));
      out.refused.push(...effect.refused.map((w) => `${title}: ${w}`));
    }),
  );
  return out;
}

/** helm's record of the umbrella is gone: the adoption finished, or was stopped just before saying so. */
async function afterUmbrella(o: AdoptOptions, kube: ClusterApi, record: InstallRecord | undefined): Promise<AdoptResult> {
  const from = record?.adoptedFrom;
  if (!record || !from || from.release !== o.release) {
    throw new UserError(`no helm release ${o.release} in namespace ${o.namespace}`, { hint: 'helm list -A shows the releases: pass the name with --release and its namespace with -n' });
  }
  if (record.phase !== 'installed') {
    // the record's values are redacted: re-applying them would write placeholders into Secrets
    throw new UserError(`helm's record of release ${o.release} is gone, but the adoption did not finish (the install record says ${record.phase})`, {
      hint: `complete it with dynamoctl install --release ${o.release} -n ${o.namespace} -f <the values you gave helm>`,
    });
  }
  if (!from.finishedAt && !o.dryRun) {
    // stopped between removing helm's record and saying so
    const finished = { ...from, finishedAt: new Date().toISOString() };
    await updateRecord(kube, { ...record, adoptedFrom: finished });
    return { outcome: 'already', release: o.release, namespace: o.namespace, from: finished };
  }
  return { outcome: 'already', release: o.release, namespace: o.namespace, from };
}

export async function adoptRelease(o: AdoptOptions): Promise<AdoptResult> {
  const kube = o.kube ?? Kube.load(o.target);
  const helm: HelmApi = o.helmApi ?? realHelm(o.helm);
  const [found, record] = await step(o.emit, `Reading helm release ${o.release} in ${o.namespace}`, () => Promise.all([helm.status(o.release, o.namespace), readRecord(kube, o.release, o.namespace)]));
  if (!found) return afterUmbrella(o, kube, record);
  if (record && !record.adoptedFrom) {
    throw new UserError(`release ${o.release} in ${o.namespace} is both a helm release and a dynamoctl install`, { hint: `nothing was changed; see dynamoctl status --release ${o.release} -n ${o.namespace} and helm status ${o.release} -n ${o.namespace}` });
  }
  checkUmbrella(o.release, o.namespace, found);

  const umbrella = await readUmbrella(kube, helm, { release: o.release, namespace: o.namespace, input: o.input, found });
  const { values, overrides, from, subcharts, live } = umbrella;
  const titles = subcharts.map((k) => COMPONENTS[k].title).join(' and ');
  const preview = subcharts.length ? await step(o.emit, `Rendering the ${titles} handover with helm`, () => previewHandover(helm, withPins(values, overrides, from.pinned), subcharts, live, o.release, o.namespace)) : { restarts: [], refused: [], notes: [] };
  if (preview.refused.length) {
    throw new UserError(`handing ${titles} to releases of their own would change fields the server does not change in place: ${preview.refused.join('; ')}; nothing was changed`, {
      hint: `the values ${titles} get differ from the umbrella's: compare helm get values ${o.release} -n ${o.namespace} with the -f/--set given to adopt`,
    });
  }
  for (const note of preview.notes) o.emit({ type: 'warning', message: note });
  for (const r of preview.restarts) o.emit({ type: 'warning', message: `the handover restarts pods: ${r}; volumes and data are kept` });
  if (subcharts.length && !preview.restarts.length && !preview.notes.length) o.emit({ type: 'info', message: `helm renders ${titles} as they run: the handover restarts no pod` });
  // helm forgets the release at the end, and with it the only copy of the values with their secrets
  o.emit({ type: 'info', message: `the install record keeps the release's values with secrets redacted: save them first if you need them (helm get values ${o.release} -n ${o.namespace})` });

  const summary = await installPlatform({
    target: o.target,
    helm: o.helm,
    emit: o.emit,
    confirm: o.confirm,
    dryRun: o.dryRun,
    kube,
    helmApi: helm,
    skipChecks: o.skipChecks,
    reportChecks: o.reportChecks,
    checks: o.checks ?? { without: ADOPT_SKIPS },
    values,
    overrides,
    adopt: {
      from,
      adopting: (state) => planAdopting({ release: o.release, namespace: o.namespace, values, live, state }),
      finish: async (k) => void (await forgetHelmRelease(k, o.release, o.namespace)),
    },
  });
  return { ...summary, outcome: 'adopted', from, restarts: preview.restarts };
}
