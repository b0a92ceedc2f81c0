/**
 * Fetching a chart as a packaged .tgz into a directory, for `dynamoctl bundle` (air-gapped installs):
 *   repo  `helm pull <name> --repo <repo> --version <v> -d <dir>`
 *   oci   `helm pull <repo>/<name> --version <v> -d <dir> [--plain-http]`
 *   path  a .tgz is copied; a chart directory is packaged (`helm package <dir> -d <dir>`)
 * Every result is named `<chart>-<version>.tgz` (helm's own naming) and read back with `helm show chart`, so
 * the caller learns the chart's real name and version from the file itself. Failures are HelmErrors naming the
 * chart, the version and the source.
 */
import { copyFile, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ChartSource } from '../config/values-schema.ts';
import { HelmError } from '../errors.ts';
import { chartLocation, describeLocation, describeShowChartFailure, type ChartLocation } from './chart-source.ts';
import { HelmTimeoutError, resolveChartSource, runHelm, type HelmOptions } from './helm.ts';
import { classifyShowChartError, helmErrorLine, type ChartMetadata } from './parse.ts';

/** A pull or package gives up after this unless `timeoutMs` says otherwise (charts are small; registries can be slow). */
export const DEFAULT_PULL_TIMEOUT_MS = 300_000;

/** The chart source is wrong or unusable (helm itself ran): the caller may add where in the values to fix it. */
export class ChartPullError extends HelmError {
  override name = 'ChartPullError';
}

export interface PulledChart {
  /** Absolute path of the .tgz in `destDir`. */
  file: string;
  /** The chart's own Chart.yaml name and version, read from the file. */
  chart: ChartMetadata;
}

/** "nats 1.3.2 from http://…" / "nats 1.3.2 from local chart /x": how a pull failure names what was asked for. */
function what(source: ChartSource, location: ChartLocation | undefined): string {
  const chart = source.version === '' ? `${source.name} (latest)` : `${source.name} ${source.version}`;
  return location ? `${chart} from ${describeLocation(location)}` : chart;
}

/** `helm pull` arguments for a remote source (same version rule as `check`: no version means the newest, pre-releases included). */
export function pullArgs(source: ChartSource, location: ChartLocation & { kind: 'repo' | 'oci' }, destDir: string): string[] {
  const version = source.version === '' ? ['--devel'] : ['--version', source.version];
  if (location.kind === 'repo') return ['pull', source.name, '--repo', location.repo, ...version, '-d', destDir];
  return ['pull', location.ref, ...version, '-d', destDir, ...(source.plainHttp ? ['--plain-http'] : [])];
}

/**
 * Puts the chart `source` names into `destDir` (created if missing) as `<chart>-<version>.tgz`. Throws HelmError
 * when the source cannot be fetched, is not a chart, or (for a local path) is not the chart and version the
 * source names.
 */
