/**
 * The classifier on statuses and events as the real scheduler, kubelet and PV controller write them (shapes
 * taken from Kubernetes 1.36 and its kubelet's image manager), and the grace clock over time.
 */
import { describe, expect, it } from 'vitest';
import { claimProblem, GraceClock, mainProblem, podProblem, type ClaimLike, type EventLike, type PodLike, type Problem } from '../../../src/failfast/classify.ts';

const IMAGE = 'registry.example.com/does-not-exist:v1';
const PULL_ERROR = `rpc error: code = NotFound desc = failed to pull and unpack image "${IMAGE}": failed to resolve reference "${IMAGE}": ${IMAGE}: not found`;
const INSUFFICIENT = '0/2 nodes are available: 2 Insufficient cpu. no new claims to deallocate, preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.';

const pod = (status: PodLike['status'], extra: Partial<PodLike> = {}): PodLike => ({ metadata: { name: 'sub-etcd-0', namespace: 'ns', uid: 'u1' }, status, ...extra });
const waiting = (name: string, reason: string, message: string, more: object = {}) => ({ name, ready: false, restartCount: 0, state: { waiting: { reason, message } }, ...more });
const event = (reason: string, message: string, at: string, type = 'Warning'): EventLike => ({ type, reason, message, lastTimestamp: at });

describe('podProblem', () => {
  it('an unschedulable pod: the scheduler’s message from the PodScheduled condition', () => {
    const p = podProblem(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: INSUFFICIENT }] }));
    expect(p).toMatchObject({ kind: 'unschedulable', object: 'pod sub-etcd-0', reason: 'FailedScheduling', message: INSUFFICIENT });
  });

  it('a pod held back by a scheduling gate is not a problem (gang schedulers do that on purpose)', () => {
    expect(podProblem(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' }] }))).toBeUndefined();
  });

  it('an unschedulable pod remembers the claims it mounts', () => {
    const p = podProblem(
      pod(
        { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found' }] },
        { spec: { volumes: [{ persistentVolumeClaim: { claimName: 'data-sub-etcd-0' } }, {}] } },
      ),
    );
    expect(p?.claims).toEqual(['data-sub-etcd-0']);
  });

  it('ErrImagePull: the CRI’s error, naming the container', () => {
    const p = podProblem(pod({ phase: 'Pending', containerStatuses: [waiting('manager', 'ErrImagePull', PULL_ERROR), { name: 'kube-rbac-proxy', ready: true, state: { running: {} } }] }));
    expect(p).toMatchObject({ kind: 'image-pull', reason: 'ErrImagePull', container: 'manager', message: PULL_ERROR });
  });

  it('ImagePullBackOff from a kubelet ≥ 1.32 carries the pull error itself', () => {
    const message = `Back-off pulling image "${IMAGE}": ErrImagePull: ${PULL_ERROR}`;
    expect(podProblem(pod({ containerStatuses: [waiting('manager', 'ImagePullBackOff', message)] }), [event('Failed', 'Failed to pull image "x": older', '2026-01-01T00:00:00Z')])?.message).toBe(message);
  });

  it('ImagePullBackOff from an older kubelet: the newest "Failed to pull image" event says why', () => {
    const events = [
      event('Failed', `Failed to pull image "${IMAGE}": first`, '2026-01-01T00:00:01Z'),
      event('Failed', 'Error: ErrImagePull', '2026-01-01T00:00:09Z'),
      event('Failed', `Failed to pull image "${IMAGE}": ${PULL_ERROR}`, '2026-01-01T00:00:05Z'),
      event('BackOff', `Back-off pulling image "${IMAGE}"`, '2026-01-01T00:00:10Z', 'Normal'),
    ];
    const p = podProblem(pod({ containerStatuses: [waiting('manager', 'ImagePullBackOff', `Back-off pulling image "${IMAGE}"`)] }), events);
    expect(p?.message).toBe(`Failed to pull image "${IMAGE}": ${PULL_ERROR}`);
  });

  it('an init container that cannot pull counts too', () => {
    const p = podProblem(pod({ phase: 'Pending', initContainerStatuses: [waiting('volume-permissions', 'ErrImagePull', PULL_ERROR)], containerStatuses: [waiting('etcd', 'PodInitializing', '')] }));
    expect(p).toMatchObject({ kind: 'image-pull', container: 'volume-permissions' });
  });

  it('CrashLoopBackOff: the last exit code and reason, its output, and the restarts', () => {
    const crash = waiting('etcd', 'CrashLoopBackOff', 'back-off 20s restarting failed container=etcd pod=sub-etcd-0_ns(u1)', {
      restartCount: 3,
      lastState: { terminated: { exitCode: 1, reason: 'Error', message: 'etcdmain: listen tcp: address already in use\n' } },
    });
    expect(podProblem(pod({ phase: 'Running', containerStatuses: [crash] }))).toMatchObject({
      kind: 'crash-loop',
      reason: 'CrashLoopBackOff',
      message: 'exited with code 1 (Error): etcdmain: listen tcp: address already in use; restarted 3 times',
    });
  });

  it('CreateContainerConfigError: the kubelet’s message (a missing Secret or key)', () => {
    const p = podProblem(pod({ containerStatuses: [waiting('manager', 'CreateContainerConfigError', 'secret "regcred" not found')] }));
    expect(p).toMatchObject({ kind: 'container-config', message: 'secret "regcred" not found' });
  });

  it('healthy, starting, terminating and finished pods are not problems', () => {
    expect(podProblem(pod({ phase: 'Running', containerStatuses: [{ name: 'etcd', ready: true, state: { running: {} } }] }))).toBeUndefined();
    expect(podProblem(pod({ phase: 'Pending', containerStatuses: [waiting('etcd', 'ContainerCreating', '')] }))).toBeUndefined();
    expect(podProblem(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: INSUFFICIENT }] }, { metadata: { name: 'x', deletionTimestamp: '2026-01-01T00:00:00Z' } }))).toBeUndefined();
    expect(podProblem(pod({ phase: 'Failed', containerStatuses: [waiting('etcd', 'ErrImagePull', PULL_ERROR)] }))).toBeUndefined();
  });
});

