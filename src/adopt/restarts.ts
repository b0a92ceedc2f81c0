/**
 * What handing a subchart's objects to a release of its own would do to what runs: compares the workloads
 * helm would apply (rendered against the live cluster) with the live ones. A different pod template
 * restarts pods; a different selector or StatefulSet claim template, service name or pod management policy
 * is refused by the server (immutable), which would stop the handover halfway. Pure.
 */
import { manifestObjects } from '../components/images.ts';
import { fieldChanges } from '../engine/diff.ts';
import type { LiveObject } from '../engine/state.ts';
import type { KubeObject } from '../render/k8s-types.ts';

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const IMMUTABLE = /^spec\.(selector|volumeClaimTemplates|serviceName|podManagementPolicy)\b/;

export interface HandoverEffect {
  /** Workloads whose pods restart, with the fields that change. */
  restarts: string[];
  /** Workloads the server would refuse to change, with the immutable fields. */
  refused: string[];
}

const line = (o: KubeObject, paths: string[]): string => `${o.kind} ${o.metadata.name} (${paths.slice(0, 3).join(', ')}${paths.length > 3 ? `, and ${paths.length - 3} more` : ''})`;

export function handoverEffect(manifest: string, live: ReadonlyMap<string, LiveObject>): HandoverEffect {
  const out: HandoverEffect = { restarts: [], refused: [] };
  for (const object of manifestObjects(manifest) as (KubeObject | null)[]) {
    if (!object?.kind || !WORKLOADS.has(object.kind)) continue;
    const current = live.get(`${object.kind}/${object.metadata.name}`);
    if (!current) continue;
    // '' owns nothing: only fields the render sets differently count, not fields it leaves out
    const changed = fieldChanges(object, current, '').map((c) => c.path);
    const immutable = changed.filter((p) => IMMUTABLE.test(p));
    const template = changed.filter((p) => p.startsWith('spec.template.'));
    if (immutable.length) out.refused.push(line(object, immutable));
    if (template.length) out.restarts.push(line(object, template));
  }
  return out;
}
