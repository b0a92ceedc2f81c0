/**
 * The thin edge through which dynamoctl runs helm. Everything that starts a helm process goes through
 * `runHelm`: execa with an argument array (never a shell), stdin closed (helm must never wait for a prompt),
 * `reject: false` so the exit code, stdout and stderr all come back to be judged by the caller.
 *
 * Values are always passed in files (`-f <file>`), never with `--set`/`--set-string`/`--set-json`/`--set-file`
 * on the command line: an argv is visible to every user of the machine (`ps`), is kept in HelmError.argv and
 * may be printed with --verbose, and values can carry secrets. `runHelm` refuses `--set*` arguments.
 *
 * Which helm: `HelmOptions.binary`, else `$DYNAMOCTL_HELM`, else `helm` on PATH. helm 3 (≥ 3.8) and helm 4
 * are both supported; where their command lines differ (`helm list --all` is gone in 4, which lists every
 * status by default) the functions here ask `helmVersion` first.
 */
import { resolve } from 'node:path';
import { execa } from 'execa';
import type { ChartSource } from '../config/values-schema.ts';
import { HelmError } from '../errors.ts';
import {
  checkLocalChart,
  chartLocation,
  describeShowChartFailure,
  noChartSource,
  showChartArgs,
  timedOut,
  unreadableChart,
  type ChartLocation,
  type ChartSourceCheck,
} from './chart-source.ts';
import { classifyShowChartError, helmErrorLine, parseChartMetadata, parseHelmVersion, parseReleases, type ChartMetadata, type HelmRelease, type HelmVersion } from './parse.ts';

export type { ChartLocation, ChartSourceCheck, ChartSourceFailure, ChartSourceProblem } from './chart-source.ts';
export { helmErrorLine, isSupportedHelmVersion, MIN_HELM_VERSION, parseHelmVersion } from './parse.ts';
export type { ChartMetadata, HelmRelease, HelmVersion } from './parse.ts';

export interface HelmOptions {
  /** The helm executable: a path, or a name looked up on PATH. Default: $DYNAMOCTL_HELM, else `helm`. */
  binary?: string;
  /** Only applied to commands that talk to the cluster (see `kubeArgs`). */
  kubeconfig?: string;
  context?: string;
  /** Added to dynamoctl's own environment, e.g. HELM_CONFIG_HOME, HELM_CACHE_HOME, HELM_DATA_HOME. */
  env?: Record<string, string>;
  /** Kill helm after this long. `runHelm` has no default; the read-only queries here default to 60 s. */
  timeoutMs?: number;
  /**
   * Cancels helm: SIGTERM (helm marks the release failed and exits), SIGKILL 5 s later if it has not; runHelm
   * returns only once helm has exited, then throws HelmCancelledError.
   */
  signal?: AbortSignal;
}

export interface HelmResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The read-only queries (version, show chart, list) give up after this unless `timeoutMs` says otherwise. */
export const DEFAULT_QUERY_TIMEOUT_MS = 60_000;

const INSTALL_HINT = 'install helm ≥ 3.8 or pass --helm-binary';

/** helm was killed after `timeoutMs`. A HelmError, so callers that do not care see a helm failure. */
export class HelmTimeoutError extends HelmError {
  override name = 'HelmTimeoutError';
  readonly timeoutMs: number;

  constructor(message: string, details: { argv: readonly string[]; stderr: string; timeoutMs: number; hint?: string }) {
    super(message, details);
    this.timeoutMs = details.timeoutMs;
  }
}

/** helm was stopped through `HelmOptions.signal`; `reason` is what the signal was aborted with. */
export class HelmCancelledError extends HelmError {
  override name = 'HelmCancelledError';
}

/** The binary runHelm will start, and where that choice came from (for messages). */
export function helmBinary(opts: HelmOptions): { binary: string; from: 'option' | 'env' | 'path' } {
  if (opts.binary) return { binary: opts.binary, from: 'option' };
  const env = process.env.DYNAMOCTL_HELM;
  if (env) return { binary: env, from: 'env' };
  return { binary: 'helm', from: 'path' };
}

