/** The install lock against a real API server: exclusive, released, taken over when expired, never twice. */
import { afterEach, describe, expect, it } from 'vitest';
import { Kube } from '../../src/cluster/client.ts';
import { LOCK_NAME, LOCK_NAMESPACE, acquireLock, clearCommand, type HeldLock } from '../../src/apply/lock.ts';
import { ConflictError } from '../../src/errors.ts';
import { cluster, kubectl, kubectlOk, yamlStream } from './cluster.ts';

const kube = (): Kube => Kube.load({ kubeconfig: cluster().kubeconfig, timeoutMs: 10_000 });
const held: HeldLock[] = [];
afterEach(async () => {
  for (const l of held.splice(0)) await l.release();
  kubectl(['delete', 'lease', LOCK_NAME, '-n', LOCK_NAMESPACE, '--ignore-not-found']);
});

describe('the install lock', () => {
  it('is exclusive and names its holder to whoever finds it taken', async () => {
    held.push(await acquireLock(kube(), { purpose: 'install a in ns-a' }));
    const lease = JSON.parse(kubectlOk(['get', 'lease', LOCK_NAME, '-n', LOCK_NAMESPACE, '-o', 'json'])) as { spec: { holderIdentity: string; leaseDurationSeconds: number } };
    expect(lease.spec.holderIdentity).toMatch(/ pid \d+: install a in ns-a$/);
    expect(lease.spec.leaseDurationSeconds).toBe(30);
    const second = acquireLock(kube(), { purpose: 'install b in ns-b' });
    await expect(second).rejects.toBeInstanceOf(ConflictError);
    await expect(second).rejects.toThrow(/another dynamoctl run holds the install lock: .*install a in ns-a/);
    await expect(acquireLock(kube(), { purpose: 'x' })).rejects.toMatchObject({ hint: expect.stringContaining(clearCommand()) });
  });

  it('can be taken again once released', async () => {
    const first = await acquireLock(kube(), { purpose: 'first' });
    await first.release();
    held.push(await acquireLock(kube(), { purpose: 'second' }));
    expect(kubectlOk(['get', 'lease', LOCK_NAME, '-n', LOCK_NAMESPACE, '-o', 'jsonpath={.spec.holderIdentity}'])).toMatch(/: second$/);
  });

  it('is taken over once this run has seen a crashed holder’s claim unchanged for its duration, whatever its renewTime says', async () => {
    // a renewTime far in the past (another machine's clock, or a crash) is not trusted: only time observed here counts
    const stale = new Date(Date.now() - 120_000).toISOString().replace(/Z$/, '000Z'); // MicroTime
    kubectlOk(['create', '-f', '-'], {
      input: yamlStream([{ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: LOCK_NAME, namespace: LOCK_NAMESPACE }, spec: { holderIdentity: 'crashed run', leaseDurationSeconds: 30, acquireTime: stale, renewTime: stale } }]),
    });
    let now = 1_000_000;
    const observed = new Map<string, number>();
    const opts = { purpose: 'after the crash', clock: () => now, observed };
    await expect(acquireLock(kube(), opts)).rejects.toThrow(/holds the install lock: crashed run/);
    now += 29_000;
    await expect(acquireLock(kube(), opts)).rejects.toThrow(/holds the install lock: crashed run/);
    now += 2_000;
    held.push(await acquireLock(kube(), opts));
    expect(kubectlOk(['get', 'lease', LOCK_NAME, '-n', LOCK_NAMESPACE, '-o', 'jsonpath={.spec.holderIdentity}'])).toMatch(/: after the crash$/);
  });

  it('lets exactly one of 8 concurrent claimants win', async () => {
    const attempts = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => acquireLock(kube(), { purpose: `racer ${i}` })));
    const winners = attempts.filter((a): a is PromiseFulfilledResult<HeldLock> => a.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    held.push(winners[0]!.value);
    for (const a of attempts.filter((x) => x.status === 'rejected')) expect((a as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
  });

  it('is taken when its holder lets go between the claimant’s create and read', async () => {
    const first = await acquireLock(kube(), { purpose: 'letting go' });
    const claimant = kube();
    const request = claimant.request.bind(claimant);
    let released = false;
    // the race seen with 8 parallel installs: POST answers 409, then the holder deletes the Lease before the GET
    claimant.request = (async (method: string, path: string, opts?: object) => {
      if (method === 'GET' && !released) {
        released = true;
        await first.release();
      }
      return request(method as never, path, opts as never);
    }) as typeof claimant.request;
    held.push(await acquireLock(claimant, { purpose: 'claimant' }));
    expect(released).toBe(true);
    expect(kubectlOk(['get', 'lease', LOCK_NAME, '-n', LOCK_NAMESPACE, '-o', 'jsonpath={.spec.holderIdentity}'])).toMatch(/: claimant$/);
  });

  it('notices when its claim was cleared by someone else', async () => {
    const lock = await acquireLock(kube(), { purpose: 'cleared under me' });
    kubectlOk(['delete', 'lease', LOCK_NAME, '-n', LOCK_NAMESPACE]);
    expect(lock.signal.aborted).toBe(false);
    await expect(lock.renew()).rejects.toThrow(/taken or cleared by someone else/);
    // the run's one signal: helm, the waits and every request stop with it
    expect(lock.signal.aborted).toBe(true);
    expect((lock.signal.reason as Error).message).toMatch(/taken or cleared by someone else/);
    await lock.release();
  });
});
