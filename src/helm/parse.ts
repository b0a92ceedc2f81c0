/**
 * The pure half of the helm edge: turning what helm prints into typed values and short human reasons.
 * No processes, no I/O, so every rule here is unit-tested against stderr captured from real helm 3 and 4
 * binaries (test/fixtures/helm/<version>/).
 */
import { parse as parseYaml } from 'yaml';
import { HelmError } from '../errors.ts';

export interface HelmVersion {
  /** Exactly what helm printed, e.g. "v3.22.0". */
  raw: string;
  major: number;
  minor: number;
  patch: number;
}

/** The oldest helm dynamoctl supports: OCI registries became stable (no experimental flag) in 3.8. */
export const MIN_HELM_VERSION = { major: 3, minor: 8 } as const;

/** One release as `helm list -o json` reports it (helm prints the revision as a string; we make it a number). */
export interface HelmRelease {
  name: string;
  namespace: string;
  revision: number;
  /** helm's own timestamp format, e.g. "2026-11-26 09:22:16.106847165 +0000 UTC". */
  updated: string;
  /** deployed, failed, pending-install, pending-upgrade, pending-rollback, superseded, uninstalling, uninstalled, unknown */
  status: string;
  /** `<chart name>-<chart version>`, e.g. "nats-1.3.2". */
  chart: string;
  app_version: string;
}

/** What `helm show chart` tells us about a chart (from its Chart.yaml). */
export interface ChartMetadata {
  name: string;
  version: string;
  appVersion?: string;
}

// eslint-disable-next-line no-control-regex -- ANSI colour sequences are exactly what this removes
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Helm's failure as one line: the first line starting with "Error:", without that prefix. helm 4 logs
 * `level=ERROR msg=...` lines before it, helm 3 sometimes prints warnings; both are skipped. When there is no
 * "Error:" line (a crash, a signal) the first non-empty line is returned; '' when stderr is empty.
 */
export function helmErrorLine(stderr: string): string {
  const lines = stderr.replace(ANSI, '').split(/\r?\n/).map((l) => l.trim());
  const error = lines.find((l) => l.startsWith('Error:'));
  if (error !== undefined) return error.slice('Error:'.length).trim();
  return lines.find((l) => l !== '') ?? '';
}

