/**
 * What is wrong with a pod or a PersistentVolumeClaim, from its status and its events, as the kubelet, the
 * scheduler and the PV controller write them; and when a problem has lasted long enough to stop waiting.
 * Pure: no I/O, time passed in, so the rules are unit-tested as they are.
 */

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string };
}

export interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

export interface PodLike {
  metadata: { name: string; namespace?: string; uid?: string; deletionTimestamp?: string };
  spec?: { volumes?: { persistentVolumeClaim?: { claimName: string } }[] };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export interface ClaimLike {
  metadata: { name: string; namespace?: string; uid?: string; deletionTimestamp?: string };
  spec?: { storageClassName?: string | null };
  status?: { phase?: string };
}

export interface EventLike {
  type?: string;
  reason?: string;
  message?: string;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  metadata?: { creationTimestamp?: string };
}

export type ProblemKind = 'unschedulable' | 'image-pull' | 'crash-loop' | 'container-config' | 'claim-pending';

export interface Problem {
  kind: ProblemKind;
  /** What it is about: "pod sub-etcd-0", "claim data-sub-etcd-0". Also the key the grace is counted by. */
  object: string;
  name: string;
  /** The Kubernetes reason: FailedScheduling, ImagePullBackOff, CrashLoopBackOff, ProvisioningFailed… */
  reason: string;
  /** The scheduler's, kubelet's or PV controller's own words. */
  message: string;
  container?: string;
  /** The storage class of a claim. */
  storageClass?: string;
  /** The claims a pod mounts (an unschedulable pod may be waiting for one of them). */
  claims?: string[];
}

const IMAGE_PULL = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const CONTAINER_CONFIG = new Set(['CreateContainerConfigError', 'CreateContainerError']);

const when = (e: EventLike): string => e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '';
/** The newest event with one of these reasons (an object's events come in no particular order). */
function newest(events: readonly EventLike[], test: (e: EventLike) => boolean): EventLike | undefined {
  return events.filter(test).sort((a, b) => when(b).localeCompare(when(a)))[0];
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

function containerProblem(pod: PodLike, c: ContainerStatus, events: readonly EventLike[]): Problem | undefined {
  const waiting = c.state?.waiting;
  const reason = waiting?.reason ?? '';
  const base = { object: `pod ${pod.metadata.name}`, name: pod.metadata.name, reason, container: c.name };
  if (IMAGE_PULL.has(reason)) {
    // kubelets before 1.32 say only `Back-off pulling image "x"` while backing off: the pull error is in the event
    const said = waiting?.message ?? '';
    const pulled = newest(events, (e) => e.reason === 'Failed' && (e.message ?? '').startsWith('Failed to pull image'));
    const message = said.includes('": ') || !pulled ? said : (pulled.message ?? said);
    return { ...base, kind: 'image-pull', message: oneLine(message || reason) };
  }
  if (CONTAINER_CONFIG.has(reason)) return { ...base, kind: 'container-config', message: oneLine(waiting?.message ?? reason) };
  if (reason === 'CrashLoopBackOff') {
    const last = c.lastState?.terminated;
    const exit = last ? `exited with code ${last.exitCode ?? '?'}${last.reason ? ` (${last.reason})` : ''}` : 'keeps exiting';
    const output = last?.message ? `: ${oneLine(last.message)}` : '';
    return { ...base, kind: 'crash-loop', message: `${exit}${output}; restarted ${c.restartCount ?? 0} times` };
  }
  return undefined;
}

/** The pod's problem, if any: not schedulable, or a container that cannot be pulled, configured or kept running. */
export function podProblem(pod: PodLike, events: readonly EventLike[] = []): Problem | undefined {
  const status = pod.status ?? {};
  if (pod.metadata.deletionTimestamp || status.phase === 'Succeeded' || status.phase === 'Failed') return undefined;
  const claims = (pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : []));
  const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled');
  // SchedulingGated is deliberate (gang schedulers hold pods back): only the scheduler's refusal counts
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    const said = scheduled.message ?? newest(events, (e) => e.reason === 'FailedScheduling')?.message ?? 'no node fits the pod';
    return { kind: 'unschedulable', object: `pod ${pod.metadata.name}`, name: pod.metadata.name, reason: 'FailedScheduling', message: oneLine(said), claims };
  }
  for (const c of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]) {
    const problem = containerProblem(pod, c, events);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * A claim still Pending: the PV controller's newest word on it (ProvisioningFailed, ExternalProvisioning,
 * FailedBinding…). A claim waiting for its first consumer is not a problem of its own: its pod says why.
 */
export function claimProblem(claim: ClaimLike, events: readonly EventLike[] = []): Problem | undefined {
  if (claim.metadata.deletionTimestamp || claim.status?.phase !== 'Pending') return undefined;
  const latest = newest(events, () => true);
  if (latest?.reason === 'WaitForFirstConsumer') return undefined;
  const storageClass = claim.spec?.storageClassName ?? undefined;
  return {
    kind: 'claim-pending',
    object: `claim ${claim.metadata.name}`,
    name: claim.metadata.name,
    reason: latest?.reason ?? 'Pending',
    message: oneLine(latest?.message ?? 'no volume is bound to it yet'),
    ...(storageClass !== undefined ? { storageClass } : {}),
  };
}

/**
 * The problem to report among those due: a pod that cannot be scheduled because its claim is unbound is
 * reported as that claim (the PV controller says why), when the claim is a problem too.
 */
export function mainProblem(due: readonly Problem[], current: readonly Problem[]): Problem | undefined {
  const first = due.find((p) => p.kind !== 'unschedulable') ?? due[0];
  if (first?.kind !== 'unschedulable' || !/unbound|persistent ?volume/i.test(first.message)) return first;
  return current.find((p) => p.kind === 'claim-pending' && first.claims?.includes(p.name)) ?? first;
}

/**
 * A crash-looping container runs for moments between back-offs, an image pull flips between ErrImagePull and
 * ImagePullBackOff: a problem gone for less than this is the same problem continuing, not a recovery.
 */
export const RECOVERED_AFTER_MS = 10_000;

/** Counts how long each problem has lasted; one that lasts the grace is due. A problem that goes away is forgotten. */
export class GraceClock {
  private readonly seen = new Map<string, { first: number; last: number }>();
  readonly graceMs: number;
  private readonly recoveredAfterMs: number;

  constructor(graceMs: number, recoveredAfterMs = Math.min(RECOVERED_AFTER_MS, graceMs)) {
    this.graceMs = graceMs;
    this.recoveredAfterMs = recoveredAfterMs;
  }

  /** Records one look at `now`; returns the problems present now that were first seen at least the grace ago. */
  observe(now: number, problems: readonly Problem[]): { due: Problem[]; since: (p: Problem) => number } {
    for (const [key, t] of this.seen) if (now - t.last >= this.recoveredAfterMs && !problems.some((p) => p.object === key)) this.seen.delete(key);
    for (const p of problems) {
      const t = this.seen.get(p.object);
      this.seen.set(p.object, { first: t?.first ?? now, last: now });
    }
    const since = (p: Problem): number => this.seen.get(p.object)?.first ?? now;
    return { due: problems.filter((p) => now - since(p) >= this.graceMs), since };
  }
}
