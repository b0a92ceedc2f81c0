/**
 * Installing, upgrading, inspecting and removing one helm release (a component of the platform):
 *   upgradeInstall    `helm upgrade --install <release> <chart…> --namespace <ns> --wait --timeout <n>s -f <values> -o json`
 *   uninstallRelease  `helm uninstall <release> --namespace <ns> --wait --timeout <n>s` (a missing release is not an error)
 *   releaseStatus     `helm get metadata <release> --namespace <ns> -o json` (helm < 3.13: `helm history --max 1`)
 *
 * Values reach helm only in a file: JSON (valid YAML, with no YAML ambiguity) in a fresh private temporary
 * directory (0700), mode 0600, removed afterwards whatever happens (also on Ctrl-C, through onInterrupt).
 * helm's JSON output of an install carries the values and the rendered manifest, so it is parsed and dropped,
 * never quoted in an error.
 *
 * helm 3 and 4 differ here only in `--wait`: a boolean in helm 3; a strategy in helm 4, where leaving it out
 * means `hookOnly` (no waiting for resources) and `--wait=watcher` waits for readiness (install) or deletion
 * (uninstall). The pure halves (arguments, output, reasons) are exported for the unit tests.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ChartKey, ChartSource } from '../config/values-schema.ts';
import { HelmError } from '../errors.ts';
import { onInterrupt } from '../interrupt.ts';
import { chartLocation, describeLocation, type ChartLocation } from './chart-source.ts';
import { DEFAULT_QUERY_TIMEOUT_MS, HelmTimeoutError, helmVersion, kubeArgs, runHelm, type HelmOptions, type HelmResult } from './helm.ts';
import { classifyShowChartError, helmErrorLine, type HelmVersion } from './parse.ts';
import { parseInstallOutput, parseReleaseHistory, parseReleaseMetadata } from './release-output.ts';

export { parseInstallOutput, parseReleaseHistory, parseReleaseMetadata, splitChartVersion } from './release-output.ts';

export interface ReleaseSpec {
  release: string;
  namespace: string;
  source: ChartSource;
  /** Values for the chart: written to a temporary file (mode 0600, in a fresh private temp dir), passed with -f, deleted afterwards even on failure; never on the command line. */
  values: Record<string, unknown>;
  /** helm --timeout, in seconds: how long helm waits for the release's resources to become ready. */
  timeoutSeconds: number;
  createNamespace?: boolean;
  /** Adopt objects another (gone) release left behind: helm --take-ownership (helm 3.17+). */
  takeOwnership?: boolean;
  /** The key under dynamoctl.charts the source came from, for the hint when the chart cannot be found. */
  component?: ChartKey;
}

export interface ReleaseResult {
  release: string;
  namespace: string;
  chart: string;
  version: string;
  revision: number;
  status: string;
}

/** A release as helm keeps it: its status (deployed, failed, pending-install…), revision, chart and chart version. */
export interface ReleaseState {
  status: string;
  revision: number;
  chart: string;
  version: string;
}

/** The temporary directories holding values files are named `<tmpdir>/dynamoctl-values-XXXXXX`. */
export const VALUES_DIR_PREFIX = 'dynamoctl-values-';

/** `helm get metadata` (chart, version, status and revision without values or manifest) arrived in helm 3.13. */
export const hasGetMetadata = (v: HelmVersion): boolean => v.major > 3 || (v.major === 3 && v.minor >= 13);
/** `--take-ownership` (adopt objects whose owner release is gone): helm 3.17 and later. */
export const hasTakeOwnership = (v: HelmVersion): boolean => v.major > 3 || (v.major === 3 && v.minor >= 17);

/** `--wait` as each major spells "wait for the resources" (helm 4 without a value would also mean watcher). */
export const waitArg = (v: HelmVersion): string => (v.major >= 4 ? '--wait=watcher' : '--wait');