/** "v3.22.0", "v4.0.0-rc.1", "3.8.2+g1234" → numbers. Throws HelmError when helm printed something else. */
export function parseHelmVersion(raw: string, binary = 'helm'): HelmVersion {
  const text = raw.trim();
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?$/.exec(text);
  if (!m) {
    throw new HelmError(`could not read the helm version from ${binary}: it printed ${JSON.stringify(text.slice(0, 80))}`, {
      argv: ['version', '--template', '{{.Version}}'],
      stderr: '',
      hint: 'install helm ≥ 3.8 or pass --helm-binary',
    });
  }
  return { raw: text, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** True for helm ≥ MIN_HELM_VERSION (any 3.8+ and every later major). */
export function isSupportedHelmVersion(v: HelmVersion): boolean {
  return v.major > MIN_HELM_VERSION.major || (v.major === MIN_HELM_VERSION.major && v.minor >= MIN_HELM_VERSION.minor);
}

/** Chart.yaml as `helm show chart` prints it; undefined when it is not a chart's metadata. */
export function parseChartMetadata(stdout: string): ChartMetadata | undefined {
  let doc: unknown;
  try {
    doc = parseYaml(stdout);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const { name, version, appVersion } = doc as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') return undefined;
  // YAML may read an unquoted version like 1.0 as a number: keep helm's meaning (a string).
  if (typeof version !== 'string' && typeof version !== 'number') return undefined;
  const chart: ChartMetadata = { name, version: String(version) };
  if (typeof appVersion === 'string' || typeof appVersion === 'number') chart.appVersion = String(appVersion);
  return chart;
}

/** `helm list -o json` → releases. Throws HelmError when the output is not the list helm promises. */
export function parseReleases(stdout: string, argv: readonly string[] = ['list']): HelmRelease[] {
  const bad = (why: string): HelmError => new HelmError(`unexpected output from helm list: ${why}`, { argv, stderr: '' });
  let doc: unknown;
  try {
    doc = JSON.parse(stdout.trim() === '' ? '[]' : stdout);
  } catch {
    throw bad(`not JSON: ${JSON.stringify(stdout.slice(0, 80))}`);
  }
  if (!Array.isArray(doc)) throw bad('not a JSON array');
  return doc.map((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) throw bad(`entry ${i} is not an object`);
    const r = item as Record<string, unknown>;
    const str = (key: string): string => {
      const v = r[key];
      if (v === undefined || v === null) return '';
      if (typeof v !== 'string' && typeof v !== 'number') throw bad(`entry ${i}: ${key} is not a string`);
      return String(v);
    };
    const revision = Number(str('revision'));
    if (!Number.isInteger(revision)) throw bad(`entry ${i}: revision ${JSON.stringify(r.revision)} is not a number`);
    return {
      name: str('name'),
      namespace: str('namespace'),
      revision,
      updated: str('updated'),
      status: str('status'),
      chart: str('chart'),
      app_version: str('app_version'),
    };
  });
}

/**
 * Why `helm show chart` failed, from its error line (helmErrorLine). helm 3 and 4 word these the same.
 * `not-found` is ambiguous on purpose: helm says the same for a missing chart and a missing version, so the
 * caller asks once more (without a version) to tell them apart.
 */
export type ShowChartFailure =
  | { kind: 'not-found' }
  | { kind: 'unreachable'; detail: string }
  | { kind: 'not-a-repository'; detail: string }
  | { kind: 'plain-http-required' }
  | { kind: 'unauthorized'; detail: string }
  | { kind: 'path-missing' }
  | { kind: 'other'; detail: string };

const UNREACHABLE =
  /connection refused|no such host|i\/o timeout|network is unreachable|no route to host|connection reset|TLS handshake timeout|context deadline exceeded|Client\.Timeout|server misbehaving|EOF$/;

export function classifyShowChartError(line: string): ShowChartFailure {
  if (/^path ".*" not found$/.test(line)) return { kind: 'path-missing' };
  if (/server gave HTTP response to HTTPS client/.test(line)) return { kind: 'plain-http-required' };
  // HTTP repository: `chart "x" version "y" not found in <url> repository` (or without the version)
  if (/^chart ".*" (version ".*" )?not found in .* repository$/.test(line)) return { kind: 'not-found' };
  if (/status code 40[13]\b|\b40[13] (Unauthorized|Forbidden)|unauthorized|denied|authentication required/i.test(line)) return { kind: 'unauthorized', detail: tail(line) };
  if (UNREACHABLE.test(line)) return { kind: 'unreachable', detail: unreachableDetail(line) };
  // reachable, but no index.yaml there: `... cannot be reached: failed to fetch <url>/index.yaml : 404 Not Found`
  const noIndex = /is not a valid chart repository or cannot be reached: failed to fetch (\S+) : (.+)$/.exec(line);
  if (noIndex) return { kind: 'not-a-repository', detail: `${noIndex[1]}: ${noIndex[2]}` };
  // OCI: a missing tag is `...FetchReference" on source: <ref>: not found`; a missing repository is a 404 on tags/list
  if (/: not found$|response status code 404|name unknown|manifest unknown/.test(line)) return { kind: 'not-found' };
  return { kind: 'other', detail: line };
}

function unreachableDetail(line: string): string {
  const host = /lookup (\S+?)(?: on \S+)?: no such host/.exec(line);
  if (host) return `host ${host[1]} not found`;
  if (/connection refused/.test(line)) return 'connection refused';
  if (/i\/o timeout|deadline exceeded|Client\.Timeout|TLS handshake timeout/.test(line)) return 'timed out';
  return tail(line);
}

/** The most specific part of a Go error chain: what follows the last ": ". */
function tail(line: string): string {
  const i = line.lastIndexOf(': ');
  return i === -1 ? line : line.slice(i + 2);
}