export async function pullChart(source: ChartSource, destDir: string, opts: HelmOptions): Promise<PulledChart> {
  const found = chartLocation(source);
  if (!found) {
    throw new ChartPullError(`cannot fetch chart ${what(source, undefined)}: it has neither a path nor an http(s):// or oci:// repo`, {
      argv: [],
      stderr: '',
      hint: 'set repo or path for this chart under dynamoctl.charts',
    });
  }
  const location: ChartLocation = found.kind === 'path' ? { kind: 'path', path: resolve(found.path) } : found;
  const o: HelmOptions = { ...opts, timeoutMs: opts.timeoutMs ?? DEFAULT_PULL_TIMEOUT_MS };
  await mkdir(destDir, { recursive: true });
  // helm writes into a private directory first: what it names the file is then simply the one file there
  const work = await mkdtemp(join(destDir, '.pull-'));
  try {
    const fetched = location.kind === 'path' ? await fromPath(source, location, work, o) : await fromRemote(source, location, work, o);
    const file = join(destDir, basename(fetched.file));
    await rename(fetched.file, file);
    return { file, chart: fetched.chart };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function fromRemote(source: ChartSource, location: ChartLocation & { kind: 'repo' | 'oci' }, work: string, opts: HelmOptions): Promise<PulledChart> {
  const args = pullArgs(source, location, work);
  const r = await run(args, source, location, opts);
  if (r.exitCode !== 0) {
    const line = helmErrorLine(r.stderr);
    throw new ChartPullError(`cannot pull chart ${what(source, location)}: ${await pullFailureReason(source, location, line, opts)}`, {
      argv: args,
      stderr: r.stderr,
      hint: 'check the chart source with `dynamoctl check`, or fix dynamoctl.charts (repo, version, plainHttp)',
    });
  }
  const file = await onlyPackage(work, source, location, args, r.stderr);
  // read back the name and version helm stored (a pinned "v1.2.3" may fetch a chart versioned "1.2.3")
  return { file, chart: await readChart(file, { ...source, path: file, version: '' }, source, location, opts) };
}

async function fromPath(source: ChartSource, location: ChartLocation & { kind: 'path' }, work: string, opts: HelmOptions): Promise<PulledChart> {
  // the same test `check` applies: it exists, is a chart, and is the chart and version the values name
  const chart = await readChart(location.path, { ...source, path: location.path }, source, location, opts);
  const isDir = (await stat(location.path)).isDirectory();
  if (!isDir) {
    const file = join(work, `${chart.name}-${chart.version}.tgz`);
    await copyFile(location.path, file);
    return { file, chart };
  }
  const args = ['package', location.path, '-d', work];
  const r = await run(args, source, location, opts);
  if (r.exitCode !== 0) {
    throw new ChartPullError(`cannot package chart ${what(source, location)}: ${helmErrorLine(r.stderr) || `helm exited with code ${r.exitCode}`}`, {
      argv: args,
      stderr: r.stderr,
      hint: 'fix the chart directory (helm lint helps), or point path at a packaged .tgz',
    });
  }
  return { file: await onlyPackage(work, source, location, args, r.stderr), chart };
}

/** runHelm, with a timeout reported in terms of the chart. */
async function run(args: string[], source: ChartSource, location: ChartLocation, opts: HelmOptions): Promise<{ exitCode: number; stderr: string }> {
  try {
    return await runHelm(args, opts);
  } catch (error) {
    if (!(error instanceof HelmTimeoutError)) throw error;
    throw new HelmTimeoutError(`helm ${args[0]} of chart ${what(source, location)} did not finish within ${error.timeoutMs / 1000}s`, {
      argv: error.argv,
      stderr: error.stderr,
      timeoutMs: error.timeoutMs,
      hint: 'check that the chart source is reachable from here',
    });
  }
}

/** The one .tgz helm wrote into `work`. */
async function onlyPackage(work: string, source: ChartSource, location: ChartLocation, argv: string[], stderr: string): Promise<string> {
  const packages = (await readdir(work)).filter((f) => f.endsWith('.tgz'));
  if (packages.length !== 1) {
    throw new ChartPullError(`helm ${argv[0]} of chart ${what(source, location)} succeeded but wrote ${packages.length} chart packages`, { argv, stderr });
  }
  return join(work, packages[0]!);
}

/** `helm show chart` on a local file or directory, checked against `source` (name, and version unless ''). */
async function readChart(path: string, check: ChartSource, source: ChartSource, location: ChartLocation, opts: HelmOptions): Promise<ChartMetadata> {
  const r = await resolveChartSource(check, opts);
  if (r.ok) return r.chart;
  // the reason names the path already
  throw new ChartPullError(`cannot use chart ${what(source, undefined)}${location.kind === 'path' ? '' : ` from ${describeLocation(location)}`}: ${r.reason}`, {
    argv: ['show', 'chart', path],
    stderr: '',
    hint: location.kind === 'path' ? 'point dynamoctl.charts.<chart>.path at the chart and version the values pin' : undefined,
  });
}

/**
 * Why a pull failed, in the words `check` uses. helm says "not found" alike for a missing chart and a missing
 * version, so that case asks the source again to tell them apart ("latest there: …").
 */
async function pullFailureReason(source: ChartSource, location: ChartLocation, line: string, opts: HelmOptions): Promise<string> {
  const failure = classifyShowChartError(line);
  if (failure.kind === 'not-found') {
    const again = await resolveChartSource(source, opts).catch(() => undefined);
    if (again && !again.ok) return again.reason;
  }
  if (failure.kind === 'other' && failure.detail === '') return 'helm failed without a message';
  return describeShowChartFailure(source, location, failure).reason;
}