/** Go duration for `--timeout`. A non-positive or non-finite timeout is a bug in the caller. */
export function timeoutArg(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`helm timeout must be a positive number of seconds, got ${seconds}`);
  return `${Math.ceil(seconds)}s`;
}

/** A path made absolute (helm reads a bare word as a repository reference); other locations as they are. */
export function absolute(location: ChartLocation): ChartLocation {
  return location.kind === 'path' ? { kind: 'path', path: resolve(location.path) } : location;
}

/**
 * The chart arguments, as resolveChartSource looks the chart up: `<name> --repo <repo>`, `<repo>/<name>`
 * (+ `--plain-http`) or the path. The version is pinned with `--version`; an empty version means the newest,
 * pre-releases included (`--devel`), as `check` and `bundle` read it. helm ignores a version for a local chart,
 * so none is passed.
 */
export function chartArgs(source: ChartSource, location: ChartLocation): string[] {
  const version = source.version === '' ? ['--devel'] : ['--version', source.version];
  switch (location.kind) {
    case 'path':
      return [location.path];
    case 'repo':
      return [source.name, '--repo', location.repo, ...version];
    case 'oci':
      return [location.ref, ...version, ...(source.plainHttp ? ['--plain-http'] : [])];
  }
}

/** `preview`: render against the live cluster and change nothing (`--dry-run=server`), instead of waiting. */
export function upgradeInstallArgs(spec: ReleaseSpec, location: ChartLocation, valuesFile: string, version: HelmVersion, opts: HelmOptions, preview = false): string[] {
  return [
    'upgrade',
    '--install',
    spec.release,
    ...chartArgs(spec.source, location),
    '--namespace',
    spec.namespace,
    ...(spec.createNamespace ? ['--create-namespace'] : []),
    ...(spec.takeOwnership ? ['--take-ownership'] : []),
    ...(preview ? ['--dry-run=server'] : [waitArg(version), '--timeout', timeoutArg(spec.timeoutSeconds)]),
    '-f',
    valuesFile,
    '--output',
    'json',
    ...kubeArgs(opts),
  ];
}

export function uninstallArgs(release: string, namespace: string, timeoutSeconds: number, version: HelmVersion, opts: HelmOptions): string[] {
  return ['uninstall', release, '--namespace', namespace, waitArg(version), '--timeout', timeoutArg(timeoutSeconds), ...kubeArgs(opts)];
}

/** `helm get metadata` where helm has it, else the newest entry of `helm history`. */
export function releaseStatusArgs(release: string, namespace: string, version: HelmVersion, opts: HelmOptions): string[] {
  const query = hasGetMetadata(version) ? ['get', 'metadata', release] : ['history', release, '--max', '1'];
  return [...query, '--namespace', namespace, '--output', 'json', ...kubeArgs(opts)];
}

const LOG_LINE = /^(time=|level=)/;

/**
 * helm's reason for a failed install, upgrade or uninstall, in one line. Like helmErrorLine, but helm 4 continues
 * some errors on following lines (a template error's location, then the cause; "resource … not ready" then
 * "context deadline exceeded"): those lines are joined with ": ".
 */
