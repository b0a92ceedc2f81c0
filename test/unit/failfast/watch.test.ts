/**
 * watchForFailures against a stand-in for the API server (the few reads it makes), the race that cancels the
 * loser, and the words of the errors. Timings are small (grace 300 ms, polls 50 ms) but real.
 */
import { describe, expect, it } from 'vitest';
import type { Kube } from '../../../src/cluster/client.ts';
import { ClusterError } from '../../../src/errors.ts';
import { describeFailure } from '../../../src/failfast/describe.ts';
import { raceWithWatch } from '../../../src/failfast/race.ts';
import { watchForFailures, type FailureScope } from '../../../src/failfast/watch.ts';
import type { Problem } from '../../../src/failfast/classify.ts';

const INSUFFICIENT = '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.';
const unschedulable = (message: string) => ({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] });
const pulling = { phase: 'Pending', containerStatuses: [{ name: 'operator', ready: false, state: { waiting: { reason: 'ErrImagePull', message: 'rpc error: code = NotFound desc = not found' } } }] };

interface Cluster {
  pods: object[];
  /** GET path → object (workloads, claims). */
  objects?: Record<string, object>;
  /** involvedObject.uid → events. */
  events?: Record<string, object[]>;
  /** Errors the pod list throws first, one per look. */
  failures?: ClusterError[];
}

/** The reads watchForFailures makes, answered from `c`; every path asked is recorded. */
function fakeKube(c: Cluster): { kube: Kube; asked: string[] } {
  const asked: string[] = [];
  const kube = {
    list: async (path: string, opts: { fieldSelector?: string } = {}) => {
      asked.push(path);
      if (path.endsWith('/pods')) {
        const failure = c.failures?.shift();
        if (failure) throw failure;
        return c.pods;
      }
      return c.events?.[opts.fieldSelector?.replace('involvedObject.uid=', '') ?? ''] ?? [];
    },
    getOptional: async (path: string) => {
      asked.push(path);
      return c.objects?.[path];
    },
  };
  return { kube: kube as unknown as Kube, asked };
}

const scope: FailureScope = { namespace: 'ns', component: 'etcd', valuesKey: 'etcd', release: 'sub-etcd' };
const watch = (kube: Kube, s: FailureScope, signal: AbortSignal, onSuspect?: (l: string) => void): Promise<void> =>
  watchForFailures(kube, s, { graceMs: 300, pollMs: 50, signal, ...(onSuspect ? { onSuspect } : {}) });

const caught = async (p: Promise<unknown>): Promise<ClusterError> => {
  const e = await p.then(() => undefined, (error: unknown) => error);
  expect(e).toBeInstanceOf(ClusterError);
  return e as ClusterError;
};

