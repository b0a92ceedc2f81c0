/**
 * What an adoption lets the engine take, from the umbrella release's objects as they are live: the
 * operator's objects (taken over in place by the planner), the Secrets the chart's hooks made, the
 * subcharts' objects (handed to dynamoctl's own helm releases), and what goes: the hooks' leftovers and
 * the umbrella's objects dynamoctl does not render. Pure.
 */
import { identityKey, type ObjectIdentity } from '../apply/record.ts';
import type { SubchartKey, Values } from '../config/values-schema.ts';
import type { Adopting, ClusterState } from '../engine/state.ts';
import { objectKey } from '../render/k8s-types.ts';
import type { ReleaseObject } from './umbrella.ts';

export interface LiveReleaseObject extends ReleaseObject {
  uid: string;
  resourceVersion: string;
  /** One of the chart's hook objects. */
  hook: boolean;
}

const identityOf = (o: LiveReleaseObject): ObjectIdentity => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}), uid: o.uid });

export function planAdopting(o: { release: string; namespace: string; values: Values; live: readonly LiveReleaseObject[]; state: Pick<ClusterState, 'desired' | 'namespace'> }): Adopting {
  const rendered = new Set(o.state.desired.map(objectKey));
  const op = o.values['dynamo-operator'];
  // made by the cert-gen and ssh-keygen hook Jobs (kubectl create secret): no release annotation, same names
  const hookMade = [op.webhook.certificateSecret.name, op.dynamo.mpiRun.secretName].map((name) => objectKey({ kind: 'Secret', metadata: { name, namespace: o.state.namespace } })).filter((k) => rendered.has(k));
  const removals: Adopting['removals'] = [];
  const handovers: Adopting['handovers'] = {};
  for (const x of o.live) {
    if (x.subchart) {
      (handovers[x.subchart as SubchartKey] ??= []).push(identityOf(x));
      continue;
    }
    // what dynamoctl renders stays, hook or not (a hook of a rendered name is planned as a conflict, never removed)
    if (rendered.has(identityKey(x))) continue;
    removals.push({
      action: 'prune',
      id: identityOf(x),
      uid: x.uid,
      resourceVersion: x.resourceVersion,
      reason: x.hook ? "left by the chart's hooks (dynamoctl makes their Secrets itself)" : `helm release ${o.release}'s object that dynamoctl does not render`,
    });
  }
  return { release: o.release, namespace: o.namespace, hookMade, removals, handovers };
}
