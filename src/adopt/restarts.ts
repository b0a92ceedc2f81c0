/**
 * Would handing a subchart's objects to a release of its own restart its pods? Compares the workloads helm
 * would apply (rendered against the live cluster) with the live ones: any difference in a pod template or
 * a selector restarts pods (or is refused: selectors are immutable). Pure.
 */
import { parse } from 'yaml';
import { fieldChanges } from '../engine/diff.ts';
import type { LiveObject } from '../engine/state.ts';
import type { KubeObject } from '../render/k8s-types.ts';

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** One line per workload whose pods would restart, naming the fields that change. */
export function restartsOf(manifest: string, live: ReadonlyMap<string, LiveObject>): string[] {
  const out: string[] = [];
  for (const chunk of manifest.split(/^---[ \t]*$/m)) {
    const object = parse(chunk) as KubeObject | null;
    if (!object?.kind || !WORKLOADS.has(object.kind)) continue;
    const current = live.get(`${object.kind}/${object.metadata.name}`);
    if (!current) continue;
    // '' owns nothing: only fields the render sets differently count, not fields it leaves out
    const changed = fieldChanges(object, current, '').map((c) => c.path).filter((p) => p.startsWith('spec.template.') || p.startsWith('spec.selector.'));
    if (changed.length) out.push(`${object.kind} ${object.metadata.name} (${changed.slice(0, 3).join(', ')}${changed.length > 3 ? `, and ${changed.length - 3} more` : ''})`);
  }
  return out;
}
