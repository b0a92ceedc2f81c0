/**
 * A failing pod or claim in words a user acts on: what cannot start and why (the cluster's own message),
 * and the value or command that fixes it. Pure.
 */
import { storageClassPath } from '../components/table.ts';
import type { SubchartKey } from '../config/values-schema.ts';
import type { Problem } from './classify.ts';

/** Who is waited for, as the error names it. */
export interface FailureSubject {
  namespace: string;
  /** "etcd", "the operator". */
  component: string;
  /** Its section of the values: a subchart key or 'dynamo-operator'. */
  valuesKey?: SubchartKey | 'dynamo-operator';
}

/** Where each section's main container takes its resource requests (the charts at their pinned versions). */
const REQUESTS: Partial<Record<NonNullable<FailureSubject['valuesKey']>, string>> = {
  etcd: 'etcd.resources.requests',
  nats: 'nats.container.merge.resources.requests',
  grove: 'grove.resources.requests',
  'dynamo-operator': 'dynamo-operator.controllerManager.manager.resources.requests',
};

function schedulingHint(p: Problem, s: FailureSubject): string {
  const short = [...p.message.matchAll(/Insufficient ([\w./-]*\w)/g)].map((m) => m[1]!);
  if (short.length) {
    const resources = [...new Set(short)];
    const path = s.valuesKey ? REQUESTS[s.valuesKey] : undefined;
    const where = path ? resources.map((r) => `${path}.${r}`).join(', ') : `the ${s.valuesKey ?? s.component} resource requests`;
    return `no node has enough free ${resources.join(' and ')} for it: lower ${where}, or add nodes with free ${resources.join(' and ')}`;
  }
  if (/unbound|persistent ?volume/i.test(p.message)) return `its volume cannot be bound: kubectl get pvc -n ${s.namespace} and check their storage class`;
  if (/node affinity|node selector|nodeSelector/i.test(p.message)) return `no node matches its node selector or affinity: check those values${s.valuesKey ? ` under ${s.valuesKey}` : ''}, or label a node`;
  if (/taint/i.test(p.message)) return `the nodes carry taints it does not tolerate: add tolerations${s.valuesKey ? ` under ${s.valuesKey}` : ''}, or untaint a node`;
  return `kubectl describe pod ${p.name} -n ${s.namespace} shows the scheduler's view`;
}

const imageHint = (p: Problem, s: FailureSubject): string =>
  /unauthori[sz]ed|authentication required|denied|forbidden|401|403/i.test(p.message)
    ? 'the registry refused to serve the image: check the pull secrets (--image-pull-secret, or the chart’s pull-secret values) and that they are valid for that registry'
    : `check the image name and tag${s.valuesKey === 'dynamo-operator' ? ' (--operator-image, --operator-tag)' : s.valuesKey ? ` in the ${s.valuesKey} values` : ''}, the mirror under --registry, and the pull secrets`;

function claimHint(p: Problem, s: FailureSubject): string {
  const path = s.valuesKey && s.valuesKey !== 'dynamo-operator' ? storageClassPath(s.valuesKey)?.join('.') : undefined;
  const cls = p.storageClass === undefined ? 'the default storage class' : p.storageClass === '' ? 'no storage class' : `storage class ${p.storageClass}`;
  return `${cls} gives it no volume: ${path ? `set ${path} to` : 'use'} a class that provisions volumes (kubectl get storageclass), or create a matching PersistentVolume`;
}

/** The error's one line and its hint. `forMs`: how long the problem lasted. */
export function describeFailure(p: Problem, s: FailureSubject, forMs: number): { message: string; hint: string } {
  const lasted = `for ${Math.round(forMs / 1000)}s`;
  const pod = `pod ${s.namespace}/${p.name}`;
  switch (p.kind) {
    case 'unschedulable':
      return { message: `${s.component} cannot start: ${pod} cannot be scheduled (${p.reason}, ${lasted}): ${p.message}`, hint: schedulingHint(p, s) };
    case 'image-pull':
      return { message: `${s.component} cannot start: ${pod} cannot pull the image of container ${p.container} (${p.reason}, ${lasted}): ${p.message}`, hint: imageHint(p, s) };
    case 'crash-loop':
      return {
        message: `${s.component} cannot start: container ${p.container} of ${pod} keeps crashing (${p.reason}, ${lasted}): ${p.message}`,
        hint: `see why it exits: kubectl logs ${p.name} -n ${s.namespace} -c ${p.container} --previous`,
      };
    case 'container-config':
      return {
        message: `${s.component} cannot start: container ${p.container} of ${pod} cannot be created (${p.reason}, ${lasted}): ${p.message}`,
        hint: 'create the Secret or ConfigMap (or key) named above, or fix the reference to it',
      };
    case 'claim-pending':
      return { message: `${s.component} cannot start: volume claim ${s.namespace}/${p.name} stays Pending (${p.reason}, ${lasted}): ${p.message}`, hint: claimHint(p, s) };
  }
}

/** The progress line while a problem lasts (it may still recover). */
export function describeSuspect(p: Problem, s: FailureSubject, graceMs: number): string {
  return `${s.component}: ${p.object}${p.container ? ` (${p.container})` : ''} ${p.reason}: ${p.message.length > 160 ? `${p.message.slice(0, 160)}…` : p.message}; giving up after ${Math.round(graceMs / 1000)}s unless it recovers`;
}