export function helmFailureReason(stderr: string): string {
  // eslint-disable-next-line no-control-regex -- ANSI colour sequences are exactly what this removes
  const lines = stderr.replace(/\u001b\[[0-9;]*m/g, '').split(/\r?\n/).map((l) => l.trim());
  const start = lines.findIndex((l) => l.startsWith('Error:'));
  if (start === -1) return helmErrorLine(stderr);
  const parts = [lines[start]?.slice('Error:'.length).trim() ?? ''];
  for (const line of lines.slice(start + 1, start + 6)) {
    if (line === '' || LOG_LINE.test(line) || line.startsWith('Error:')) break;
    parts.push(line);
  }
  return parts
    .map((p, i) => (i < parts.length - 1 ? p.replace(/:$/, '') : p))
    .filter((p) => p !== '')
    .join(': ');
}

/** What went wrong with a failed install or upgrade, from its reason; decides the hint. */
export type InstallFailureKind =
  | 'timeout'
  | 'chart-not-found'
  | 'plain-http-required'
  | 'unauthorized'
  | 'source-unreachable'
  | 'cluster-unreachable'
  | 'operation-in-progress'
  | 'other';

const TIMEOUT = /context deadline exceeded|timed out waiting for the condition/;
const CLUSTER_UNREACHABLE = /kubernetes cluster unreachable/i;
const IN_PROGRESS = /another operation \(install\/upgrade\/rollback\) is in progress/;

/** The strings by which helm's messages about fetching the chart name its source: the repository, the registry, the path. */
function sourceMarks(location: ChartLocation): string[] {
  switch (location.kind) {
    case 'path':
      return [location.path];
    case 'repo':
      return [location.repo.replace(/\/+$/, ''), URL.parse(location.repo)?.host ?? ''];
    case 'oci':
      return [location.host];
  }
}

/**
 * What went wrong with a failed install or upgrade. A problem with the chart source counts only when helm's
 * reason names that source: otherwise a refused API call or a missing namespace ("…: not found", "connection
 * refused") would read as a missing chart or an unreachable repository.
 */
export function classifyInstallFailure(reason: string, location: ChartLocation): InstallFailureKind {
  if (CLUSTER_UNREACHABLE.test(reason)) return 'cluster-unreachable';
  if (IN_PROGRESS.test(reason)) return 'operation-in-progress';
  const fromSource = sourceMarks(location).some((m) => m !== '' && reason.includes(m));
  const source = classifyShowChartError(reason);
  if (fromSource) {
    if (source.kind === 'not-found' || source.kind === 'path-missing') return 'chart-not-found';
    if (source.kind === 'plain-http-required') return 'plain-http-required';
    if (source.kind === 'unauthorized') return 'unauthorized';
    if (source.kind === 'unreachable' || source.kind === 'not-a-repository') return 'source-unreachable';
  }
  // the wait for the release's resources ran out (helm 3 and 4: context deadline exceeded; older: timed out waiting…)
  if (TIMEOUT.test(reason)) return 'timeout';
  return 'other';
}

/** "nats 1.3.2 from http://…", "nats (latest) from oci://…", "nats from local chart /x.tgz": what was asked for, and where. */
function describeChart(source: ChartSource, location: ChartLocation): string {
  const chart = source.version !== '' ? `${source.name} ${source.version}` : location.kind === 'path' ? source.name : `${source.name} (latest)`;
  return `${chart} from ${describeLocation(location)}`;
}

/** `nats 1.3.2 from http://…`, with the release first when it is not named like the chart. */
function describeInstall(spec: ReleaseSpec, location: ChartLocation): string {
  const what = describeChart(spec.source, location);
  return spec.release === spec.source.name ? what : `${spec.release} (${what})`;
}

const chartsKey = (spec: ReleaseSpec): string => (spec.component ? `dynamoctl.charts.${spec.component}` : `dynamoctl.charts (chart ${spec.source.name})`);

/** The message and hint of a failed `helm upgrade --install`, from helm's reason. */
export function describeInstallFailure(spec: ReleaseSpec, location: ChartLocation, reason: string): { message: string; hint: string | undefined } {
  const message = `helm could not install ${describeInstall(spec, location)}: ${reason}`;
  const ns = spec.namespace;
  switch (classifyInstallFailure(reason, location)) {
    case 'timeout':
      return { message, hint: `pods not ready within ${timeoutArg(spec.timeoutSeconds)}: kubectl get pods -n ${ns} (and kubectl describe the ones not ready)` };
    case 'chart-not-found':
      return { message, hint: `check ${chartsKey(spec)}: name, version, repo or path` };
    case 'plain-http-required':
      return { message, hint: `set plainHttp: true in ${chartsKey(spec)}` };
    case 'unauthorized':
      return { message, hint: `log in with helm registry login, or check ${chartsKey(spec)}` };
    case 'source-unreachable':
      return { message, hint: `check the network and ${chartsKey(spec)}, or install from a bundle (dynamoctl bundle; --charts <dir>)` };
    case 'cluster-unreachable':
      return { message, hint: 'check --kubeconfig and --context (or $KUBECONFIG) point at a reachable cluster' };
    case 'operation-in-progress':
      return { message, hint: `a previous helm operation on ${spec.release} did not finish: see helm history ${spec.release} -n ${ns}, then helm rollback or helm uninstall it` };
    case 'other':
      return { message, hint: undefined };
  }
}

/** helm's error when a release is not there (get, status, history, uninstall; helm 3 and 4, any namespace). */
export const isReleaseNotFound = (reason: string): boolean => /(^|: )release: not found$/.test(reason);

/**
 * Writes `values` to `values.json` in a fresh private temporary directory (0700; the file 0600), runs `fn` with
 * its path and removes the directory afterwards, whether `fn` succeeded, failed or the user pressed Ctrl-C.
 */
export async function withValuesFile<T>(values: Record<string, unknown>, fn: (file: string) => Promise<T>): Promise<T> {
  const content = `${JSON.stringify(values, null, 2)}\n`; // before anything exists: a value JSON cannot hold throws here
  const dir = await mkdtemp(join(tmpdir(), VALUES_DIR_PREFIX));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const unregister = onInterrupt(remove);
  try {
    const file = join(dir, 'values.json');
    await writeFile(file, content, { mode: 0o600, flag: 'wx' });
    return await fn(file);
  } finally {
    unregister();
    await remove();
  }
}

/**
 * `helm upgrade --install` one release and wait until its resources are ready. Resolves with what helm
 * installed; throws HelmError naming the release, chart, version and source with helm's reason (and a hint
 * that depends on it). `opts.timeoutMs`, when set, kills helm (HelmTimeoutError); by default only helm's own
 * `--timeout` applies, since killing helm mid-install leaves the release pending.
 */
export async function upgradeInstall(spec: ReleaseSpec, opts: HelmOptions): Promise<ReleaseResult> {
  const found = chartLocation(spec.source);
  if (!found) {
    throw new HelmError(`cannot install ${spec.release}: chart ${spec.source.name} has neither a path nor an http(s):// or oci:// repo (got ${JSON.stringify(spec.source.repo)})`, {
      argv: [],
      stderr: '',
      hint: `set repo or path in ${chartsKey(spec)}`,
    });
  }
  const location = absolute(found);
  timeoutArg(spec.timeoutSeconds); // a bad timeout fails before anything is written or run
  const version = await helmVersion(opts);
  if (spec.takeOwnership && !hasTakeOwnership(version)) {
    throw new HelmError(`${spec.release} must take over objects a removed release left behind, which needs helm 3.17 or newer (found ${version.raw})`, {
      argv: [],
      stderr: '',
      hint: 'upgrade helm, or point the objects’ meta.helm.sh/release-name and release-namespace annotations at the new release',
    });
  }
  return withValuesFile(spec.values, async (file) => {
    const args = upgradeInstallArgs(spec, location, file, version, opts);
    let r: HelmResult;
    try {
      r = await runHelm(args, opts);
    } catch (error) {
      if (error instanceof HelmTimeoutError) {
        throw new HelmTimeoutError(`helm could not install ${describeInstall(spec, location)}: helm did not finish within ${error.timeoutMs / 1000}s and was stopped`, {
          argv: args,
          stderr: error.stderr,
          timeoutMs: error.timeoutMs,
          hint: `the release may be left pending: see helm history ${spec.release} -n ${spec.namespace}`,
        });
      }
      throw error;
    }
    if (r.exitCode !== 0) {
      const { message, hint } = describeInstallFailure(spec, location, helmFailureReason(r.stderr) || `exit code ${r.exitCode}`);
      throw new HelmError(message, { argv: args, stderr: r.stderr, hint });
    }
    const result = parseInstallOutput(r.stdout, args);
    return { ...result, namespace: result.namespace || spec.namespace };
  });
}

/**
 * `helm uninstall --wait`: removes the release and waits until its resources are gone. true when it was
 * removed, false when there was no such release; throws HelmError otherwise (e.g. resources still terminating
 * after `timeoutSeconds`: helm has then already dropped the release record).
 */
export async function uninstallRelease(release: string, namespace: string, timeoutSeconds: number, opts: HelmOptions): Promise<boolean> {
  timeoutArg(timeoutSeconds);
  const version = await helmVersion(opts);
  const args = uninstallArgs(release, namespace, timeoutSeconds, version, opts);
  const r = await runHelm(args, opts);
  if (r.exitCode === 0) return true;
  const reason = helmFailureReason(r.stderr) || `exit code ${r.exitCode}`;
  if (isReleaseNotFound(reason)) return false;
  throw new HelmError(`helm could not uninstall ${release} from namespace ${namespace}: ${reason}`, { argv: args, stderr: r.stderr, hint: uninstallHint(reason, namespace) });
}

function uninstallHint(reason: string, namespace: string): string | undefined {
  if (CLUSTER_UNREACHABLE.test(reason)) return 'check --kubeconfig and --context (or $KUBECONFIG) point at a reachable cluster';
  if (TIMEOUT.test(reason)) return `resources still being deleted (finalizers?): kubectl get all -n ${namespace}`;
  return undefined;
}

/** The release's status, revision, chart and chart version; undefined when there is no such release. */
export async function releaseStatus(release: string, namespace: string, opts: HelmOptions): Promise<ReleaseState | undefined> {
  const o: HelmOptions = { ...opts, timeoutMs: opts.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS };
  const version = await helmVersion(o);
  const args = releaseStatusArgs(release, namespace, version, o);
  const r = await runHelm(args, o);
  if (r.exitCode !== 0) {
    const reason = helmFailureReason(r.stderr) || `exit code ${r.exitCode}`;
    if (isReleaseNotFound(reason)) return undefined;
    throw new HelmError(`helm could not read release ${release} in namespace ${namespace}: ${reason}`, {
      argv: args,
      stderr: r.stderr,
      hint: CLUSTER_UNREACHABLE.test(reason) ? 'check --kubeconfig and --context (or $KUBECONFIG) point at a reachable cluster' : undefined,
    });
  }
  return hasGetMetadata(version) ? parseReleaseMetadata(r.stdout, args) : parseReleaseHistory(r.stdout, args);
}

/**
 * A release that an interrupted run left `pending-install`, `pending-upgrade` or `pending-rollback` blocks
 * every later helm operation ("another operation is in progress"). Called under dynamoctl's install lock,
 * so no other dynamoctl run is working on it: a pending install is uninstalled, a pending upgrade or
 * rollback is rolled back to the last good revision. Returns what was done, or undefined when nothing was
 * pending.
 */
export async function recoverPendingRelease(release: string, namespace: string, timeoutSeconds: number, opts: HelmOptions): Promise<string | undefined> {
  const state = await releaseStatus(release, namespace, opts);
  if (!state?.status.startsWith('pending-')) return undefined;
  if (state.status === 'pending-install') {
    await uninstallRelease(release, namespace, timeoutSeconds, opts);
    return `removed the interrupted first install (${state.status})`;
  }
  const version = await helmVersion(opts);
  const args = ['rollback', release, '-n', namespace, waitArg(version), '--timeout', timeoutArg(timeoutSeconds), ...kubeArgs(opts)];
  const r = await runHelm(args, opts);
  if (r.exitCode !== 0) {
    throw new HelmError(`helm could not roll back the interrupted ${state.status} of ${release} in ${namespace}: ${helmFailureReason(r.stderr) || `exit code ${r.exitCode}`}`, {
      argv: args,
      stderr: r.stderr,
      hint: `inspect it with helm history ${release} -n ${namespace}`,
    });
  }
  return `rolled back the interrupted ${state.status.slice('pending-'.length)}`;
}
