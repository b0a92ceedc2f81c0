/**
 * What each subchart receives from helm: its values section as the user wrote it (minus `enabled`, which
 * only tells dynamoctl whether to install it), the platform's `global` section as helm would pass it to a
 * subchart, and the --registry rewrite applied where each chart takes its registry.
 */
import { rewriteRegistry } from './images.ts';
import { mergeValues } from './resolve.ts';
import type { SubchartKey, Values } from './values-schema.ts';

type Tree = Record<string, unknown>;

/** Where each chart reads its image registry, and the default it rewrites. Data, so `bundle` can list images. */
export const SUBCHART_IMAGES: Record<SubchartKey, { images: string[]; registryValues: (registry: string) => Tree }> = {
  nats: {
    images: ['nats:2.10.21-alpine', 'natsio/nats-server-config-reloader:0.16.0'],
    registryValues: (registry) => ({ global: { image: { registry } } }),
  },
  etcd: {
    images: ['bitnamilegacy/etcd:3.5.18-debian-12-r5'],
    registryValues: (registry) => ({ global: { imageRegistry: registry } }),
  },
  grove: {
    images: ['ghcr.io/nvidia/grove/grove-operator:v0.1.0-alpha.3'],
    registryValues: (registry) => ({ image: { repository: rewriteRegistry('ghcr.io/nvidia/grove/grove-operator', registry) } }),
  },
  'kai-scheduler': {
    images: ['ghcr.io/nvidia/kai-scheduler/scheduler:v0.9.4', 'ghcr.io/nvidia/kai-scheduler/podgrouper:v0.9.4'],
    registryValues: (registry) => ({ global: { registry: rewriteRegistry('ghcr.io/nvidia/kai-scheduler', registry) } }),
  },
};

export function subchartValues(values: Values, key: SubchartKey): Tree {
  const section: Tree = { ...values[key] };
  delete section.enabled;
  let out: Tree = values.global ? mergeValues({ global: values.global }, section) : section;
  const registry = values.dynamoctl.registry;
  if (registry) out = mergeValues(out, SUBCHART_IMAGES[key].registryValues(registry));
  return out;
}
