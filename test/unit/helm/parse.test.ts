import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HelmError } from '../../../src/errors.ts';
import { chartLocation, checkLocalChart, describeShowChartFailure, showChartArgs } from '../../../src/helm/chart-source.ts';
import {
  classifyShowChartError,
  helmErrorLine,
  isSupportedHelmVersion,
  parseChartMetadata,
  parseHelmVersion,
  parseReleases,
  type ShowChartFailure,
} from '../../../src/helm/parse.ts';
import type { ChartSource } from '../../../src/config/values-schema.ts';

// stderr captured from the real binaries by test/fixtures/helm/capture.ts
const fixtures = new URL('../../fixtures/helm/', import.meta.url);
const HELM_VERSIONS = ['3.22.0', '4.3.1'] as const;
const read = (version: string, file: string): string => readFileSync(new URL(`${version}/${file}`, fixtures), 'utf8');

/** What helmErrorLine and classifyShowChartError make of each capture; identical in helm 3 and 4 unless noted. */
const expected: Record<string, { line: RegExp; kind?: ShowChartFailure['kind']; detail?: string }> = {
  'repo-version-not-found': { line: /^chart "nats" version "9\.9\.9" not found in http:\/\/127\.0\.0\.1:\d+ repository$/, kind: 'not-found' },
  'repo-chart-not-found': { line: /^chart "nope" version "1\.0\.0" not found in http:\/\/127\.0\.0\.1:\d+ repository$/, kind: 'not-found' },
  'repo-chart-not-found-latest': { line: /^chart "nope" version ">0\.0\.0-0" not found in /, kind: 'not-found' },
  'repo-connection-refused': { line: /^looks like "http:\/\/127\.0\.0\.1:1" is not a valid chart repository or cannot be reached: .*connection refused$/, kind: 'unreachable', detail: 'connection refused' },
  'repo-no-such-host': { line: /cannot be reached: .*lookup nonexistent\.invalid.*: no such host$/, kind: 'unreachable', detail: 'host nonexistent.invalid not found' },
  'repo-no-index': { line: /^looks like ".*\/nowhere" is not a valid chart repository/, kind: 'not-a-repository' },
  'oci-version-not-found': { line: /^failed to perform "FetchReference" on source: 127\.0\.0\.1:\d+\/charts\/nats:9\.9\.9: not found$/, kind: 'not-found' },
  'oci-chart-not-found': { line: /\/charts\/nope:1\.0\.0: not found$/, kind: 'not-found' },
  'oci-chart-not-found-latest': { line: /tags\/list": response status code 404: name unknown/, kind: 'not-found' },
  'oci-connection-refused': { line: /^failed to perform "FetchReference" on source: Get "http:\/\/127\.0\.0\.1:1\/.*connection refused$/, kind: 'unreachable', detail: 'connection refused' },
  'path-missing': { line: /^path "\/.*\/missing\/nats-1\.3\.2\.tgz" not found$/, kind: 'path-missing' },
  'path-not-a-chart': { line: /^Chart\.yaml file is missing$/, kind: 'other', detail: 'Chart.yaml file is missing' },
  'list-context-missing': { line: /^[Kk]ubernetes cluster unreachable: context "nope" does not exist$/ },
  'list-kubeconfig-missing': { line: /^[Kk]ubernetes cluster unreachable: stat .*: no such file or directory$/ },
  'list-cluster-unreachable': { line: /^[Kk]ubernetes cluster unreachable: Get "https:\/\/127\.0\.0\.1:1\/version": .*connection refused$/ },
  'oci-pull-ok': { line: /^Pulled: 127\.0\.0\.1:\d+\/charts\/nats:1\.3\.2$/ },
};

/** Where helm 3 and helm 4 differ. */
const byVersion: Record<(typeof HELM_VERSIONS)[number], typeof expected> = {
  '3.22.0': {
    // helm 3 falls back to plain HTTP for a loopback registry on its own: the pull succeeds
    'oci-https-to-http': { line: /^Pulled: / },
    'list-all-flag': { line: /^$/ },
    'install-name-in-use': { line: /^INSTALLATION FAILED: cannot re-use a name that is still in use$/ },
  },
  '4.3.1': {
    'oci-https-to-http': { line: /server gave HTTP response to HTTPS client$/, kind: 'plain-http-required' },
    // helm 4 dropped `list --all` (it lists every status by default)
    'list-all-flag': { line: /^unknown shorthand flag: 'a' in -a$/ },
    // helm 4 logs `level=ERROR msg=...` before the Error: line
    'install-name-in-use': { line: /^INSTALLATION FAILED: release name check failed: cannot reuse a name that is still in use$/ },
  },
};

describe.each(HELM_VERSIONS)('captured stderr of helm %s', (version) => {
  const cases = { ...expected, ...byVersion[version] };

  it('has a capture for every case and a case for every capture', () => {
    const files = readdirSync(new URL(`${version}/`, fixtures)).filter((f) => f.endsWith('.stderr'));
    expect(files.map((f) => f.slice(0, -'.stderr'.length)).sort()).toEqual(Object.keys(cases).sort());
  });

  it.each(Object.entries(cases))('%s', (name, want) => {
    const line = helmErrorLine(read(version, `${name}.stderr`));
    expect(line).toMatch(want.line);
    expect(line).not.toMatch(/^Error:|\n/);
    if (want.kind) {
      const failure = classifyShowChartError(line);
      expect(failure.kind).toBe(want.kind);
      if (want.detail) expect(failure).toHaveProperty('detail', want.detail);
    }
  });

  it('parses a real helm list -o json', () => {
    const releases = parseReleases(read(version, 'list.stdout'));
    expect(releases).toEqual([
      { name: 'capture', namespace: `capture-${version[0]}`, revision: 1, updated: expect.any(String), status: 'deployed', chart: 'nats-1.3.2', app_version: '2.10.21' },
    ]);
  });
});

describe('helmErrorLine', () => {
  it('takes the first Error: line, skipping warnings and helm 4 log lines', () => {
    const stderr = 'WARNING: Kubernetes configuration file is group-readable.\nlevel=ERROR msg="x"\nError: UPGRADE FAILED: boom\nError: second\n';
    expect(helmErrorLine(stderr)).toBe('UPGRADE FAILED: boom');
  });
  it('falls back to the first non-empty line, and to "" for nothing', () => {
    expect(helmErrorLine('\n  panic: runtime error\n goroutine 1\n')).toBe('panic: runtime error');
    expect(helmErrorLine('')).toBe('');
    expect(helmErrorLine('\n\n')).toBe('');
  });
  it('ignores colour codes and CRLF', () => {
    expect(helmErrorLine('\u001b[31mError:\u001b[0m no way\r\n')).toBe('no way');
  });
});

describe('classifyShowChartError on wordings not captured locally', () => {
  it.each<[string, ShowChartFailure]>([
    ['looks like "https://charts.example.com" is not a valid chart repository or cannot be reached: Get "https://charts.example.com/index.yaml": dial tcp 10.0.0.1:443: i/o timeout', { kind: 'unreachable', detail: 'timed out' }],
    ['failed to perform "FetchReference" on source: GET "https://nvcr.io/v2/nvidia/ai-dynamo/x/manifests/1": response status code 401: unauthorized: authentication required', { kind: 'unauthorized', detail: 'authentication required' }],
    ['looks like "https://x.example" is not a valid chart repository or cannot be reached: failed to fetch https://x.example/index.yaml : 403 Forbidden', { kind: 'unauthorized', detail: '403 Forbidden' }],
    ['something else entirely', { kind: 'other', detail: 'something else entirely' }],
  ])('%s', (line, want) => {
    expect(classifyShowChartError(line)).toEqual(want);
  });
});

describe('parseHelmVersion', () => {
  it.each([
    ['v3.22.0', 3, 22, 0],
    ['v4.3.1', 4, 3, 1],
    ['v3.8.0-rc.1', 3, 8, 0],
    ['v3.9.4+g1234abc', 3, 9, 4],
    ['4.0.0\n', 4, 0, 0],
  ])('%j', (raw, major, minor, patch) => {
    expect(parseHelmVersion(raw)).toEqual({ raw: raw.trim(), major, minor, patch });
  });
  it('throws HelmError for anything else', () => {
    expect(() => parseHelmVersion('<no value>', '/usr/bin/helm')).toThrow(HelmError);
    expect(() => parseHelmVersion('', 'helm')).toThrow(/could not read the helm version from helm/);
  });
  it('knows the minimum', () => {
    expect(isSupportedHelmVersion(parseHelmVersion('v3.8.0'))).toBe(true);
    expect(isSupportedHelmVersion(parseHelmVersion('v3.7.2'))).toBe(false);
    expect(isSupportedHelmVersion(parseHelmVersion('v4.0.0'))).toBe(true);
    expect(isSupportedHelmVersion(parseHelmVersion('v2.17.0'))).toBe(false);
  });
});

describe('parseChartMetadata', () => {
  it('reads Chart.yaml as helm show chart prints it', () => {
    expect(parseChartMetadata('apiVersion: v2\nappVersion: 2.10.21\nname: nats\nversion: 1.3.2\n')).toEqual({ name: 'nats', version: '1.3.2', appVersion: '2.10.21' });
    expect(parseChartMetadata('name: x\nversion: 1.0\n')).toEqual({ name: 'x', version: '1' });
    expect(parseChartMetadata('name: x\nversion: "1.0"\n')).toEqual({ name: 'x', version: '1.0' });
  });
  it('returns undefined for anything else', () => {
    for (const text of ['', 'just text', '[1, 2]', 'name: x\n', 'version: 1.0.0\n', ': : :\n  - bad']) expect(parseChartMetadata(text)).toBeUndefined();
  });
});

describe('parseReleases', () => {
  it('accepts an empty list and numeric revisions', () => {
    expect(parseReleases('[]')).toEqual([]);
    expect(parseReleases('')).toEqual([]);
    expect(parseReleases('[{"name":"a","namespace":"n","revision":3,"status":"failed","chart":"c-1.0.0"}]')).toEqual([
      { name: 'a', namespace: 'n', revision: 3, updated: '', status: 'failed', chart: 'c-1.0.0', app_version: '' },
    ]);
  });
  it.each(['not json', '{}', '[1]', '[{"name":"a","revision":"x"}]'])('refuses %j with HelmError', (text) => {
    expect(() => parseReleases(text)).toThrow(HelmError);
  });
});

describe('chart sources', () => {
  const src = (over: Partial<ChartSource>): ChartSource => ({ name: 'nats', repo: 'https://nats-io.github.io/k8s/helm/charts/', version: '1.3.2', path: '', plainHttp: false, ...over });

  it('builds helm show chart arguments for each kind', () => {
    const repo = src({});
    expect(showChartArgs(repo, chartLocation(repo)!)).toEqual(['show', 'chart', 'nats', '--repo', 'https://nats-io.github.io/k8s/helm/charts/', '--version', '1.3.2']);
    expect(showChartArgs(repo, chartLocation(repo)!, { latest: true })).toEqual(['show', 'chart', 'nats', '--repo', 'https://nats-io.github.io/k8s/helm/charts/', '--devel']);
    const oci = src({ repo: 'oci://127.0.0.1:5000/charts/', plainHttp: true });
    expect(chartLocation(oci)).toEqual({ kind: 'oci', repo: 'oci://127.0.0.1:5000/charts', ref: 'oci://127.0.0.1:5000/charts/nats', host: '127.0.0.1:5000' });
    expect(showChartArgs(oci, chartLocation(oci)!)).toEqual(['show', 'chart', 'oci://127.0.0.1:5000/charts/nats', '--version', '1.3.2', '--plain-http']);
    const local = src({ path: '/charts/nats-1.3.2.tgz' });
    expect(showChartArgs(local, chartLocation(local)!)).toEqual(['show', 'chart', '/charts/nats-1.3.2.tgz']);
    expect(chartLocation(src({ repo: 'ftp://x' }))).toBeUndefined();
  });

  it('words each failure distinctly', () => {
    const repo = src({ repo: 'http://127.0.0.1:8080', version: '9.9.9' });
    const loc = chartLocation(repo)!;
    const notFound: ShowChartFailure = { kind: 'not-found' };
    const cases = [
      describeShowChartFailure(repo, loc, notFound, { ok: true, chart: { name: 'nats', version: '1.3.2' } }),
      describeShowChartFailure(repo, loc, notFound, { ok: false, failure: notFound }),
      describeShowChartFailure(repo, loc, notFound, { ok: false, failure: { kind: 'unreachable', detail: 'connection refused' } }),
      describeShowChartFailure(repo, loc, { kind: 'unreachable', detail: 'connection refused' }),
      describeShowChartFailure(repo, loc, { kind: 'not-a-repository', detail: 'http://127.0.0.1:8080/index.yaml: 404 Not Found' }),
    ];
    expect(cases.map((c) => [c.problem, c.reason])).toEqual([
      ['version-not-found', 'version 9.9.9 of chart nats is not in http://127.0.0.1:8080 (latest there: 1.3.2)'],
      ['chart-not-found', 'chart nats is not in http://127.0.0.1:8080'],
      ['not-found', 'chart nats version 9.9.9 was not found in http://127.0.0.1:8080'],
      ['unreachable', 'repository http://127.0.0.1:8080 is unreachable (connection refused)'],
      ['not-a-repository', 'http://127.0.0.1:8080 is not a chart repository (http://127.0.0.1:8080/index.yaml: 404 Not Found)'],
    ]);
  });

  it('compares a local chart with the name and version asked for', () => {
    const local = src({ path: '/c/nats.tgz' });
    const loc = { kind: 'path' as const, path: '/c/nats.tgz' };
    expect(checkLocalChart(local, loc, { name: 'nats', version: '1.3.2' })).toBeUndefined();
    expect(checkLocalChart(local, loc, { name: 'nats', version: '1.3.1' })).toEqual({ ok: false, problem: 'mismatch', reason: 'local chart /c/nats.tgz is nats 1.3.1, not nats 1.3.2' });
    expect(checkLocalChart(local, loc, { name: 'etcd', version: '1.3.2' })?.problem).toBe('mismatch');
    expect(checkLocalChart(src({ path: '/c', version: '' }), loc, { name: 'nats', version: '0.0.1' })).toBeUndefined();
  });
});
