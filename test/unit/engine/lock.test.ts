/** The install lock over the in-memory cluster: expiry judged by time observed here, loss aborts the run. */
import { describe, expect, it } from 'vitest';
import { acquireLock, acquireLockWaiting, LOCK_NAME } from '../../../src/apply/lock.ts';
import { ConflictError } from '../../../src/errors.ts';
import { FakeCluster } from '../../helpers/fake-cluster.ts';

const LEASE = `/apis/coordination.k8s.io/v1/namespaces/default/leases/${LOCK_NAME}`;
const LONG_AGO = '2020-01-01T00:00:00.000000Z';

function heldElsewhere(): FakeCluster {
  const cluster = new FakeCluster();
  cluster.seed({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: LOCK_NAME, namespace: 'default' }, spec: { holderIdentity: 'ops@ci-7 pid 1: install x in y', leaseDurationSeconds: 30, acquireTime: LONG_AGO, renewTime: LONG_AGO } }, { manager: 'dynamoctl' });
  return cluster;
}
const holder = (cluster: FakeCluster): unknown => (cluster.get(LEASE)?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;

describe('taking over a lease another run holds', () => {
  it('waits until this process has seen it unchanged for its duration, whatever its renewTime says', async () => {
    const cluster = heldElsewhere();
    let now = 1_000;
    const opts = { purpose: 'install test', clock: () => now, observed: new Map<string, number>(), renewEveryMs: 3_600_000 };
    await expect(acquireLock(cluster, opts)).rejects.toThrow('another dynamoctl run holds the install lock: ops@ci-7 pid 1: install x in y');
    now += 29_000;
    await expect(acquireLock(cluster, opts)).rejects.toThrow(ConflictError);
    expect(holder(cluster)).toBe('ops@ci-7 pid 1: install x in y');
    now += 2_000;
    const lock = await acquireLock(cluster, opts);
    expect(holder(cluster)).toBe(lock.holder);
    // taken with the version it observed as the precondition
    const put = cluster.log.find((r) => r.method === 'PUT')!;
    expect(put.body).toMatchObject({ metadata: { resourceVersion: expect.any(String) } });
    await lock.release();
    expect(cluster.get(LEASE)).toBeUndefined();
  });

  it('starts observing again when the holder renews', async () => {
    const cluster = heldElsewhere();
    let now = 0;
    const opts = { purpose: 'install test', clock: () => now, observed: new Map<string, number>(), renewEveryMs: 3_600_000 };
    await expect(acquireLock(cluster, opts)).rejects.toThrow(ConflictError);
    now = 20_000;
    cluster.edit(LEASE, (l) => void ((l.spec as Record<string, unknown>).renewTime = LONG_AGO.replace('2020', '2021')), 'dynamoctl');
    now = 31_000;
    await expect(acquireLock(cluster, opts)).rejects.toThrow(ConflictError);
    now = 50_000;
    await expect(acquireLock(cluster, opts)).rejects.toThrow(ConflictError);
    now = 62_000;
    await expect(acquireLock(cluster, opts)).resolves.toMatchObject({ holder: expect.stringContaining('install test') });
  });

  it('loses the race when another run takes the expired lease first (resourceVersion precondition)', async () => {
    const cluster = heldElsewhere();
    let now = 0;
    let race = false;
    const clock = (): number => {
      if (race) cluster.edit(LEASE, (l) => void ((l.spec as Record<string, unknown>).holderIdentity = 'the faster one'), 'dynamoctl');
      race = false;
      return now;
    };
    const opts = { purpose: 'install test', clock, observed: new Map<string, number>(), renewEveryMs: 3_600_000 };
    await expect(acquireLock(cluster, opts)).rejects.toThrow(ConflictError);
    now = 31_000;
    race = true;
    await expect(acquireLock(cluster, opts)).rejects.toThrow('another dynamoctl run took the expired install lock first');
    expect(holder(cluster)).toBe('the faster one');
    expect(cluster.log.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([409]);
  });

  it('acquireLockWaiting waits for the takeover with the injected clock', async () => {
    const cluster = heldElsewhere();
    const times = [0, 0];
    const waited: string[] = [];
    const lock = await acquireLockWaiting(cluster, { purpose: 'install test', fallbackNamespace: 'dynamo-system', timeoutMs: 10_000, clock: () => times.shift() ?? 31_000, renewEveryMs: 3_600_000, onWait: (h) => waited.push(h) });
    expect(waited).toEqual(['ops@ci-7 pid 1: install x in y']);
    expect(holder(cluster)).toBe(lock.holder);
    await lock.release();
  });
});

describe('renewal', () => {
  it.each([
    ['cleared (kubectl delete lease)', (cluster: FakeCluster) => cluster.remove(LEASE)],
    ['taken by another run', (cluster: FakeCluster) => void cluster.edit(LEASE, (l) => void ((l.spec as Record<string, unknown>).holderIdentity = 'another run'), 'dynamoctl')],
  ])('a lease %s aborts the run\'s signal with a ConflictError', async (_what, lose) => {
    const cluster = new FakeCluster();
    const lock = await acquireLock(cluster, { purpose: 'install test', renewEveryMs: 3_600_000 });
    await lock.renew();
    expect(lock.signal.aborted).toBe(false);
    lose(cluster);
    await expect(lock.renew()).rejects.toThrow(/^the install lock was taken or cleared by someone else while this run held it; the run was stopped$/);
    expect(lock.signal.aborted).toBe(true);
    expect(lock.signal.reason).toBeInstanceOf(ConflictError);
    // the run's requests stop with it
    cluster.signal = lock.signal;
    await expect(cluster.request('GET', '/api/v1/namespaces/default')).rejects.toBe(lock.signal.reason);
    // and what it no longer holds is not deleted
    const writes = cluster.log.length;
    await lock.release();
    expect(cluster.log.length).toBe(writes);
  });
});
