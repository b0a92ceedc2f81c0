/**
 * What the engine needs of helm, as one small interface: the real one runs the helm binary (install.ts),
 * the engine's unit tests pass an in-memory one. Every call takes the run's AbortSignal: a lost install
 * lock or a failed sibling stops helm and waits for the child to exit.
 */
import type { ChartSource } from '../config/values-schema.ts';
import type { HelmOptions } from './helm.ts';
import { previewInstall } from './preview.ts';
import { releaseContents, type ReleaseContents } from './release-contents.ts';
import { recoverPendingRelease, releaseStatus, uninstallRelease, upgradeInstall, type ReleaseState } from './install.ts';

export interface HelmInstallSpec {
  release: string;
  namespace: string;
  source: ChartSource;
  values: Record<string, unknown>;
  timeoutSeconds: number;
  takeOwnership: boolean;
}

export interface HelmApi {
  status(release: string, namespace: string): Promise<ReleaseState | undefined>;
  /** Undoes what an interrupted run left pending; says what it did. */
  recover(release: string, namespace: string, timeoutSeconds: number, signal?: AbortSignal): Promise<string | undefined>;
  upgradeInstall(spec: HelmInstallSpec, signal?: AbortSignal): Promise<void>;
  /** false: there was no such release. */
  uninstall(release: string, namespace: string, timeoutSeconds: number, signal?: AbortSignal): Promise<boolean>;
  /** The user's values, manifest and hooks of a release (adopt). */
  contents(release: string, namespace: string): Promise<ReleaseContents>;
  /** The manifest an install would apply, rendered against the live cluster (undefined: this helm cannot say). */
  preview(spec: HelmInstallSpec): Promise<string | undefined>;
}

export function helmApi(opts: HelmOptions): HelmApi {
  const withSignal = (signal?: AbortSignal): HelmOptions => (signal ? { ...opts, signal } : opts);
  return {
    status: (release, namespace) => releaseStatus(release, namespace, opts),
    recover: (release, namespace, timeoutSeconds, signal) => recoverPendingRelease(release, namespace, timeoutSeconds, withSignal(signal)),
    upgradeInstall: async (spec, signal) => void (await upgradeInstall(spec, withSignal(signal))),
    uninstall: (release, namespace, timeoutSeconds, signal) => uninstallRelease(release, namespace, timeoutSeconds, withSignal(signal)),
    contents: (release, namespace) => releaseContents(release, namespace, opts),
    preview: (spec) => previewInstall(spec, opts),
  };
}
