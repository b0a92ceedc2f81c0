/**
 * Fail-fast waits: a wait (helm --wait, a rollout wait) raced against a watch of what it waits for. The
 * first to finish wins and the other is aborted and awaited, so a cancelled helm has exited (and cleaned
 * up) before the error is shown. Call sites wrap their wait in one `failFast(…)` line.
 */
import type { ClusterApi } from '../cluster/client.ts';
import { parseDuration } from '../config/duration.ts';
import type { Values } from '../config/values-schema.ts';
import { watchForFailures, type FailureScope } from './watch.ts';

export type { FailureScope } from './watch.ts';

/** How long a pod or claim may look broken before the wait stops, unless dynamoctl.timeouts.failFast says otherwise. */
export const DEFAULT_FAIL_FAST_GRACE_MS = 20_000;

/** dynamoctl.timeouts.failFast (--fail-fast-grace), in ms. */
export const failFastGraceMs = (values: Values): number => parseDuration(values.dynamoctl.timeouts.failFast) ?? DEFAULT_FAIL_FAST_GRACE_MS;

/**
 * Runs `work` and `watch` together, each with its own AbortSignal. `work` settling first aborts the watch;
 * `watch` failing first aborts `work`, waits for it to settle, and throws the watch's error. A watch that ends
 * without an error (it cannot watch) leaves `work` to finish alone.
 */
export async function raceWithWatch<T>(work: (signal: AbortSignal) => Promise<T>, watch: (signal: AbortSignal) => Promise<void>): Promise<T> {
  const stopWork = new AbortController();
  const stopWatch = new AbortController();
  const job = work(stopWork.signal);
  const watching = watch(stopWatch.signal);
  const first = await Promise.race([
    job.then(
      (value) => ({ from: 'work' as const, ok: true as const, value }),
      (error: unknown) => ({ from: 'work' as const, ok: false as const, error }),
    ),
    watching.then(
      () => new Promise<never>(() => {}),
      (error: unknown) => ({ from: 'watch' as const, error }),
    ),
  ]);
  if (first.from === 'watch') {
    stopWork.abort(first.error);
    await job.catch(() => undefined);
    throw first.error;
  }
  stopWatch.abort();
  await watching.catch(() => undefined);
  if (first.ok) return first.value;
  throw first.error;
}

/** `work` (given an AbortSignal to pass to helm or waitForReady) while watching `scope` for pods and claims that cannot start. */
export function failFast<T>(kube: ClusterApi, scope: FailureScope, opts: { graceMs: number; update?: (line: string) => void }, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return raceWithWatch(work, (signal) => watchForFailures(kube, scope, { graceMs: opts.graceMs, signal, ...(opts.update ? { onSuspect: opts.update } : {}) }));
}