describe('watchForFailures', () => {
  it('a pod of the release that cannot be scheduled ends the watch after the grace, naming it, with the hint; told once while it lasts', async () => {
    const { kube } = fakeKube({ pods: [{ metadata: { name: 'sub-etcd-0', uid: 'p1', labels: { 'app.kubernetes.io/instance': 'sub-etcd' } }, status: unschedulable(INSUFFICIENT) }] });
    const told: string[] = [];
    const t0 = Date.now();
    const e = await caught(watch(kube, scope, new AbortController().signal, (l) => told.push(l)));
    expect(told).toHaveLength(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(e.message).toBe(`etcd cannot start: pod ns/sub-etcd-0 cannot be scheduled (FailedScheduling, for 0s): ${INSUFFICIENT}`);
    expect(e.hint).toBe('no node has enough free cpu for it: lower etcd.resources.requests.cpu, or add nodes with free cpu');
    expect(told).toEqual([expect.stringMatching(/^etcd: pod sub-etcd-0 FailedScheduling: 0\/2 nodes are available: 2 Insufficient cpu.*; giving up after 0s unless it recovers$/)]);
  });

  it('told again when the cluster’s words change (waiting for its volume first, then short of cpu)', async () => {
    const pod = { metadata: { name: 'sub-etcd-0', uid: 'p1', labels: { 'app.kubernetes.io/instance': 'sub-etcd' } }, status: unschedulable('0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.') };
    const cluster: Cluster = { pods: [pod] };
    const told: string[] = [];
    const stop = new AbortController();
    const done = watchForFailures(fakeKube(cluster).kube, scope, { graceMs: 10_000, pollMs: 50, signal: stop.signal, onSuspect: (l) => told.push(l) });
    await new Promise((r) => setTimeout(r, 150));
    cluster.pods = [{ ...pod, status: unschedulable(INSUFFICIENT) }];
    await new Promise((r) => setTimeout(r, 150));
    stop.abort();
    await done;
    expect(told.map((l) => /FailedScheduling: (.*?)\./.exec(l)?.[1])).toEqual(['0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims', '0/2 nodes are available: 2 Insufficient cpu']);
  });

  it('pods of a workload helm installed under the release count whatever their labels (Kai, Grove); other pods do not', async () => {
    const hash = { 'pod-template-hash': '7d9f' };
    const owned = { metadata: { annotations: { 'meta.helm.sh/release-name': 'sub-kai-scheduler', 'meta.helm.sh/release-namespace': 'ns' } } };
    const other = { metadata: { annotations: { 'meta.helm.sh/release-name': 'someone-else', 'meta.helm.sh/release-namespace': 'ns' } } };
    const { kube, asked } = fakeKube({
      pods: [
        { metadata: { name: 'web-7d9f-a', uid: 'w', labels: { app: 'web', ...hash }, ownerReferences: [{ kind: 'ReplicaSet', name: 'web-7d9f', controller: true }] }, status: pulling },
        { metadata: { name: 'kai-operator-7d9f-b', uid: 'k', labels: { app: 'kai-operator', ...hash }, ownerReferences: [{ kind: 'ReplicaSet', name: 'kai-operator-7d9f', controller: true }] }, status: pulling },
      ],
      objects: { '/apis/apps/v1/namespaces/ns/deployments/kai-operator': owned, '/apis/apps/v1/namespaces/ns/deployments/web': other },
    });
    const e = await caught(watch(kube, { namespace: 'ns', component: 'Kai scheduler', valuesKey: 'kai-scheduler', release: 'sub-kai-scheduler' }, new AbortController().signal));
    expect(e.message).toMatch(/^Kai scheduler cannot start: pod ns\/kai-operator-7d9f-b cannot pull the image of container operator \(ErrImagePull, for 0s\): rpc error/);
    expect(e.hint).toMatch(/check the image name and tag in the kai-scheduler values, the mirror under --registry, and the pull secrets/);
    // each owner is looked up once, however many looks there were
    expect(asked.filter((p) => p.endsWith('/deployments/kai-operator'))).toHaveLength(1);
  });

  it('Deployments named in the scope: their pods count (an operator, the Deployments an operator creates)', async () => {
    const pod = { metadata: { name: 'cw-dynamo-operator-controller-manager-5c-x', uid: 'o', labels: { 'pod-template-hash': '5c' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'cw-dynamo-operator-controller-manager-5c' }] }, status: pulling };
    const { kube } = fakeKube({ pods: [pod] });
    const e = await caught(watch(kube, { namespace: 'ns', component: 'the operator', valuesKey: 'dynamo-operator', deployments: ['cw-dynamo-operator-controller-manager'] }, new AbortController().signal));
    expect(e.message).toMatch(/^the operator cannot start: pod ns\/cw-dynamo-operator-controller-manager-5c-x cannot pull/);
    expect(e.hint).toMatch(/\(--operator-image, --operator-tag\)/);
  });

  it('a pod waiting for an unbound claim is reported as the claim, with the PV controller’s reason and the storage-class value', async () => {
    const { kube } = fakeKube({
      pods: [{ metadata: { name: 'sub-etcd-0', uid: 'p1', labels: { 'app.kubernetes.io/instance': 'sub-etcd' } }, spec: { volumes: [{ persistentVolumeClaim: { claimName: 'data-sub-etcd-0' } }] }, status: unschedulable('0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found') }],
      objects: { '/api/v1/namespaces/ns/persistentvolumeclaims/data-sub-etcd-0': { metadata: { name: 'data-sub-etcd-0', uid: 'c1' }, spec: { storageClassName: 'nope' }, status: { phase: 'Pending' } } },
      events: { c1: [{ type: 'Warning', reason: 'ProvisioningFailed', message: 'storageclass.storage.k8s.io "nope" not found', lastTimestamp: '2026-01-01T00:00:00Z' }] },
    });
    const e = await caught(watch(kube, scope, new AbortController().signal));
    expect(e.message).toBe('etcd cannot start: volume claim ns/data-sub-etcd-0 stays Pending (ProvisioningFailed, for 0s): storageclass.storage.k8s.io "nope" not found');
    expect(e.hint).toBe('storage class nope gives it no volume: set etcd.persistence.storageClass to a class that provisions volumes (kubectl get storageclass), or create a matching PersistentVolume');
  });

  it('rides out a restarting API server, and ends quietly on abort', async () => {
    const { kube, asked } = fakeKube({ pods: [{ metadata: { name: 'ok', labels: { 'app.kubernetes.io/instance': 'sub-etcd' } }, status: { phase: 'Running' } }], failures: [new ClusterError('unavailable', { status: 503 }), new ClusterError('refused')] });
    const stop = new AbortController();
    const done = watch(kube, scope, stop.signal);
    await new Promise((r) => setTimeout(r, 400));
    stop.abort();
    await expect(done).resolves.toBeUndefined();
    expect(asked.filter((p) => p.endsWith('/pods')).length).toBeGreaterThanOrEqual(4);
  });

  it.each([
    ['pods may not be listed (403)', new ClusterError('forbidden', { status: 403 })],
    ['the server refuses the request otherwise (401)', new ClusterError('unauthorized', { status: 401 })],
  ])('where %s it stops watching and leaves the wait to its own timeout: only a verdict ends it with an error', async (_name, failure) => {
    const { kube, asked } = fakeKube({ pods: [], failures: [failure] });
    const stop = new AbortController();
    const done = watch(kube, scope, stop.signal);
    await new Promise((r) => setTimeout(r, 200));
    expect(asked).toHaveLength(1);
    stop.abort();
    await expect(done).resolves.toBeUndefined();
  });
});