/** `--kubeconfig`/`--kube-context` for commands that talk to the cluster (list, install, upgrade, uninstall…). */
export function kubeArgs(opts: HelmOptions): string[] {
  return [...(opts.kubeconfig ? [`--kubeconfig=${opts.kubeconfig}`] : []), ...(opts.context ? [`--kube-context=${opts.context}`] : [])];
}

const SET_FLAG = /^--set(-[a-z]+)?(=|$)/;

/**
 * Runs helm once. Resolves with the exit code and both outputs whatever helm's exit code; throws HelmError only
 * when helm did not run to completion: not found, not executable, killed by a signal, by `timeoutMs`
 * (HelmTimeoutError) or cancelled through `signal` (HelmCancelledError).
 */
export async function runHelm(args: string[], opts: HelmOptions): Promise<HelmResult> {
  const forbidden = args.find((a) => SET_FLAG.test(a));
  if (forbidden !== undefined) {
    // a bug in dynamoctl, not a helm failure: values belong in files (see the module header)
    throw new Error(`runHelm refuses ${forbidden.split('=')[0]}: pass values to helm in a file (-f)`);
  }
  const { binary, from } = helmBinary(opts);
  const result = await execa(binary, args, {
    reject: false,
    stdin: 'ignore',
    env: opts.env ?? {},
    ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
    // the install lock lost, or a sibling install failed: helm is stopped and the child waited for
    ...(opts.signal ? { cancelSignal: opts.signal, forceKillAfterDelay: 5000 } : {}),
  });
  const stdout = typeof result.stdout === 'string' ? result.stdout : '';
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  if (result.isCanceled) throw new HelmCancelledError(`helm ${args.slice(0, 2).join(' ')} was cancelled`, { argv: [...args], stderr, cause: opts.signal?.reason });
  if (typeof result.exitCode === 'number') return { exitCode: result.exitCode, stdout, stderr };

  const argv = [...args];
  const code = typeof result.code === 'string' ? result.code : undefined;
  if (code === 'ENOENT') {
    const where = from === 'path' ? 'on PATH' : from === 'env' ? `at ${binary} (from $DYNAMOCTL_HELM)` : `at ${binary}`;
    throw new HelmError(`helm not found ${where}`, { argv, stderr, hint: INSTALL_HINT, cause: result.cause });
  }
  if (code === 'EACCES') {
    throw new HelmError(`helm at ${binary} cannot be run (permission denied: not an executable file)`, { argv, stderr, hint: INSTALL_HINT, cause: result.cause });
  }
  const command = `helm ${args.slice(0, 2).join(' ')}`;
  if (result.timedOut && opts.timeoutMs !== undefined) {
    throw new HelmTimeoutError(`${command} did not finish within ${opts.timeoutMs / 1000}s`, { argv, stderr, timeoutMs: opts.timeoutMs });
  }
  if (result.signal) throw new HelmError(`${command} was killed by ${result.signal}`, { argv, stderr, cause: result.cause });
  throw new HelmError(`${command} could not be run: ${result.shortMessage ?? 'unknown failure'}`, { argv, stderr, hint: INSTALL_HINT, cause: result.cause });
}

const queryOpts = (opts: HelmOptions): HelmOptions => ({ ...opts, timeoutMs: opts.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS });

/** `helm version --template {{.Version}}` (the same in helm 3 and 4). Throws HelmError when helm cannot run. */
const versions = new Map<string, Promise<HelmVersion>>();

/** helm's version, asked once per binary and environment in a run (every release query needs it). */
export function helmVersion(opts: HelmOptions): Promise<HelmVersion> {
  const key = `${helmBinary(opts).binary}\0${JSON.stringify(opts.env ?? {})}`;
  const known = versions.get(key);
  if (known) return known;
  const asked = askVersion(opts);
  versions.set(key, asked);
  asked.catch(() => versions.delete(key));
  return asked;
}

