/**
 * Watching what a wait waits for: the pods (and the claims of pods that cannot be scheduled) of a helm
 * release or of named Deployments, polled about once a second. Healthy, that is one list of the
 * namespace's pods per second; events, claims and owners are read only for pods that look wrong. A
 * problem that lasts the grace ends the watch with a ClusterError naming it (classify.ts, describe.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterApi } from '../cluster/client.ts';
import { ClusterError } from '../errors.ts';
import { claimProblem, GraceClock, mainProblem, podProblem, type ClaimLike, type EventLike, type PodLike, type Problem } from './classify.ts';
import { describeFailure, describeSuspect, type FailureSubject } from './describe.ts';

export interface FailureScope extends FailureSubject {
  /** A helm release: its pods are those labelled app.kubernetes.io/instance or release=<release>, and those of any workload helm installed under it. */
  release?: string;
  /** Deployments by name (an operator's, or those an operator creates at run time). */
  deployments?: readonly string[];
}

export interface WatchOptions {
  graceMs: number;
  /** Ends the watch (it then resolves). */
  signal: AbortSignal;
  pollMs?: number;
  /** Told when a problem appears or changes, while it may still recover. */
  onSuspect?: (line: string) => void;
}

type Pod = PodLike & { metadata: { labels?: Record<string, string>; ownerReferences?: { kind: string; name: string; controller?: boolean }[] } };

const METADATA = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';
const WORKLOADS: Record<string, string> = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets', Job: 'jobs' };

/** The workload that owns a pod: a ReplicaSet is named <deployment>-<pod-template-hash>. */
function ownerOf(pod: Pod): { kind: string; name: string } | undefined {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
  if (!owner) return undefined;
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) return { kind: 'Deployment', name: owner.name.slice(0, -hash.length - 1) };
  return owner;
}

/** Does the pod belong to the scope? Owner lookups are cached: a workload's helm annotations do not change. */
function membership(kube: ClusterApi, scope: FailureScope): (pod: Pod) => Promise<boolean> {
  const helmOwned = new Map<string, boolean>();
  return async (pod) => {
    const labels = pod.metadata.labels ?? {};
    if (scope.release && (labels['app.kubernetes.io/instance'] === scope.release || labels.release === scope.release)) return true;
    const owner = ownerOf(pod);
    if (!owner) return false;
    if (owner.kind === 'Deployment' && scope.deployments?.includes(owner.name)) return true;
    const resource = WORKLOADS[owner.kind];
    if (!scope.release || !resource) return false;
    const key = `${owner.kind}/${owner.name}`;
    if (!helmOwned.has(key)) {
      const group = owner.kind === 'Job' ? 'batch' : 'apps';
      const meta = await kube.getOptional<{ metadata: { annotations?: Record<string, string> } }>(`/apis/${group}/v1/namespaces/${scope.namespace}/${resource}/${owner.name}`, METADATA);
      if (!meta) return false;
      const a = meta.metadata.annotations ?? {};
      helmOwned.set(key, a['meta.helm.sh/release-name'] === scope.release && a['meta.helm.sh/release-namespace'] === scope.namespace);
    }
    return helmOwned.get(key) === true;
  };
}

const eventsOf = (kube: ClusterApi, namespace: string, uid: string | undefined): Promise<EventLike[]> =>
  uid ? kube.list<EventLike>(`/api/v1/namespaces/${namespace}/events`, { fieldSelector: `involvedObject.uid=${uid}` }) : Promise.resolve([]);

/** One look: the problems of the scope's pods, and of the claims its unschedulable pods wait for. */
async function look(kube: ClusterApi, scope: FailureScope, belongs: (pod: Pod) => Promise<boolean>): Promise<{ problems: Problem[]; pods: Map<string, Pod> }> {
  const all = await kube.list<Pod>(`/api/v1/namespaces/${scope.namespace}/pods`);
  const problems: Problem[] = [];
  const pods = new Map<string, Pod>();
  for (const pod of all) {
    const problem = podProblem(pod);
    if (!problem || !(await belongs(pod))) continue;
    problems.push(problem);
    pods.set(problem.object, pod);
  }
  const claims = new Set(problems.flatMap((p) => (p.kind === 'unschedulable' ? (p.claims ?? []) : [])));
  for (const name of claims) {
    const claim = await kube.getOptional<ClaimLike>(`/api/v1/namespaces/${scope.namespace}/persistentvolumeclaims/${name}`);
    const problem = claim && claim.status?.phase === 'Pending' ? claimProblem(claim, await eventsOf(kube, scope.namespace, claim.metadata.uid)) : undefined;
    if (problem) problems.push(problem);
  }
  return { problems, pods };
}

/** A server restarting answers with errors for a moment: skip that look. */
const transient = (error: unknown): boolean => error instanceof ClusterError && (error.status === undefined || error.status >= 500 || error.status === 429);
const aborted = (signal: AbortSignal): Promise<void> => new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

/**
 * Watches `scope` until `signal` aborts (then resolves) or a problem lasts `graceMs` (then rejects with a
 * ClusterError naming the pod or claim, the reason and the cluster's message, with a hint). Only a verdict
 * rejects: where it cannot look (403, or any other error than a restarting server) it stops watching quietly,
 * and the wait it guards still ends on its own timeout.
 */
export async function watchForFailures(kube: ClusterApi, scope: FailureScope, opts: WatchOptions): Promise<void> {
  const clock = new GraceClock(opts.graceMs);
  const belongs = membership(kube, scope);
  const told = new Map<string, string>();
  while (!opts.signal.aborted) {
    let found: Awaited<ReturnType<typeof look>> | undefined;
    try {
      found = await look(kube, scope, belongs);
    } catch (error) {
      if (!transient(error)) return aborted(opts.signal);
    }
    if (found && !opts.signal.aborted) {
      const now = Date.now();
      const { due, since } = clock.observe(now, found.problems);
      const main = mainProblem(due, found.problems);
      if (main) {
        const pod = found.pods.get(main.object);
        // the pod's events say more than its status for some reasons (an image pull backing off)
        const refined = pod ? (podProblem(pod, await eventsOf(kube, scope.namespace, pod.metadata.uid).catch(() => [])) ?? main) : main;
        const { message, hint } = describeFailure(refined, scope, now - since(main));
        throw new ClusterError(message, { hint });
      }
      // told again when its words change (a pod first waiting for its volume, then short of cpu)
      for (const p of found.problems.filter((x) => told.get(x.object) !== `${x.reason}: ${x.message}`)) {
        opts.onSuspect?.(describeSuspect(p, scope, opts.graceMs));
        told.set(p.object, `${p.reason}: ${p.message}`);
      }
    }
    await sleep(opts.pollMs ?? 1000, undefined, { signal: opts.signal }).catch(() => undefined);
  }
}