describe('raceWithWatch', () => {
  it('a failing watch aborts the work, waits until it has settled, then throws the watch’s error', async () => {
    let settled = false;
    const failure = new ClusterError('pod x cannot start');
    const work = (signal: AbortSignal): Promise<string> =>
      new Promise((_resolve, reject) => signal.addEventListener('abort', () => setTimeout(() => {
        settled = true;
        reject(new Error('helm was cancelled'));
      }, 50)));
    await expect(raceWithWatch(work, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(settled).toBe(true);
  });

  it('work that finishes first stops the watch: its value, or its own error', async () => {
    let watchStopped = false;
    const watch = (signal: AbortSignal): Promise<void> => new Promise((resolve) => signal.addEventListener('abort', () => ((watchStopped = true), resolve())));
    await expect(raceWithWatch(() => Promise.resolve('deployed'), watch)).resolves.toBe('deployed');
    expect(watchStopped).toBe(true);
    await expect(raceWithWatch(() => Promise.reject(new Error('helm failed')), watch)).rejects.toThrow('helm failed');
  });

  it('a watch that cannot watch (it ends without an error) leaves the work to finish', async () => {
    await expect(raceWithWatch(() => new Promise((r) => setTimeout(() => r('late'), 50)), () => Promise.resolve())).resolves.toBe('late');
  });
});

describe('describeFailure', () => {
  const s = { namespace: 'ns', component: 'etcd', valuesKey: 'etcd' as const };
  const p = (over: Partial<Problem>): Problem => ({ kind: 'unschedulable', object: 'pod p', name: 'p', reason: 'FailedScheduling', message: '', ...over });

  it('hints per scheduler reason', () => {
    expect(describeFailure(p({ message: '0/3 nodes are available: 1 Insufficient memory, 2 Insufficient cpu, 3 Insufficient memory.' }), s, 31_000)).toEqual({
      message: 'etcd cannot start: pod ns/p cannot be scheduled (FailedScheduling, for 31s): 0/3 nodes are available: 1 Insufficient memory, 2 Insufficient cpu, 3 Insufficient memory.',
      hint: 'no node has enough free memory and cpu for it: lower etcd.resources.requests.memory, etcd.resources.requests.cpu, or add nodes with free memory and cpu',
    });
    expect(describeFailure(p({ message: '0/2 nodes are available: 1 Insufficient nvidia.com/gpu. preemption: …' }), { ...s, valuesKey: 'kai-scheduler' }, 0).hint).toBe(
      'no node has enough free nvidia.com/gpu for it: lower the kai-scheduler resource requests, or add nodes with free nvidia.com/gpu',
    );
    expect(describeFailure(p({ message: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector." }), s, 0).hint).toMatch(/^no node matches its node selector or affinity: check those values under etcd/);
    expect(describeFailure(p({ message: '0/2 nodes are available: 2 node(s) had untolerated taint {gpu: true}.' }), s, 0).hint).toMatch(/^the nodes carry taints it does not tolerate: add tolerations under etcd/);
    expect(describeFailure(p({ message: 'something new' }), s, 0).hint).toBe("kubectl describe pod p -n ns shows the scheduler's view");
  });

  it('image pulls refused for credentials point at the pull secrets; crash loops at the previous logs', () => {
    expect(describeFailure(p({ kind: 'image-pull', reason: 'ErrImagePull', container: 'etcd', message: 'failed to authorize: 401 Unauthorized' }), s, 0).hint).toMatch(/^the registry refused to serve the image: check the pull secrets/);
    expect(describeFailure(p({ kind: 'crash-loop', reason: 'CrashLoopBackOff', container: 'etcd', message: 'exited with code 1 (Error); restarted 2 times' }), s, 30_000)).toEqual({
      message: 'etcd cannot start: container etcd of pod ns/p keeps crashing (CrashLoopBackOff, for 30s): exited with code 1 (Error); restarted 2 times',
      hint: 'see why it exits: kubectl logs p -n ns -c etcd --previous',
    });
  });
});