async function askVersion(opts: HelmOptions): Promise<HelmVersion> {
  const args = ['version', '--template', '{{.Version}}'];
  const r = await runHelm(args, queryOpts(opts));
  const { binary } = helmBinary(opts);
  if (r.exitCode !== 0) {
    throw new HelmError(`${binary} version failed: ${helmErrorLine(r.stderr) || `exit code ${r.exitCode}`}`, { argv: args, stderr: r.stderr, hint: INSTALL_HINT });
  }
  return parseHelmVersion(r.stdout, binary);
}

/**
 * Checks that a chart source resolves, without installing anything: `helm show chart` on the repository, the
 * OCI reference or the local path. Reports every way the source itself can be wrong as `{ ok: false, reason,
 * problem }` and never throws for those; throws HelmError only when helm itself cannot run.
 */
export async function resolveChartSource(source: ChartSource, opts: HelmOptions): Promise<ChartSourceCheck> {
  const found = chartLocation(source);
  if (!found) return noChartSource(source);
  const location: ChartLocation = found.kind === 'path' ? { kind: 'path', path: resolve(found.path) } : found;
  const o = queryOpts(opts);

  const first = await showChart(source, location, o, false);
  if ('timeoutMs' in first) return timedOut(location, first.timeoutMs / 1000);
  if (first.ok) {
    if (location.kind === 'path') return checkLocalChart(source, location, first.chart) ?? { ok: true, chart: first.chart };
    return { ok: true, chart: first.chart };
  }
  if (first.failure === undefined) return unreadableChart(location);
  if (first.failure.kind !== 'not-found' || location.kind === 'path' || source.version === '') {
    return describeShowChartFailure(source, location, first.failure);
  }
  // helm words "no such chart" and "no such version" alike: ask for the newest version to tell them apart
  const latest = await showChart(source, location, o, true);
  if ('timeoutMs' in latest) return describeShowChartFailure(source, location, first.failure);
  if (latest.ok) return describeShowChartFailure(source, location, first.failure, latest);
  return describeShowChartFailure(source, location, first.failure, latest.failure && { ok: false, failure: latest.failure });
}

type ShowChart =
  | { ok: true; chart: ChartMetadata }
  /** `failure` undefined: helm succeeded but printed no chart metadata */
  | { ok: false; failure: ReturnType<typeof classifyShowChartError> | undefined }
  | { timeoutMs: number };

async function showChart(source: ChartSource, location: ChartLocation, opts: HelmOptions, latest: boolean): Promise<ShowChart> {
  let r: HelmResult;
  try {
    r = await runHelm(showChartArgs(source, location, { latest }), opts);
  } catch (error) {
    if (error instanceof HelmTimeoutError) return { timeoutMs: error.timeoutMs };
    throw error;
  }
  if (r.exitCode !== 0) return { ok: false, failure: classifyShowChartError(helmErrorLine(r.stderr)) };
  const chart = parseChartMetadata(r.stdout);
  return chart ? { ok: true, chart } : { ok: false, failure: undefined };
}

/**
 * Every release in every namespace, in every status (`helm list -A -o json`, plus `--all` on helm 3, which
 * otherwise shows only deployed and failed ones; `--max 0` lifts the 256-release page limit).
 */
export async function listReleases(opts: HelmOptions): Promise<HelmRelease[]> {
  const version = await helmVersion(opts);
  const args = ['list', '--all-namespaces', ...(version.major < 4 ? ['--all'] : []), '--max', '0', '--output', 'json', ...kubeArgs(opts)];
  const r = await runHelm(args, queryOpts(opts));
  if (r.exitCode !== 0) {
    const line = helmErrorLine(r.stderr);
    throw new HelmError(`helm list failed: ${line || `exit code ${r.exitCode}`}`, {
      argv: args,
      stderr: r.stderr,
      hint: /cluster unreachable/i.test(line) ? 'check --kubeconfig and --context (or $KUBECONFIG) point at a reachable cluster' : undefined,
    });
  }
  return parseReleases(r.stdout, args);
}
