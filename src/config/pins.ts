/**
 * Pinned values: values an adoption fixed so that the workloads it took over stay as they run (the running
 * kube-rbac-proxy image, the umbrella's instance label in the subcharts' selectors). They sit under the
 * user's own values: a key the user sets wins. Pure.
 */
import { getPath } from './tree.ts';

type Tree = Record<string, unknown>;

/** The values with the pins where the user's own values say nothing (the user's word wins). */
export function withPins<V extends object>(values: V, overrides: Tree, pins: Tree | undefined): V {
  if (!pins) return values;
  const out = structuredClone(values) as unknown as Tree;
  const place = (pin: unknown, path: string[]): void => {
    if (pin && typeof pin === 'object' && !Array.isArray(pin)) {
      for (const [k, v] of Object.entries(pin)) place(v, [...path, k]);
      return;
    }
    if (getPath(overrides, path) !== undefined) return;
    let node = out;
    for (const key of path.slice(0, -1)) {
      if (!node[key] || typeof node[key] !== 'object') node[key] = {};
      node = node[key] as Tree;
    }
    node[path.at(-1)!] = pin;
  };
  place(pins, []);
  return out as unknown as V;
}
