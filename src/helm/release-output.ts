/**
 * What helm prints about releases, parsed: `upgrade --install -o json`, `get metadata -o json` (helm 3.13+)
 * and `history --max 1 -o json` (older helm). Output that is not what helm prints is a HelmError naming the
 * command, never quoted (an install's JSON carries the values).
 */
import { HelmError } from '../errors.ts';
import type { ReleaseResult, ReleaseState } from './install.ts';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const integer = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isInteger(n) ? n : undefined;
};

/** The command a parse error names: `helm upgrade`, `helm get metadata`… (never the values file or the output). */
const commandOf = (argv: readonly string[]): string => `helm ${argv[0] === 'get' ? argv.slice(0, 2).join(' ') : (argv[0] ?? '')}`.trim();

/**
 * The JSON document in helm's stdout. helm 4 prints `Pulled: <ref>` and `Digest: <sha>` on stdout before the
 * JSON when it fetched the chart from an OCI registry (helm 3 prints them on stderr): lines before the first
 * one opening an object or array are skipped.
 */
function parseJson(stdout: string, argv: readonly string[]): unknown {
  const start = /^[[{]/m.exec(stdout)?.index ?? 0;
  try {
    return JSON.parse(stdout.slice(start));
  } catch {
    // what helm printed is not quoted: an install's output holds the values and the manifest
    throw new HelmError(`unexpected output from ${commandOf(argv)}: not JSON (${stdout.length} characters)`, { argv, stderr: '' });
  }
}

/**
 * `helm upgrade --install -o json` → the release. helm prints the whole release (helm 3 and 4 alike):
 * `name`, `namespace`, `version` (the revision), `info.status`, `chart.metadata.{name,version}`, plus the
 * values (`config`) and the `manifest`, which are ignored.
 */
export function parseInstallOutput(stdout: string, argv: readonly string[] = ['upgrade']): ReleaseResult {
  const doc = parseJson(stdout, argv);
  const bad = (why: string): HelmError => new HelmError(`unexpected output from ${commandOf(argv)}: ${why}`, { argv, stderr: '' });
  if (!isObject(doc)) throw bad('not a JSON object');
  const release = text(doc.name);
  const namespace = text(doc.namespace);
  const revision = integer(doc.version);
  const status = isObject(doc.info) ? text(doc.info.status) : undefined;
  const metadata = isObject(doc.chart) && isObject(doc.chart.metadata) ? doc.chart.metadata : undefined;
  const chart = text(metadata?.name);
  const version = text(metadata?.version);
  if (release === undefined || release === '') throw bad('no release name');
  if (revision === undefined) throw bad(`release ${release}: no revision`);
  if (status === undefined) throw bad(`release ${release}: no info.status`);
  if (chart === undefined || version === undefined) throw bad(`release ${release}: no chart.metadata name and version`);
  return { release, namespace: namespace ?? '', chart, version, revision, status };
}

/** `helm upgrade --install --dry-run -o json` → the manifest helm would apply (hooks are kept apart by helm). */
export function parseInstallManifest(stdout: string, argv: readonly string[]): string {
  const doc = parseJson(stdout, argv);
  if (!isObject(doc) || typeof doc.manifest !== 'string') throw new HelmError(`unexpected output from ${commandOf(argv)}: no manifest`, { argv, stderr: '' });
  return doc.manifest;
}

/** `helm get metadata -o json` → the release's state (the same fields in helm 3.13+ and 4). */
export function parseReleaseMetadata(stdout: string, argv: readonly string[] = ['get', 'metadata']): ReleaseState {
  const doc = parseJson(stdout, argv);
  const bad = (why: string): HelmError => new HelmError(`unexpected output from ${commandOf(argv)}: ${why}`, { argv, stderr: '' });
  if (!isObject(doc)) throw bad('not a JSON object');
  const status = text(doc.status);
  const revision = integer(doc.revision);
  const chart = text(doc.chart);
  const version = text(doc.version);
  if (status === undefined || revision === undefined || chart === undefined || version === undefined) throw bad('missing status, revision, chart or version');
  return { status, revision, chart, version };
}

/**
 * `<chart>-<version>` as `helm list` and `helm history` print it → its two halves. The version is the
 * shortest trailing part that is a semantic version (optionally `v`-prefixed), so dashes in the chart name
 * and in a pre-release (grove-charts-v0.1.0-alpha.3) both survive. undefined when there is no such part.
 */
export function splitChartVersion(chart: string): { chart: string; version: string } | undefined {
  const m = /^(.+?)-(v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)$/.exec(chart);
  return m?.[1] && m[2] ? { chart: m[1], version: m[2] } : undefined;
}

/** `helm history --max 1 -o json` (helm < 3.13) → the newest revision's state. */
export function parseReleaseHistory(stdout: string, argv: readonly string[] = ['history']): ReleaseState {
  const doc = parseJson(stdout, argv);
  const bad = (why: string): HelmError => new HelmError(`unexpected output from ${commandOf(argv)}: ${why}`, { argv, stderr: '' });
  if (!Array.isArray(doc) || doc.length === 0) throw bad('not a non-empty JSON array');
  const newest = doc.filter(isObject).reduce<Json | undefined>((a, b) => ((integer(b.revision) ?? -1) > (integer(a?.revision) ?? -1) ? b : a), undefined);
  const revision = integer(newest?.revision);
  const status = text(newest?.status);
  const chartVersion = text(newest?.chart);
  if (revision === undefined || status === undefined || chartVersion === undefined) throw bad('missing revision, status or chart');
  const split = splitChartVersion(chartVersion);
  if (!split) throw bad(`chart ${JSON.stringify(chartVersion)} is not <name>-<version>`);
  return { status, revision, ...split };
}

// helm 4 logs `level=… msg=…` (slog) lines around its error
