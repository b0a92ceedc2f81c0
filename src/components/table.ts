/**
 * The subcharts as data: what each real chart at its pinned version takes and does, in one place. Install,
 * uninstall, preflight, bundle and the wizard read this table; nothing else spells a subchart's values paths.
 * Verified against the real charts (nats 1.3.2, Bitnami etcd 12.0.18, grove-charts v0.1.0-alpha.3,
 * kai-scheduler v0.9.4); the fixture charts in test/fixtures/charts behave the same way.
 */
import { rewriteRegistry } from '../config/images.ts';
import { getPath as get } from '../config/tree.ts';
import type { SubchartKey } from '../config/values-schema.ts';

type Tree = Record<string, unknown>;

export interface Component {
  key: SubchartKey;
  /** Shown to users. */
  title: string;
  /**
   * Values that move every image the chart renders, and every image its operator starts at run time, to
   * `<mirror>/<path>` (the --registry rule of config/images.ts).
   */
  registryValues: (registry: string, current: Tree) => Tree;
  /** Values that give the chart's pods these pull secrets; `gaps` names pods that still get none. */
  pullSecrets: { values: (names: string[]) => Tree; gaps?: string } | { unsupported: string };
  /** Values that put the chart's volumes on a StorageClass (none: the chart keeps no data). */
  storageClassValues?: (storageClass: string) => Tree;
  /** Values that add tolerations to the chart's pods. */
  tolerationsValues: (tolerations: unknown[]) => Tree;
  /** CRDs the chart brings. In `crds/`, helm installs them once and keeps them on uninstall. */
  crds: { names: string[]; in: 'crds/' | 'templates' };
  /**
   * How to tell it is installed when the helm release is not ours: its operator's Deployment (in any
   * namespace). CRDs alone say nothing: they outlive `helm uninstall`.
   */
  operator?: { deployment: string; labelSelector: string };
  /** Deployments its operator creates at run time, in the release namespace: waited for after helm. */
  runtimeDeployments: string[];
  /**
   * Images pulled at run time that no rendered pod spec names (the operator creates or injects them), from
   * the values the chart is given (after --registry) and its version.
   */
  runtimeImages: (chartVersion: string, values: Tree) => string[];
  /** Cluster-scoped objects with fixed names (besides CRDs): a second install in the cluster collides on them. */
  clusterScoped: string[];
  /** Volumes that outlive the release (volume claim templates): removed by uninstall --delete-data. */
  keepsData: boolean;
  /**
   * Values that keep `app.kubernetes.io/instance` at `instance` on every object, selector and pod template
   * the chart renders: another release can then own objects an umbrella release created (dynamoctl adopt)
   * without an immutable selector changing or a pod restarting. Undefined: adoption not supported.
   */
  keepInstance?: (instance: string) => Tree;
}

const INSTANCE = 'app.kubernetes.io/instance';
/** nats 1.3.2 merges `<resource>.merge` over each object it renders (mergeOverwrite). */
function natsKeepInstance(instance: string): Tree {
  const labels = { metadata: { labels: { [INSTANCE]: instance } } };
  const selected = (selector: Tree): Tree => ({ merge: { ...labels, spec: selector } });
  const matchLabels = selected({ selector: { matchLabels: { [INSTANCE]: instance } } });
  return {
    configMap: { merge: labels },
    headlessService: selected({ selector: { [INSTANCE]: instance } }),
    service: selected({ selector: { [INSTANCE]: instance } }),
    statefulSet: matchLabels,
    podTemplate: { merge: labels },
    podDisruptionBudget: matchLabels,
    serviceAccount: { merge: labels },
    // the PodMonitor selects the server pods by their labels too
    promExporter: { podMonitor: matchLabels },
    natsBox: { deployment: matchLabels, podTemplate: { merge: labels }, contextsSecret: { merge: labels }, contentsSecret: { merge: labels }, serviceAccount: { merge: labels } },
  };
}

const GROVE_INIT_IMAGE = 'ghcr.io/nvidia/grove/grove-initc';
const KAI_REGISTRY = 'ghcr.io/nvidia/kai-scheduler';

