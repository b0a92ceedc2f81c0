/**
 * An in-memory HelmApi for the engine's unit tests: releases with status, revision, chart and version;
 * installs that take a configurable time and stop promptly when their AbortSignal fires (as helm does when
 * execa kills it), or fail on demand; a log of every call.
 */
import type { HelmApi, HelmInstallSpec } from '../../src/helm/api.ts';
import type { ReleaseContents } from '../../src/helm/release-contents.ts';
import type { ReleaseState } from '../../src/helm/install.ts';
import { HelmError } from '../../src/errors.ts';

export interface HelmCall {
  op: 'status' | 'recover' | 'upgradeInstall' | 'uninstall' | 'contents';
  release: string;
  namespace: string;
  spec?: HelmInstallSpec;
  /** upgradeInstall/uninstall: how it ended. */
  outcome?: 'done' | 'failed' | 'cancelled';
  /** The signal's reason, when cancelled. */
  reason?: unknown;
  startedAt: number;
  endedAt?: number;
}

export interface FakeHelmOptions {
  /** How long an install of a release takes, in ms (default 0). */
  durationMs?: Record<string, number>;
  /** Releases whose install fails (after their duration) with this message. */
  failures?: Record<string, string>;
  /** Runs after a successful install (e.g. the CRDs a chart creates). */
  onInstall?: (spec: HelmInstallSpec) => void;
}

const key = (release: string, namespace: string): string => `${namespace}/${release}`;

export class FakeHelm implements HelmApi {
  readonly releases = new Map<string, ReleaseState>();
  /** What `contents` answers, by namespace/release (a release another helm client installed). */
  readonly stored = new Map<string, ReleaseContents>();
  readonly calls: HelmCall[] = [];
  readonly opts: FakeHelmOptions;

  constructor(opts: FakeHelmOptions = {}) {
    this.opts = opts;
  }

  /** A release as another helm client left it. */
  set(release: string, namespace: string, state: Partial<ReleaseState> = {}): void {
    this.releases.set(key(release, namespace), { status: 'deployed', revision: 1, chart: release, version: '1.0.0', ...this.releases.get(key(release, namespace)), ...state });
  }

  get(release: string, namespace: string): ReleaseState | undefined {
    return this.releases.get(key(release, namespace));
  }

  /** The upgradeInstall calls, in the order they started. */
  installs(): HelmCall[] {
    return this.calls.filter((c) => c.op === 'upgradeInstall');
  }

  async status(release: string, namespace: string): Promise<ReleaseState | undefined> {
    this.calls.push({ op: 'status', release, namespace, startedAt: performance.now() });
    const state = this.releases.get(key(release, namespace));
    return state && { ...state };
  }

  async recover(release: string, namespace: string): Promise<string | undefined> {
    this.calls.push({ op: 'recover', release, namespace, startedAt: performance.now() });
    const state = this.releases.get(key(release, namespace));
    if (!state?.status.startsWith('pending-')) return undefined;
    this.releases.set(key(release, namespace), { ...state, status: 'failed' });
    return `release ${release} was left ${state.status}; marked failed`;
  }

  async upgradeInstall(spec: HelmInstallSpec, signal?: AbortSignal): Promise<void> {
    const call: HelmCall = { op: 'upgradeInstall', release: spec.release, namespace: spec.namespace, spec: structuredClone(spec), startedAt: performance.now() };
    this.calls.push(call);
    try {
      await sleep(this.opts.durationMs?.[spec.release] ?? 0, signal);
    } catch (error) {
      Object.assign(call, { outcome: 'cancelled', reason: error, endedAt: performance.now() });
      throw error;
    }
    call.endedAt = performance.now();
    const failure = this.opts.failures?.[spec.release];
    if (failure !== undefined) {
      call.outcome = 'failed';
      const argv = ['upgrade', '--install', spec.release, spec.source.name, '-n', spec.namespace];
      throw new HelmError(`helm upgrade --install ${spec.release} failed: ${failure}`, { argv, stderr: `Error: ${failure}` });
    }
    call.outcome = 'done';
    const before = this.releases.get(key(spec.release, spec.namespace));
    this.releases.set(key(spec.release, spec.namespace), { status: 'deployed', revision: (before?.revision ?? 0) + 1, chart: spec.source.name, version: spec.source.version });
    this.opts.onInstall?.(spec);
  }

  async contents(release: string, namespace: string): Promise<ReleaseContents> {
    this.calls.push({ op: 'contents', release, namespace, startedAt: performance.now() });
    const found = this.stored.get(key(release, namespace));
    if (!found) throw new HelmError(`helm could not read the values of release ${release} in namespace ${namespace}: release: not found`, { argv: ['get', 'values'], stderr: 'Error: release: not found' });
    return structuredClone(found);
  }

  /** What `preview` answers, by namespace/release (undefined: a helm that cannot preview). */
  readonly previews = new Map<string, string>();

  async preview(spec: HelmInstallSpec): Promise<string | undefined> {
    return this.previews.get(key(spec.release, spec.namespace));
  }

  async uninstall(release: string, namespace: string, _timeoutSeconds: number, signal?: AbortSignal): Promise<boolean> {
    const call: HelmCall = { op: 'uninstall', release, namespace, startedAt: performance.now() };
    this.calls.push(call);
    signal?.throwIfAborted();
    call.outcome = 'done';
    call.endedAt = performance.now();
    return this.releases.delete(key(release, namespace));
  }
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it is aborted. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
