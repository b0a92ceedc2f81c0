/**
 * The install lock: check-and-claim must be serialised, or two installs that each saw an empty cluster
 * would both pass the conflict matrix. A coordination.k8s.io Lease is the claim: created (or taken over
 * once expired) with optimistic concurrency, renewed while the run lives, deleted when it ends. A crashed
 * run's claim expires after `durationSeconds`; `clearCommand` names the explicit way out.
 *
 * Every install claims the same cluster lock (Lease `dynamoctl-install-lock` in `default`), whatever its
 * scope, because a cluster-wide and a namespace install conflict with each other too. A user who may not
 * write there (a namespace admin) claims the lock in the install namespace instead: that serialises the
 * installs into that namespace, and such a user cannot see other operators anyway.
 *
 * Expiry is judged as client-go's leader election judges it: by time observed here, never by comparing the
 * holder's `renewTime` (another machine's clock) with this machine's. A claim is expired once this run has
 * seen it unchanged (same resourceVersion) for its whole duration. A renewal that fails (the claim was
 * taken or cleared, or the server could not be reached for two thirds of the duration) aborts `signal`,
 * which stops helm, the waits and every request of the run.
 */
import { hostname, userInfo } from 'node:os';
import { ConflictError, ClusterError } from '../errors.ts';
import type { ClusterApi } from '../cluster/client.ts';

export const LOCK_NAME = 'dynamoctl-install-lock';
export const LOCK_NAMESPACE = 'default';

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string };
}

export interface LockOptions {
  /** What the holder is doing, shown to whoever finds the lock taken ("install dynamo-platform in dynamo-system"). */
  purpose: string;
  /** Where the Lease lives (default: `default`). */
  namespace?: string;
  durationSeconds?: number;
  /** How often the claim is renewed (default 2 s). */
  renewEveryMs?: number;
  /** This machine's monotonic clock, in ms (tests move it). */
  clock?: () => number;
  /** Claims seen before, by resourceVersion, with when they were first seen here (acquireLockWaiting keeps it across tries). */
  observed?: Map<string, number>;
}

export interface HeldLock {
  holder: string;
  /** Renews now (also called on a timer). Throws if the lock was lost. */
  renew(): Promise<void>;
  /** Aborted, with the reason, when the claim is lost. */
  signal: AbortSignal;
  release(): Promise<void>;
}

export const clearCommand = (namespace = LOCK_NAMESPACE): string => `kubectl delete lease ${LOCK_NAME} -n ${namespace}`;

