/**
 * `dynamoctl bundle` as a user runs it (the built CLI, the real helm 3) against the run's loopback chart
 * repository and OCI registry; then the bundle is used with no repository configured at all, as on the far
 * side of an air gap.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { COMPONENTS, SUBCHART_KEYS } from '../../src/components/table.ts';
import { subchartValues } from '../../src/components/values.ts';
import { CHART_KEYS, parseBundleManifest, valuesWithBundle, type BundleManifest } from '../../src/config/bundle.ts';
import { resolveValues } from '../../src/config/resolve.ts';
import { resolveChartSource } from '../../src/helm/helm.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { imageFields } from '../helpers/fixtures.ts';
import { defaults } from '../helpers/render.ts';
import { cluster } from './cluster.ts';

const work = mkdtempSync(join(tmpdir(), 'dynamoctl-bundle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** dynamoctl.charts: Grove and Kai from the OCI registry (as they are published), the rest over HTTP; default pins. */
let sources: Record<string, unknown>;
let valuesFile = '';
beforeAll(() => {
  const { httpRepo, ociRepo } = cluster().charts;
  sources = {
    'dynamo-crds': { repo: httpRepo },
    nats: { repo: httpRepo },
    etcd: { repo: httpRepo },
    grove: { repo: ociRepo, plainHttp: true },
    'kai-scheduler': { repo: ociRepo, plainHttp: true },
  };
  valuesFile = join(work, 'charts.yaml');
  writeFileSync(valuesFile, stringify({ dynamoctl: { charts: sources } }));
});

const bundle = (dir: string, args: string[] = []): CliResult =>
  runCli(['bundle', dir, '-f', valuesFile, '--helm-binary', cluster().binaries.helm3, ...args], { env: cluster().helmEnv });

/** helm's config, cache and data in fresh empty folders: no repositories, no cached index, no registry logins. */
function emptyHelmEnv(): Record<string, string> {
  const home = mkdtempSync(join(work, 'empty-helm-'));
  const env = { HELM_CONFIG_HOME: join(home, 'config'), HELM_CACHE_HOME: join(home, 'cache'), HELM_DATA_HOME: join(home, 'data') };
  for (const d of Object.values(env)) mkdirSync(d);
  return env;
}

const EXPECTED_CHARTS = {
  'dynamo-crds': { name: 'dynamo-crds', version: '0.8.1', file: 'charts/dynamo-crds-0.8.1.tgz' },
  nats: { name: 'nats', version: '1.3.2', file: 'charts/nats-1.3.2.tgz' },
  etcd: { name: 'etcd', version: '12.0.18', file: 'charts/etcd-12.0.18.tgz' },
  // as released: the chart's version keeps its v
  grove: { name: 'grove-charts', version: 'v0.1.0-alpha.3', file: 'charts/grove-charts-v0.1.0-alpha.3.tgz' },
  'kai-scheduler': { name: 'kai-scheduler', version: 'v0.9.4', file: 'charts/kai-scheduler-v0.9.4.tgz' },
};

/**
 * What the bundle must list: the operator's three images, and every image the pulled subcharts render with
 * the install's values (hooks included; found here by a walk of every `image` field), plus the images their
 * operators start at run time (components table).
 */
