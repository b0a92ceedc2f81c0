/**
 * What each subchart receives from helm: its values section as the user wrote it (minus `enabled`, which
 * only tells dynamoctl whether to install it), the platform's `global` section as helm would pass it to a
 * subchart, the install's pull secrets where the chart takes them, and the --registry rewrite. The values
 * paths come from the components table.
 */
import { mergeValues } from '../config/resolve.ts';
import type { SubchartKey, Values } from '../config/values-schema.ts';
import { COMPONENTS, SUBCHART_KEYS } from './table.ts';

type Tree = Record<string, unknown>;

/** The install's pull secrets (the operator's), which every chart that can take them gets too. */
const pullSecretNames = (values: Values): string[] => values['dynamo-operator'].imagePullSecrets.map((s) => s.name);

export function subchartValues(values: Values, key: SubchartKey): Tree {
  const component = COMPONENTS[key];
  const section: Tree = { ...values[key] };
  delete section.enabled;
  let out: Tree = values.global ? { global: values.global } : {};
  const names = pullSecretNames(values);
  if (names.length && 'values' in component.pullSecrets) out = mergeValues(out, component.pullSecrets.values(names));
  // the user's own section wins over what dynamoctl derives, except the mirror: --registry moves every image
  out = mergeValues(out, section);
  const registry = values.dynamoctl.registry;
  if (registry) out = mergeValues(out, component.registryValues(registry, out));
  return out;
}

/** One warning per enabled subchart whose pods cannot all get the install's pull secrets. */
export function pullSecretWarnings(values: Values): string[] {
  if (!pullSecretNames(values).length) return [];
  return SUBCHART_KEYS.filter((key) => values[key].enabled).flatMap((key) => {
    const p = COMPONENTS[key].pullSecrets;
    const why = 'unsupported' in p ? p.unsupported : p.gaps;
    return why ? [`${COMPONENTS[key].title}: ${why}`] : [];
  });
}