describe('claimProblem', () => {
  const claim = (phase: string, storageClassName?: string): ClaimLike => ({ metadata: { name: 'data-sub-etcd-0', uid: 'c1' }, spec: storageClassName === undefined ? {} : { storageClassName }, status: { phase } });

  it('a Pending claim: the PV controller’s newest event (a class that does not exist)', () => {
    const events = [event('ProvisioningFailed', 'storageclass.storage.k8s.io "nope" not found', '2026-01-01T00:00:05Z')];
    expect(claimProblem(claim('Pending', 'nope'), events)).toMatchObject({ kind: 'claim-pending', reason: 'ProvisioningFailed', message: 'storageclass.storage.k8s.io "nope" not found', storageClass: 'nope' });
  });

  it('a Pending claim of a class without a provisioner and without free volumes', () => {
    const events = [event('ProvisioningFailed', 'no volume plugin matched name: kubernetes.io/no-provisioner', '2026-01-01T00:00:05Z')];
    expect(claimProblem(claim('Pending', 'fast-ssd'), events)?.message).toBe('no volume plugin matched name: kubernetes.io/no-provisioner');
  });

  it('a Pending claim without events yet still counts; a bound one or one waiting for its consumer does not', () => {
    expect(claimProblem(claim('Pending'))).toMatchObject({ reason: 'Pending', message: 'no volume is bound to it yet' });
    expect(claimProblem(claim('Bound', 'standard'))).toBeUndefined();
    expect(claimProblem(claim('Pending', 'wffc'), [event('WaitForFirstConsumer', 'waiting for first consumer to be created before binding', '2026-01-01T00:00:01Z', 'Normal')])).toBeUndefined();
  });
});

describe('mainProblem', () => {
  const unbound: Problem = { kind: 'unschedulable', object: 'pod p', name: 'p', reason: 'FailedScheduling', message: '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.', claims: ['data'] };
  const claim: Problem = { kind: 'claim-pending', object: 'claim data', name: 'data', reason: 'ProvisioningFailed', message: 'storageclass.storage.k8s.io "nope" not found' };

  it('a pod waiting for an unbound claim is reported as that claim, whose message says why', () => {
    expect(mainProblem([unbound], [unbound, claim])).toBe(claim);
  });

  it('otherwise the pod itself; container problems before scheduling ones', () => {
    expect(mainProblem([unbound], [unbound])).toBe(unbound);
    const pull: Problem = { kind: 'image-pull', object: 'pod q', name: 'q', reason: 'ErrImagePull', message: 'x' };
    expect(mainProblem([unbound, pull], [unbound, pull])).toBe(pull);
    expect(mainProblem([], [unbound])).toBeUndefined();
  });
});

describe('GraceClock', () => {
  const problem = (object: string, reason = 'ImagePullBackOff'): Problem => ({ kind: 'image-pull', object, name: object, reason, message: '' });
  const p = problem('pod a');

  it('a problem is due once it has lasted the grace, not before', () => {
    const clock = new GraceClock(30_000);
    expect(clock.observe(0, [p]).due).toEqual([]);
    expect(clock.observe(29_000, [p]).due).toEqual([]);
    const { due, since } = clock.observe(30_000, [p]);
    expect(due).toEqual([p]);
    expect(since(p)).toBe(0);
  });

  it('a pod that recovers within the grace is never due, even when the grace has passed', () => {
    const clock = new GraceClock(30_000);
    clock.observe(0, [p]);
    clock.observe(20_000, [p]);
    for (let t = 21_000; t <= 60_000; t += 1000) expect(clock.observe(t, []).due).toEqual([]);
  });

  it('a problem gone for moments (a crash loop between back-offs) keeps its clock; one gone for long starts again', () => {
    const flicker = new GraceClock(30_000);
    const crash = problem('pod a', 'CrashLoopBackOff');
    flicker.observe(0, [crash]);
    flicker.observe(9_000, [crash]);
    flicker.observe(10_000, []);
    flicker.observe(11_000, []);
    expect(flicker.observe(12_000, [crash]).due).toEqual([]);
    expect(flicker.observe(30_000, [crash]).due).toEqual([crash]);

    const recovered = new GraceClock(30_000);
    recovered.observe(0, [p]);
    recovered.observe(5_000, []);
    recovered.observe(16_000, []);
    expect(recovered.observe(31_000, [p]).due).toEqual([]);
    expect(recovered.observe(61_000, [p]).due).toEqual([p]);
  });

  it('problems are counted one by one', () => {
    const clock = new GraceClock(10_000);
    const b = problem('pod b');
    clock.observe(0, [p]);
    expect(clock.observe(5_000, [p, b]).due).toEqual([]);
    expect(clock.observe(10_000, [p, b]).due).toEqual([p]);
  });
});