export async function acquireLock(kube: ClusterApi, opts: LockOptions): Promise<HeldLock> {
  const namespace = opts.namespace ?? LOCK_NAMESPACE;
  const path = (name = ''): string => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases${name ? `/${name}` : ''}`;
  const clock = opts.clock ?? (() => performance.now());
  const observed = opts.observed ?? new Map<string, number>();
  const duration = opts.durationSeconds ?? 30;
  const holder = `${userInfo().username}@${hostname()} pid ${process.pid}: ${opts.purpose}`;
  // renewTime is informative for people (kubectl get lease); expiry never reads it
  const stamp = (): string => new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  const fresh = (resourceVersion?: string): Lease => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: LOCK_NAME, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: { holderIdentity: holder, leaseDurationSeconds: duration, acquireTime: stamp(), renewTime: stamp() },
  });

  let current: Lease;
  try {
    current = await kube.request<Lease>('POST', path(), { body: fresh() });
  } catch (error) {
    if (!(error instanceof ClusterError) || error.status !== 409) throw error;
    // the holder may release between our POST and this GET: then the lock is free, try again
    const taken = await kube.getOptional<Lease>(path(LOCK_NAME));
    if (!taken) return acquireLock(kube, opts);
    const version = taken.metadata.resourceVersion ?? '';
    const seen = observed.get(version) ?? clock();
    observed.set(version, seen);
    const unchangedFor = (clock() - seen) / 1000;
    if (unchangedFor < (taken.spec.leaseDurationSeconds ?? duration)) {
      throw new ConflictError(`another dynamoctl run holds the install lock: ${taken.spec.holderIdentity ?? 'unknown holder'}`, {
        hint: `wait for it to finish and retry; if that run is gone, the lock lapses by itself, or clear it: ${clearCommand(namespace)}`,
      });
    }
    // expired: take it over, but only if nobody else did in the meantime (resourceVersion precondition)
    try {
      current = await kube.request<Lease>('PUT', path(LOCK_NAME), { body: fresh(taken.metadata.resourceVersion) });
    } catch (takeover) {
      if (takeover instanceof ClusterError && takeover.status === 404) return acquireLock(kube, opts); // released meanwhile
      if (takeover instanceof ClusterError && takeover.status === 409) {
        throw new ConflictError('another dynamoctl run took the expired install lock first', { hint: 'retry when it has finished' });
      }
      throw takeover;
    }
  }

  const aborter = new AbortController();
  let lost: Error | undefined;
  let lastRenewed = clock();
  const lose = (error: Error): Error => {
    lost ??= error;
    if (!aborter.signal.aborted) aborter.abort(lost);
    return lost;
  };
  const renew = async (): Promise<void> => {
    if (lost) throw lost;
    const next: Lease = { ...current, spec: { ...current.spec, renewTime: stamp() } };
    try {
      current = await kube.request<Lease>('PUT', path(LOCK_NAME), { body: next });
      lastRenewed = clock();
    } catch (error) {
      if (error instanceof ClusterError && error.status === 409) {
        // our own renewal may have landed while its answer was lost (a cut connection, retried): still ours?
        const now = await kube.getOptional<Lease>(path(LOCK_NAME)).catch(() => undefined);
        if (now && now.spec.holderIdentity === holder && now.spec.acquireTime === current.spec.acquireTime) {
          current = now;
          lastRenewed = clock();
          return;
        }
      }
      if (error instanceof ClusterError && (error.status === 409 || error.status === 404)) {
        throw lose(new ConflictError('the install lock was taken or cleared by someone else while this run held it; the run was stopped', { hint: 'see what the other run did (dynamoctl status), then run again' }));
      }
      // others judge by their own clocks: past two thirds of the duration without renewal, the claim is as good as gone
      if (clock() - lastRenewed > (duration * 2000) / 3) {
        throw lose(new ConflictError(`the install lock could not be renewed for ${Math.round((clock() - lastRenewed) / 1000)}s (${(error as Error).message}); the run was stopped`, { hint: 'check the connection to the cluster, then run again' }));
      }
      throw error;
    }
  };
  const timer = setInterval(() => void renew().catch(() => {}), opts.renewEveryMs ?? 2000);
  timer.unref();
  return {
    holder,
    renew,
    signal: aborter.signal,
    async release() {
      clearInterval(timer);
      if (lost) return;
      // delete only our own claim
      await kube
        .request('DELETE', path(LOCK_NAME), { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: current.metadata.resourceVersion } } })
        .catch((error: unknown) => {
          if (!(error instanceof ClusterError) || (error.status !== 404 && error.status !== 409)) throw error;
        });
    },
  };
}

/** True when an error means "the lock is held by someone else" (worth waiting for). */
export const isLockHeld = (error: unknown): boolean => error instanceof ConflictError && /holds the install lock|took the expired install lock/.test(error.message);

/**
 * Waits for the lock: concurrent installs take turns instead of failing, each then judged by the conflict
 * matrix against what the previous ones installed. Falls back to the install namespace when the user may
 * not write Leases in `default`.
 */
export async function acquireLockWaiting(
  kube: ClusterApi,
  opts: LockOptions & { fallbackNamespace: string; timeoutMs: number; onWait?: (holder: string) => void },
): Promise<HeldLock & { namespace: string }> {
  const deadline = Date.now() + opts.timeoutMs;
  let namespace = opts.namespace ?? LOCK_NAMESPACE;
  const observed = opts.observed ?? new Map<string, number>();
  for (;;) {
    try {
      return { ...(await acquireLock(kube, { ...opts, namespace, observed })), namespace };
    } catch (error) {
      if (error instanceof ClusterError && error.status === 403 && namespace !== opts.fallbackNamespace) {
        namespace = opts.fallbackNamespace;
        continue;
      }
      if (!isLockHeld(error) || Date.now() > deadline) throw error;
      opts.onWait?.((error as Error).message.replace(/^another dynamoctl run holds the install lock: /, ''));
      await new Promise((r) => setTimeout(r, 500 + Math.floor(Math.random() * 1000)));
    }
  }
}
