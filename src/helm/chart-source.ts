/**
 * Chart sources, purely: which of the three kinds a source is, the `helm show chart` arguments that look it up
 * without installing, and the one-sentence reason a failed lookup is reported with.
 */
import type { ChartSource } from '../config/values-schema.ts';
import type { ChartMetadata, ShowChartFailure } from './parse.ts';

/** Where a chart comes from. `path` wins when set: an air-gapped install points at a .tgz or a directory. */
export type ChartLocation =
  | { kind: 'path'; path: string }
  | { kind: 'repo'; repo: string }
  /** `ref` is the full reference helm pulls (oci://host/path/name); `host` is the registry. */
  | { kind: 'oci'; repo: string; ref: string; host: string };

export function chartLocation(source: ChartSource): ChartLocation | undefined {
  if (source.path !== '') return { kind: 'path', path: source.path };
  if (/^https?:\/\//.test(source.repo)) return { kind: 'repo', repo: source.repo };
  if (source.repo.startsWith('oci://')) {
    const repo = source.repo.replace(/\/+$/, '');
    return { kind: 'oci', repo, ref: `${repo}/${source.name}`, host: repo.slice('oci://'.length).split('/')[0] ?? '' };
  }
  return undefined;
}

/**
 * `helm show chart` for a location. `latest` drops the version and accepts pre-releases (--devel): the
 * follow-up question that tells "no such chart" from "no such version". `path` is used as given (callers make
 * it absolute: helm reads a bare word as a repository reference).
 */
export function showChartArgs(source: ChartSource, location: ChartLocation, opts: { latest?: boolean } = {}): string[] {
  const version = opts.latest || source.version === '' ? ['--devel'] : ['--version', source.version];
  switch (location.kind) {
    case 'path':
      return ['show', 'chart', location.path];
    case 'repo':
      return ['show', 'chart', source.name, '--repo', location.repo, ...version];
    case 'oci':
      return ['show', 'chart', location.ref, ...version, ...(source.plainHttp ? ['--plain-http'] : [])];
  }
}

/** Each way a chart source can fail a check; `reason` says it in words, this says it to code. */
export type ChartSourceProblem =
  | 'version-not-found'
  | 'chart-not-found'
  /** not found, and the follow-up could not say whether the chart or the version is missing */
  | 'not-found'
  | 'unreachable'
  | 'not-a-repository'
  | 'plain-http-required'
  | 'unauthorized'
  | 'path-missing'
  | 'mismatch'
  | 'invalid'
  | 'failed';

export interface ChartSourceFailure {
  ok: false;
  reason: string;
  problem: ChartSourceProblem;
}

export type ChartSourceCheck = { ok: true; chart: ChartMetadata } | ChartSourceFailure;

const fail = (problem: ChartSourceProblem, reason: string): ChartSourceFailure => ({ ok: false, reason, problem });

/** What a location is called in a sentence: the repository URL, the OCI repository, or the local path. */
export function describeLocation(location: ChartLocation): string {
  if (location.kind === 'path') return `local chart ${location.path}`;
  return location.repo;
}

/**
 * The reason for a failed `helm show chart`. For `not-found`, `latest` is the outcome of asking again without
 * a version: a chart (its newest version) means only the version is missing; another not-found means the chart
 * is; anything else leaves it open.
 */
export function describeShowChartFailure(
  source: ChartSource,
  location: ChartLocation,
  failure: ShowChartFailure,
  latest?: { ok: true; chart: ChartMetadata } | { ok: false; failure: ShowChartFailure },
): ChartSourceFailure {
  const where = describeLocation(location);
  const server = location.kind === 'oci' ? `registry ${location.host}` : `repository ${where}`;
  switch (failure.kind) {
    case 'path-missing':
      return fail('path-missing', `${where} does not exist`);
    case 'not-found':
      if (source.version !== '' && latest?.ok) {
        return fail('version-not-found', `version ${source.version} of chart ${source.name} is not in ${where} (latest there: ${latest.chart.version})`);
      }
      if (source.version === '' || (latest && !latest.ok && latest.failure.kind === 'not-found')) {
        return fail('chart-not-found', `chart ${source.name} is not in ${where}`);
      }
      return fail('not-found', `chart ${source.name} version ${source.version} was not found in ${where}`);
    case 'unreachable':
      return fail('unreachable', `${server} is unreachable (${failure.detail})`);
    case 'not-a-repository':
      return fail('not-a-repository', `${where} is not a chart repository (${failure.detail})`);
    case 'plain-http-required':
      return fail('plain-http-required', `registry ${location.kind === 'oci' ? location.host : where} speaks plain HTTP, not HTTPS: set plainHttp: true for chart ${source.name}`);
    case 'unauthorized':
      return fail('unauthorized', `${server} refused access (${failure.detail}): log in with helm registry login or check the credentials`);
    case 'other':
      return fail('failed', location.kind === 'path' ? `cannot read ${where}: ${failure.detail}` : `cannot read chart ${source.name} from ${where}: ${failure.detail}`);
  }
}

/** A local chart must be the chart the values name; helm ignores --version for paths, so we compare. */
export function checkLocalChart(source: ChartSource, location: ChartLocation & { kind: 'path' }, chart: ChartMetadata): ChartSourceFailure | undefined {
  const nameOk = chart.name === source.name;
  const versionOk = source.version === '' || chart.version === source.version;
  if (nameOk && versionOk) return undefined;
  const expected = source.version === '' ? source.name : `${source.name} ${source.version}`;
  return fail('mismatch', `${describeLocation(location)} is ${chart.name} ${chart.version}, not ${expected}`);
}

export function timedOut(location: ChartLocation, seconds: number): ChartSourceFailure {
  const who = location.kind === 'oci' ? `registry ${location.host}` : describeLocation(location);
  return fail('unreachable', `${who} did not answer within ${seconds}s`);
}

export function noChartSource(source: ChartSource): ChartSourceFailure {
  return fail('invalid', `chart ${source.name} has neither a path nor an http(s):// or oci:// repo (got ${JSON.stringify(source.repo)})`);
}

export function unreadableChart(location: ChartLocation): ChartSourceFailure {
  return fail('invalid', `helm show chart printed no chart metadata for ${describeLocation(location)}`);
}