export const COMPONENTS: Record<SubchartKey, Component> = {
  nats: {
    key: 'nats',
    title: 'NATS',
    registryValues: (registry) => ({ global: { image: { registry } } }),
    // the chart wants names, not {name:} maps
    pullSecrets: { values: (names) => ({ global: { image: { pullSecretNames: names } } }) },
    storageClassValues: (storageClass) => ({ config: { jetstream: { fileStore: { pvc: { storageClassName: storageClass } } } } }),
    tolerationsValues: (tolerations) => ({ podTemplate: { merge: { spec: { tolerations } } } }),
    crds: { names: [], in: 'templates' },
    runtimeDeployments: [],
    runtimeImages: () => [],
    clusterScoped: [],
    keepsData: true,
    keepInstance: natsKeepInstance,
  },
  etcd: {
    key: 'etcd',
    title: 'etcd',
    // Bitnami's image guard refuses any image moved off the chart's own list unless this is set
    registryValues: (registry) => ({ global: { imageRegistry: registry, security: { allowInsecureImages: true } } }),
    pullSecrets: { values: (names) => ({ global: { imagePullSecrets: names } }) },
    storageClassValues: (storageClass) => ({ persistence: { storageClass } }),
    tolerationsValues: (tolerations) => ({ tolerations }),
    crds: { names: [], in: 'templates' },
    runtimeDeployments: [],
    runtimeImages: () => [],
    clusterScoped: [],
    keepsData: true,
    // Bitnami's common labels win over its defaults in labels, pod labels and selectors alike
    keepInstance: (instance) => ({ commonLabels: { [INSTANCE]: instance } }),
  },
  grove: {
    key: 'grove',
    title: 'Grove',
    registryValues: (registry, current) => {
      // the init container Grove injects into every PodClique pod; a list replaces the chart's whole, so the
      // user's other entries are kept and only this one is set
      const env = ((get(current, ['deployment', 'env']) as { name?: string }[] | undefined) ?? []).filter((e) => e.name !== 'GROVE_INIT_CONTAINER_IMAGE');
      return {
        image: { repository: rewriteRegistry('ghcr.io/nvidia/grove/grove-operator', registry) },
        deployment: { env: [{ name: 'GROVE_INIT_CONTAINER_IMAGE', value: rewriteRegistry(GROVE_INIT_IMAGE, registry) }, ...env] },
      };
    },
    pullSecrets: {
      unsupported:
        'grove-charts v0.1.0-alpha.3 has no pull-secret value: the grove-operator pod pulls without credentials (let it pull anonymously from the mirror, or add the secret to ServiceAccount grove-operator)',
    },
    tolerationsValues: (tolerations) => ({ tolerations }),
    crds: { names: ['podcliquesets.grove.io', 'podcliques.grove.io', 'podcliquescalinggroups.grove.io', 'podgangs.scheduler.grove.io'], in: 'crds/' },
    operator: { deployment: 'grove-operator', labelSelector: 'app.kubernetes.io/name=grove-operator' },
    runtimeDeployments: [],
    // the operator appends its own version to the repository it is given
    runtimeImages: (chartVersion, values) => {
      const env = (get(values, ['deployment', 'env']) as { name?: string; value?: string }[] | undefined) ?? [];
      return [`${env.find((e) => e.name === 'GROVE_INIT_CONTAINER_IMAGE')?.value ?? GROVE_INIT_IMAGE}:${chartVersion}`];
    },
    clusterScoped: ['ClusterRole grove:system:grove-operator', 'ClusterRoleBinding grove:system:grove-operator', 'MutatingWebhookConfiguration podcliqueset-defaulting-webhook', 'ValidatingWebhookConfiguration podcliqueset-validating-webhook'],
    keepsData: false,
  },
  'kai-scheduler': {
    key: 'kai-scheduler',
    title: 'Kai scheduler',
    registryValues: (registry) => ({ global: { registry: rewriteRegistry(KAI_REGISTRY, registry) } }),
    // v0.9.4 copies the list into its own pod specs as given: only {name:} maps make valid pods
    pullSecrets: {
      values: (names) => ({ global: { imagePullSecrets: names.map((name) => ({ name })) } }),
      gaps: 'kai-scheduler v0.9.4 gives no pull secrets to its crd-upgrader hook Job or to the Deployments its operator creates (pod-grouper, queue-controller, podgroup-controller, admission)',
    },
    tolerationsValues: (tolerations) => ({ global: { tolerations } }),
    crds: { names: ['configs.kai.scheduler', 'schedulingshards.kai.scheduler', 'bindrequests.scheduling.run.ai', 'podgroups.scheduling.run.ai', 'queues.scheduling.run.ai'], in: 'crds/' },
    operator: { deployment: 'kai-operator', labelSelector: 'app=kai-operator' },
    runtimeDeployments: ['pod-grouper', 'queue-controller', 'podgroup-controller', 'admission'],
    runtimeImages: (chartVersion, values) => {
      const registry = (get(values, ['global', 'registry']) as string | undefined) ?? KAI_REGISTRY;
      return ['podgrouper', 'queuecontroller', 'podgroupcontroller', 'admission'].map((name) => `${registry}/${name}:${chartVersion}`);
    },
    clusterScoped: ['Config kai-config', 'PriorityClass build', 'PriorityClass build-preemptible', 'PriorityClass inference', 'PriorityClass train', 'Namespace kai-resource-reservation'],
    keepsData: false,
  },
};

export const SUBCHART_KEYS: readonly SubchartKey[] = ['nats', 'etcd', 'grove', 'kai-scheduler'];
/** What the operator talks to (installed first) and the add-ons that run an operator of their own (after). */
export const BASE_KEYS: readonly SubchartKey[] = SUBCHART_KEYS.filter((k) => !COMPONENTS[k].operator);
export const ADDON_KEYS: readonly SubchartKey[] = SUBCHART_KEYS.filter((k) => COMPONENTS[k].operator);

/** Where a chart's values hold its storage class, from storageClassValues (so the path is spelled once). */
export function storageClassPath(key: SubchartKey): string[] | undefined {
  const mark = '\u0000';
  const find = (node: unknown, path: string[]): string[] | undefined =>
    node === mark ? path : node && typeof node === 'object' ? Object.entries(node).map(([k, v]) => find(v, [...path, k])).find((p) => p !== undefined) : undefined;
  const probe = COMPONENTS[key].storageClassValues?.(mark);
  return probe ? find(probe, [key]) : undefined;
}

/** The component a recorded helm release belongs to (undefined for dynamo-crds and unknown names). */
export const componentOf = (key: string): Component | undefined => (SUBCHART_KEYS as readonly string[]).includes(key) ? COMPONENTS[key as SubchartKey] : undefined;