function expectedImages(dir: string, manifest: BundleManifest): string[] {
  const values = resolveValues({ defaults, files: [], sets: [] });
  const found = new Set(['nvcr.io/nvidia/ai-dynamo/kubernetes-operator:0.8.1', 'registry.k8s.io/kubebuilder/kube-rbac-proxy:v0.15.0', 'python:3.12-slim']);
  for (const key of SUBCHART_KEYS) {
    const chartValues = subchartValues(values, key);
    const file = join(work, `${key}-values.json`);
    writeFileSync(file, JSON.stringify(chartValues), { mode: 0o600 });
    const r = spawnSync(cluster().binaries.helm3, ['template', `dynamo-platform-${key}`, join(dir, manifest.charts[key].file), '-n', 'dynamo-system', '-f', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    for (const image of imageFields(r.stdout)) found.add(image);
    for (const image of COMPONENTS[key].runtimeImages(manifest.charts[key].version, chartValues)) found.add(image);
  }
  return [...found].sort();
}

describe('dynamoctl bundle', () => {
  it('pulls every chart, writes bundle.json and images.txt, and the bundle works with no repository configured', async () => {
    const dir = join(work, 'first');
    const r = bundle(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${dir}\n`);
    expect(r.stderr).toMatch(/^bundle: 5 charts and \d+ images \(listed in images\.txt\) in /m);

    expect(readdirSync(dir).sort()).toEqual(['bundle.json', 'charts', 'images.txt']);
    expect(readdirSync(join(dir, 'charts')).sort()).toEqual(Object.values(EXPECTED_CHARTS).map((c) => c.file.slice('charts/'.length)).sort());
    const manifest = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as BundleManifest;
    expect(manifest).toEqual({
      apiVersion: 'dynamoctl.nvidia.com/v1',
      kind: 'Bundle',
      platformVersion: '0.8.1',
      charts: EXPECTED_CHARTS,
      images: expect.arrayContaining(['nvcr.io/nvidia/ai-dynamo/kubernetes-operator:0.8.1', 'nats:2.10.21-alpine', 'ghcr.io/nvidia/grove/grove-operator:v0.1.0-alpha.3']),
    });
    expect(Object.keys(manifest.charts)).toEqual([...CHART_KEYS]);
    expect(manifest.images).toEqual(expectedImages(dir, manifest));

    const images = readFileSync(join(dir, 'images.txt'), 'utf8').split('\n');
    expect(images[0]).toMatch(/^# /);
    expect(images).toContain('nvcr.io/nvidia/ai-dynamo/kubernetes-operator:0.8.1');
    expect(images.filter((l) => l !== '' && !l.startsWith('#'))).toEqual(manifest.images);

    // offline: the real helm reads every packaged chart with an empty helm home
    const offline = emptyHelmEnv();
    for (const [key, chart] of Object.entries(manifest.charts)) {
      const show = spawnSync(cluster().binaries.helm3, ['show', 'chart', join(dir, chart.file)], { encoding: 'utf8', env: { ...process.env, ...offline } });
      expect(show.status, `${key}: ${show.stderr}`).toBe(0);
      expect(parse(show.stdout)).toMatchObject({ name: chart.name, version: chart.version });
    }

    // and the values an install would use with this bundle resolve, chart by chart, to these files
    const values = valuesWithBundle(resolveValues({ defaults, files: [], sets: [] }), parseBundleManifest(manifest, 'bundle.json'), dir);
    for (const key of CHART_KEYS) {
      expect(values.dynamoctl.charts[key].path).toBe(join(dir, EXPECTED_CHARTS[key].file));
      const check = await resolveChartSource(values.dynamoctl.charts[key], { binary: cluster().binaries.helm4, env: offline });
      expect(check, key).toMatchObject({ ok: true, chart: { name: EXPECTED_CHARTS[key].name, version: EXPECTED_CHARTS[key].version } });
    }
  });

  it('-o json prints bundle.json; a non-empty directory is refused unless --force', () => {
    const dir = join(work, 'json');
    const r = bundle(dir, ['-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(dir, 'bundle.json'), 'utf8'));
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'Bundle', charts: EXPECTED_CHARTS });

    const again = bundle(dir);
    expect(again.code).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain(`Error: ${dir} is not empty`);
    expect(again.stderr).toContain('--force');

    writeFileSync(join(dir, 'notes.txt'), 'mine');
    writeFileSync(join(dir, 'charts', 'nats-1.0.0.tgz'), 'not ours: bundle.json does not list it');
    const forced = bundle(dir, ['--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['bundle.json', 'charts', 'images.txt', 'notes.txt']);
    expect(readdirSync(join(dir, 'charts'))).toHaveLength(6);
  });

  it('exits 4 naming the chart, version and source when a pinned version is not in the repository, and leaves no bundle', () => {
    const file = join(work, 'missing.yaml');
    writeFileSync(file, stringify({ dynamoctl: { charts: { ...sources, nats: { repo: cluster().charts.httpRepo, version: '9.9.9' } } } }));
    const dir = join(work, 'missing');
    const r = bundle(dir, ['-f', file]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stdout).toBe('');
    const repo = cluster().charts.httpRepo;
    expect(r.stderr).toContain(`Error: cannot pull chart nats 9.9.9 from ${repo}: version 9.9.9 of chart nats is not in ${repo} (latest there: 1.3.2)`);
    expect(r.stderr).toMatch(/^Hint: fix dynamoctl\.charts\.nats /m);
    expect(existsSync(dir)).toBe(false);
  });

  it('exits 4 for a tag missing from the OCI registry too', () => {
    const file = join(work, 'missing-oci.yaml');
    writeFileSync(file, stringify({ dynamoctl: { charts: { ...sources, 'kai-scheduler': { repo: cluster().charts.ociRepo, plainHttp: true, version: 'v9.9.9' } } } }));
    const r = bundle(join(work, 'missing-oci'), ['-f', file]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`^Error: cannot pull chart kai-scheduler v9\\.9\\.9 from ${cluster().charts.ociRepo.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `, 'm'));
    expect(r.stderr).toContain('kai-scheduler');
  });
});
