/**
 * src/helm/ against the real helm 3 and helm 4 binaries, the run's chart repository, OCI registry and
 * control plane: versions, every way a chart source resolves or fails, and listing a real release.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChartSource } from '../../src/config/values-schema.ts';
import { helmErrorLine, helmVersion, listReleases, resolveChartSource, runHelm, type HelmOptions } from '../../src/helm/helm.ts';
import { cluster, kubectl, uniqueName } from './cluster.ts';

const HELMS = [
  { major: 3, binary: () => cluster().binaries.helm3, version: () => cluster().versions.helm3 },
  { major: 4, binary: () => cluster().binaries.helm4, version: () => cluster().versions.helm4 },
] as const;

const hostPort = (url: string): string => new URL(url.replace(/^oci:/, 'http:')).host;
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe.each(HELMS)('helm $major', ({ major, binary, version }) => {
  const opts = (): HelmOptions => ({ binary: binary(), env: cluster().helmEnv });
  const nats = () => {
    const p = cluster().charts.packages.find((c) => c.name === 'nats');
    if (!p) throw new Error('the nats fixture chart is not published');
    return p;
  };
  const repo = (over: Partial<ChartSource> = {}): ChartSource => ({ name: 'nats', repo: cluster().charts.httpRepo, version: nats().version, path: '', plainHttp: false, ...over });
  const oci = (over: Partial<ChartSource> = {}): ChartSource => repo({ repo: cluster().charts.ociRepo, plainHttp: true, ...over });
  const local = (over: Partial<ChartSource> = {}): ChartSource => repo({ repo: '', path: nats().file, ...over });

  it('reports its version', async () => {
    const v = await helmVersion(opts());
    expect(v.raw).toBe(`v${version()}`);
    expect([v.major, v.minor, v.patch].join('.')).toBe(version());
    expect(v.major).toBe(major);
  });

  describe('resolveChartSource resolves', () => {
    it.each(cluster().charts.packages.map((p) => [p.name, p.version]))('%s %s from the HTTP repository', async (name, v) => {
      expect(await resolveChartSource(repo({ name, version: v }), opts())).toMatchObject({ ok: true, chart: { name, version: v } });
    });

    it('from the OCI registry (plain HTTP)', async () => {
      expect(await resolveChartSource(oci(), opts())).toEqual({ ok: true, chart: { name: 'nats', version: '1.3.2', appVersion: '2.11.1' } });
    });

    it('from a local .tgz and a local chart directory', async () => {
      expect(await resolveChartSource(local(), opts())).toEqual({ ok: true, chart: { name: 'nats', version: '1.3.2', appVersion: '2.11.1' } });
      const dir = new URL('../fixtures/charts/nats', import.meta.url).pathname;
      expect(await resolveChartSource(local({ path: dir }), opts())).toMatchObject({ ok: true, chart: { name: 'nats', version: '1.3.2' } });
    });
  });

  describe('resolveChartSource reports, without throwing', () => {
    it('a version the HTTP repository does not have', async () => {
      const r = await resolveChartSource(repo({ version: '9.9.9' }), opts());
      expect(r).toEqual({ ok: false, problem: 'version-not-found', reason: `version 9.9.9 of chart nats is not in ${cluster().charts.httpRepo} (latest there: 1.3.2)` });
    });

    it('a chart the HTTP repository does not have', async () => {
      const r = await resolveChartSource(repo({ name: 'no-such-chart', version: '1.0.0' }), opts());
      expect(r).toEqual({ ok: false, problem: 'chart-not-found', reason: `chart no-such-chart is not in ${cluster().charts.httpRepo}` });
    });

    it('an OCI tag that does not exist', async () => {
      const r = await resolveChartSource(oci({ version: '9.9.9' }), opts());
      expect(r).toEqual({ ok: false, problem: 'version-not-found', reason: `version 9.9.9 of chart nats is not in ${cluster().charts.ociRepo} (latest there: 1.3.2)` });
    });

    it('an OCI repository that does not exist', async () => {
      const r = await resolveChartSource(oci({ name: 'no-such-chart', version: '1.0.0' }), opts());
      expect(r).toEqual({ ok: false, problem: 'chart-not-found', reason: `chart no-such-chart is not in ${cluster().charts.ociRepo}` });
    });

    it('an unreachable HTTP repository', async () => {
      const r = await resolveChartSource(repo({ repo: 'http://127.0.0.1:1' }), opts());
      expect(r).toEqual({ ok: false, problem: 'unreachable', reason: 'repository http://127.0.0.1:1 is unreachable (connection refused)' });
    });

    it('an unreachable OCI registry', async () => {
      const r = await resolveChartSource(oci({ repo: 'oci://127.0.0.1:1/charts' }), opts());
      expect(r).toEqual({ ok: false, problem: 'unreachable', reason: 'registry 127.0.0.1:1 is unreachable (connection refused)' });
    });

    it('a URL that is not a chart repository', async () => {
      const url = `${cluster().charts.httpRepo}/nowhere`;
      const r = await resolveChartSource(repo({ repo: url }), opts());
      expect(r).toEqual({ ok: false, problem: 'not-a-repository', reason: `${url} is not a chart repository (${url}/index.yaml: 404 Not Found)` });
    });

    it('a local path that does not exist', async () => {
      const r = await resolveChartSource(local({ path: '/nonexistent/nats-1.3.2.tgz' }), opts());
      expect(r).toEqual({ ok: false, problem: 'path-missing', reason: 'local chart /nonexistent/nats-1.3.2.tgz does not exist' });
    });

    it('a local chart that is not the one asked for', async () => {
      const wrongVersion = await resolveChartSource(local({ version: '1.3.3' }), opts());
      expect(wrongVersion).toEqual({ ok: false, problem: 'mismatch', reason: `local chart ${nats().file} is nats 1.3.2, not nats 1.3.3` });
      const wrongName = await resolveChartSource(local({ name: 'etcd', version: '12.0.18' }), opts());
      expect(wrongName).toMatchObject({ ok: false, problem: 'mismatch', reason: expect.stringMatching(/is nats 1\.3\.2, not etcd 12\.0\.18$/) });
    });

    it('a local directory that is not a chart', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'dynamoctl-not-a-chart-'));
      try {
        const r = await resolveChartSource(local({ path: dir }), opts());
        expect(r).toEqual({ ok: false, problem: 'failed', reason: `cannot read local chart ${dir}: Chart.yaml file is missing` });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it(`the OCI registry without plainHttp: ${major === 3 ? 'helm 3 falls back to HTTP on loopback' : 'helm 4 says to set plainHttp'}`, async () => {
    const r = await resolveChartSource(oci({ plainHttp: false }), opts());
    if (major === 3) expect(r).toMatchObject({ ok: true, chart: { name: 'nats', version: '1.3.2' } });
    else {
      const host = hostPort(cluster().charts.ociRepo);
      expect(r).toEqual({ ok: false, problem: 'plain-http-required', reason: `registry ${host} speaks plain HTTP, not HTTPS: set plainHttp: true for chart nats` });
    }
  });

  it('lists a release installed with runHelm, in any namespace, as deployed', async () => {
    const namespace = uniqueName(`helm${major}`);
    const release = `nats-${major}`;
    const kube = { ...opts(), kubeconfig: cluster().kubeconfig };
    const kubeFlag = `--kubeconfig=${cluster().kubeconfig}`;
    try {
      const install = await runHelm(['install', release, nats().file, '--namespace', namespace, '--create-namespace', kubeFlag], kube);
      expect(install.exitCode, install.stderr).toBe(0);

      const releases = await listReleases(kube);
      expect(releases.filter((r) => r.namespace === namespace)).toEqual([
        { name: release, namespace, revision: 1, updated: expect.any(String), status: 'deployed', chart: 'nats-1.3.2', app_version: '2.11.1' },
      ]);

      // and helm's own failure comes back as data, with its one-line reason
      const again = await runHelm(['install', release, nats().file, '--namespace', namespace, kubeFlag], kube);
      expect(again.exitCode).toBe(1);
      expect(helmErrorLine(again.stderr)).toMatch(/^INSTALLATION FAILED: .*cannot re-?use a name that is still in use$/);
    } finally {
      const uninstall = await runHelm(['uninstall', release, '--namespace', namespace, kubeFlag], kube);
      expect(uninstall.exitCode).toBe(0);
      kubectl(['delete', 'namespace', namespace, '--wait=false']);
    }
    expect((await listReleases(kube)).filter((r) => r.namespace === namespace)).toEqual([]);
  });

  it('listReleases throws HelmError with a hint when the cluster cannot be reached', async () => {
    const err = await listReleases({ ...opts(), kubeconfig: '/nonexistent/kubeconfig' }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'HelmError',
      message: expect.stringMatching(new RegExp(`^helm list failed: [Kk]ubernetes cluster unreachable: stat ${esc('/nonexistent/kubeconfig')}: no such file or directory$`)),
      hint: expect.stringContaining('--kubeconfig'),
    });
  });
});
