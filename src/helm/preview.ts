/**
 * What `helm upgrade --install` would apply, rendered by helm against the live cluster without changing it:
 * `--dry-run=server` (lookups read the cluster, as a real install does: a chart that reuses a stored key
 * hashes that key) and `--take-ownership` (so the objects of the release being taken over are not refused).
 * Needs helm 3.17+ (take-ownership); older helm: undefined (nothing to compare with).
 */
import type { HelmInstallSpec } from './api.ts';
import { chartLocation } from './chart-source.ts';
import { helmVersion, kubeArgs, runHelm, type HelmOptions } from './helm.ts';
import { absolute, chartArgs, hasTakeOwnership, helmFailureReason, withValuesFile } from './install.ts';
import { HelmError } from '../errors.ts';

export async function previewInstall(spec: HelmInstallSpec, opts: HelmOptions): Promise<string | undefined> {
  const found = chartLocation(spec.source);
  if (!found || !hasTakeOwnership(await helmVersion(opts))) return undefined;
  return withValuesFile(spec.values, async (file) => {
    const args = ['upgrade', '--install', spec.release, ...chartArgs(spec.source, absolute(found)), '--namespace', spec.namespace, '--take-ownership', '--dry-run=server', '-f', file, '--output', 'json', ...kubeArgs(opts)];
    const r = await runHelm(args, opts);
    if (r.exitCode !== 0) throw new HelmError(`helm could not preview ${spec.release}: ${helmFailureReason(r.stderr) || `exit code ${r.exitCode}`}`, { argv: args, stderr: r.stderr });
    const start = /^\{/m.exec(r.stdout)?.index ?? 0;
    try {
      const manifest = (JSON.parse(r.stdout.slice(start)) as { manifest?: unknown }).manifest;
      return typeof manifest === 'string' ? manifest : '';
    } catch {
      throw new HelmError(`unexpected output from helm upgrade --dry-run=server: not JSON (${r.stdout.length} characters)`, { argv: args, stderr: '' });
    }
  });
}
