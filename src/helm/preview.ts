/**
 * What `helm upgrade --install` would apply, rendered by helm against the live cluster without changing it:
 * `--dry-run=server` (lookups read the cluster, as a real install does: a chart that reuses a stored key
 * hashes that key) and `--take-ownership` (so the objects of the release being taken over are not refused).
 * Needs helm 3.17+ (take-ownership); older helm: undefined (nothing to compare with).
 */
import type { HelmInstallSpec } from './api.ts';
import { chartLocation } from './chart-source.ts';
import { helmVersion, runHelm, type HelmOptions } from './helm.ts';
import { absolute, hasTakeOwnership, helmFailureReason, upgradeInstallArgs, withValuesFile } from './install.ts';
import { parseInstallManifest } from './release-output.ts';
import { HelmError } from '../errors.ts';

export async function previewInstall(spec: HelmInstallSpec, opts: HelmOptions): Promise<string | undefined> {
  const found = chartLocation(spec.source);
  const version = await helmVersion(opts);
  if (!found || !hasTakeOwnership(version)) return undefined;
  return withValuesFile(spec.values, async (file) => {
    const args = upgradeInstallArgs({ ...spec, takeOwnership: true }, absolute(found), file, version, opts, true);
    const r = await runHelm(args, opts);
    if (r.exitCode !== 0) throw new HelmError(`helm could not preview ${spec.release}: ${helmFailureReason(r.stderr) || `exit code ${r.exitCode}`}`, { argv: args, stderr: r.stderr });
    return parseInstallManifest(r.stdout, args);
  });
}
