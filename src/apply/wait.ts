/**
 * Waiting until what was applied works: CRDs Established, Deployments and StatefulSets rolled out. Polls
 * (robust across API server restarts, where a watch would need re-establishing) and reports each change
 * of state as an event, so the UI can show a live line per component. On timeout the error says why:
 * the conditions and the pods that are not ready, with their reasons.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterApi } from '../cluster/client.ts';
import { ClusterError } from '../errors.ts';

export interface WaitTarget {
  kind: 'Deployment' | 'StatefulSet' | 'CustomResourceDefinition';
  name: string;
  namespace?: string;
}

export interface WaitEvent {
  target: WaitTarget;
  ready: boolean;
  /** Current state in words: "1/1 replicas available", "Established". */
  message: string;
}

interface Workload {
  metadata: { generation?: number };
  spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    readyReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

const describeTarget = (t: WaitTarget): string => `${t.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name}`;

const PATHS: Record<WaitTarget['kind'], (t: WaitTarget) => string> = {
  Deployment: (t) => `/apis/apps/v1/namespaces/${t.namespace}/deployments/${t.name}`,
  StatefulSet: (t) => `/apis/apps/v1/namespaces/${t.namespace}/statefulsets/${t.name}`,
  CustomResourceDefinition: (t) => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${t.name}`,
};

/** One look at a target: ready or not, and the state in words. */
export async function inspect(kube: ClusterApi, target: WaitTarget): Promise<{ ready: boolean; message: string; object?: Workload }> {
  const object = await kube.getOptional<Workload>(PATHS[target.kind](target));
  if (!object) return { ready: false, message: 'not found yet' };
  const conditions = object.status?.conditions ?? [];
  if (target.kind === 'CustomResourceDefinition') {
    const established = conditions.some((c) => c.type === 'Established' && c.status === 'True');
    return { ready: established, message: established ? 'Established' : 'not Established yet', object };
  }
  const want = object.spec?.replicas ?? 1;
  const s = object.status ?? {};
  const observed = (s.observedGeneration ?? 0) >= (object.metadata.generation ?? 0);
  const ready = target.kind === 'Deployment' ? s.availableReplicas ?? 0 : s.readyReplicas ?? 0;
  const updated = s.updatedReplicas ?? 0;
  const done = observed && ready >= want && updated >= want && (s.replicas ?? 0) <= want;
  return { ready: done, message: `${ready}/${want} replicas ${target.kind === 'Deployment' ? 'available' : 'ready'}${updated < want ? `, ${updated} updated` : ''}`, object };
}

/** Why a workload is not ready: its failing conditions and each unready pod with its reason. */
async function diagnose(kube: ClusterApi, target: WaitTarget, object: Workload | undefined): Promise<string[]> {
  if (!object || target.kind === 'CustomResourceDefinition') return [];
  const lines = (object.status?.conditions ?? []).filter((c) => c.status !== 'True').map((c) => `${c.type}: ${c.reason ?? ''} ${c.message ?? ''}`.trim());
  const selector = Object.entries(object.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  if (!selector) return lines;
  type Pod = { metadata: { name: string }; status?: { phase?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { name: string; ready: boolean; state?: Record<string, { reason?: string; message?: string }> }[] } };
  const pods = await kube.list<Pod>(`/api/v1/namespaces/${target.namespace}/pods`, { labelSelector: selector }).catch(() => [] as Pod[]);
  for (const pod of pods) {
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (ready) continue;
    const reasons = (pod.status?.containerStatuses ?? [])
      .filter((c) => !c.ready)
      .map((c) => {
        const [state, detail] = Object.entries(c.state ?? {})[0] ?? ['unknown', {}];
        return `${c.name} ${detail.reason ?? state}${detail.message ? `: ${detail.message}` : ''}`;
      });
    lines.push(`pod ${pod.metadata.name} (${pod.status?.phase ?? 'Pending'}) not ready${reasons.length ? `: ${reasons.join('; ')}` : ''}`);
  }
  if (!pods.length) lines.push('no pods were created');
  return lines;
}

export async function waitForReady(kube: ClusterApi, targets: readonly WaitTarget[], opts: { timeoutMs: number; pollMs?: number; onEvent?: (e: WaitEvent) => void; signal?: AbortSignal }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const last = new Map<WaitTarget, string>();
  let pending = [...targets];
  for (;;) {
    opts.signal?.throwIfAborted();
    const states = await Promise.all(
      pending.map(async (target) => {
        // an API server restarting answers with errors for a moment: keep waiting within the deadline
        const state = await inspect(kube, target).catch((error: unknown) => {
          if (error instanceof ClusterError && (error.status === undefined || error.status >= 500)) return { ready: false, message: `API server unavailable (${error.message})` };
          throw error;
        });
        if (last.get(target) !== state.message) opts.onEvent?.({ target, ready: state.ready, message: state.message });
        last.set(target, state.message);
        return { target, ...state };
      }),
    );
    pending = states.filter((s) => !s.ready).map((s) => s.target);
    if (!pending.length) return;
    if (Date.now() > deadline) {
      const why: string[] = [];
      for (const s of states.filter((x) => !x.ready)) why.push(`${describeTarget(s.target)}: ${s.message}`, ...(await diagnose(kube, s.target, 'object' in s ? s.object : undefined)).map((l) => `  ${l}`));
      throw new ClusterError(`timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${pending.map(describeTarget).join(', ')}:\n${why.join('\n')}`, {
        hint: 'fix what is named above (image names, pull secrets, node capacity), or raise the timeout',
      });
    }
    await sleep(opts.pollMs ?? 500, undefined, opts.signal ? { signal: opts.signal } : {});
  }
}
