/**
 * src/helm/install.ts: the pure halves (arguments, output, reasons, hints) against output and stderr captured
 * from real helm 3.22 and 4.3 binaries, and the three commands against a fake helm (a sh script) that records
 * its argv and what it found in the values file while it ran.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { caughtHelmError } from '../../helpers/fixtures.ts';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChartSource } from '../../../src/config/values-schema.ts';
import { HelmError } from '../../../src/errors.ts';
import type { ChartLocation } from '../../../src/helm/chart-source.ts';
import type { HelmVersion } from '../../../src/helm/parse.ts';
import {
  chartArgs,
  classifyInstallFailure,
  describeInstallFailure,
  hasGetMetadata,
  helmFailureReason,
  isReleaseNotFound,
  parseInstallOutput,
  parseReleaseHistory,
  parseReleaseMetadata,
  releaseStatus,
  releaseStatusArgs,
  splitChartVersion,
  timeoutArg,
  uninstallArgs,
  uninstallRelease,
  upgradeInstall,
  upgradeInstallArgs,
  VALUES_DIR_PREFIX,
  waitArg,
  withValuesFile,
  type ReleaseSpec,
} from '../../../src/helm/install.ts';

const v = (raw: string): HelmVersion => {
  const [major = 0, minor = 0, patch = 0] = raw.replace(/^v/, '').split('.').map(Number);
  return { raw, major, minor, patch };
};
const V3 = v('v3.22.0');
const V4 = v('v4.3.1');

const REPO = 'http://127.0.0.1:35687';
const OCI = 'oci://127.0.0.1:42769/charts';
const nats: ChartSource = { name: 'nats', repo: REPO, version: '1.3.2', path: '', plainHttp: false };
const repoLoc: ChartLocation = { kind: 'repo', repo: REPO };
const ociLoc: ChartLocation = { kind: 'oci', repo: OCI, ref: `${OCI}/nats`, host: '127.0.0.1:42769' };
const pathLoc: ChartLocation = { kind: 'path', path: '/charts/nats-1.3.2.tgz' };
const spec = (over: Partial<ReleaseSpec> = {}): ReleaseSpec => ({ release: 'nats', namespace: 'dynamo', source: nats, values: {}, timeoutSeconds: 300, ...over });

// `helm upgrade --install -o json`, shortened (helm 4 adds apply_method; both carry the values and the manifest)
const installOutput = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({
    name: 'nats',
    info: { first_deployed: '2026-11-26T09:53:50Z', last_deployed: '2026-11-26T09:53:50Z', deleted: '', description: 'Install complete', status: 'deployed' },
    chart: { metadata: { name: 'nats', version: '1.3.2', apiVersion: 'v2', appVersion: '2.10.21', type: 'application' } },
    config: { auth: { password: 's3cret-value' } },
    manifest: '---\n# Source: nats/templates/configmap.yaml\n',
    version: 1,
    namespace: 'dynamo',
    ...over,
  });

// captured stderr
const STDERR = {
  repoVersionMissing: `Error: chart "nats" version "9.9.9" not found in ${REPO} repository\n`,
  ociVersionMissing: 'Error: failed to perform "FetchReference" on source: 127.0.0.1:42769/charts/nats:9.9.9: not found\n',
  ociPlainHttp: 'Error: failed to perform "FetchReference" on source: Get "https://127.0.0.1:42769/v2/charts/nats/manifests/1.3.2": http: server gave HTTP response to HTTPS client\n',
  pathMissing: 'Error: path "/charts/nats-1.3.2.tgz" not found\n',
  repoUnreachable: 'Error: looks like "http://127.0.0.1:1" is not a valid chart repository or cannot be reached: Get "http://127.0.0.1:1/index.yaml": dial tcp 127.0.0.1:1: connect: connection refused\n',
  clusterUnreachable3: 'Error: Kubernetes cluster unreachable: stat /nonexistent/kc: no such file or directory\n',
  clusterUnreachable4: 'Error: kubernetes cluster unreachable: stat /nonexistent/kc: no such file or directory\n',
  timeout3: 'Error: UPGRADE FAILED: context deadline exceeded\n',
  timeout4:
    'level=WARN msg="upgrade failed" name=h4 error="resource Deployment/h4/h4 not ready. status: InProgress, message: Available: 0/1\\ncontext deadline exceeded"\n' +
    'Error: UPGRADE FAILED: resource Deployment/h4/h4 not ready. status: InProgress, message: Available: 0/1\ncontext deadline exceeded\n',
  template3:
    'Error: UPGRADE FAILED: template: nats/templates/statefulset.yaml:2:18: executing "nats/templates/statefulset.yaml" at <.Values.config.jetstream>: can\'t evaluate field jetstream in type interface {}\n',
  template4:
    'Error: nats/templates/statefulset.yaml:2:18\n  executing "nats/templates/statefulset.yaml" at <.Values.config.jetstream>:\n    can\'t evaluate field jetstream in type interface {}\n',
  inProgress: 'Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress\n',
  uninstallMissing: 'Error: uninstall: Release not loaded: nats3: release: not found\n',
  uninstallTimeout4:
    'Error: uninstallation completed with 1 error(s): resource ConfigMap/f4/f4-held still exists. status: Terminating, message: Resource scheduled for deletion\ncontext deadline exceeded\n',
  statusMissing: 'Error: release: not found\n',
};

describe('arguments', () => {
  it('chartArgs: the chart as resolveChartSource looks it up, version pinned', () => {
    expect(chartArgs(nats, repoLoc)).toEqual(['nats', '--repo', REPO, '--version', '1.3.2']);
    expect(chartArgs({ ...nats, repo: OCI }, ociLoc)).toEqual([`${OCI}/nats`, '--version', '1.3.2']);
    expect(chartArgs({ ...nats, repo: OCI, plainHttp: true }, ociLoc)).toEqual([`${OCI}/nats`, '--version', '1.3.2', '--plain-http']);
    // helm ignores --version for a local chart: none is passed
    expect(chartArgs({ ...nats, repo: '', path: pathLoc.path }, pathLoc)).toEqual([pathLoc.path]);
    // no version: the newest, pre-releases included, as check and bundle read it
    expect(chartArgs({ ...nats, version: '' }, repoLoc)).toEqual(['nats', '--repo', REPO, '--devel']);
  });

  it('upgradeInstallArgs: helm 3 --wait, helm 4 --wait=watcher; values only as -f <file>', () => {
    const kube = { kubeconfig: '/k', context: 'ctx' };
    const common = ['upgrade', '--install', 'nats', 'nats', '--repo', REPO, '--version', '1.3.2', '--namespace', 'dynamo'];
    const tail = ['--timeout', '300s', '-f', '/tmp/v/values.json', '--output', 'json', '--kubeconfig=/k', '--kube-context=ctx'];
    expect(upgradeInstallArgs(spec({ values: { a: 1 } }), repoLoc, '/tmp/v/values.json', V3, kube)).toEqual([...common, '--wait', ...tail]);
    expect(upgradeInstallArgs(spec(), repoLoc, '/tmp/v/values.json', V4, kube)).toEqual([...common, '--wait=watcher', ...tail]);
    expect(upgradeInstallArgs(spec({ createNamespace: true }), repoLoc, '/tmp/v/values.json', V3, {})).toEqual([
      ...common,
      '--create-namespace',
      '--wait',
      '--timeout',
      '300s',
      '-f',
      '/tmp/v/values.json',
      '--output',
      'json',
    ]);
    // adopting what a release that no longer exists left behind
    expect(upgradeInstallArgs(spec({ takeOwnership: true }), repoLoc, '/tmp/v/values.json', V4, kube)).toEqual([...common, '--take-ownership', '--wait=watcher', ...tail]);
    // a preview (adopt): rendered against the cluster, nothing waited for
    expect(upgradeInstallArgs(spec({ takeOwnership: true }), repoLoc, '/tmp/v/values.json', V3, kube, true)).toEqual([...common, '--take-ownership', '--dry-run=server', ...tail.slice(2)]);
  });

  it('uninstallArgs', () => {
    expect(uninstallArgs('nats', 'dynamo', 120, V3, {})).toEqual(['uninstall', 'nats', '--namespace', 'dynamo', '--wait', '--timeout', '120s']);
    expect(uninstallArgs('nats', 'dynamo', 120, V4, { kubeconfig: '/k' })).toEqual(['uninstall', 'nats', '--namespace', 'dynamo', '--wait=watcher', '--timeout', '120s', '--kubeconfig=/k']);
  });

  it('releaseStatusArgs: get metadata from helm 3.13 on, else the newest history entry', () => {
    expect(hasGetMetadata(v('v3.12.3'))).toBe(false);
    expect(hasGetMetadata(v('v3.13.0'))).toBe(true);
    expect(hasGetMetadata(V4)).toBe(true);
    expect(releaseStatusArgs('nats', 'dynamo', V3, { context: 'c' })).toEqual(['get', 'metadata', 'nats', '--namespace', 'dynamo', '--output', 'json', '--kube-context=c']);
    expect(releaseStatusArgs('nats', 'dynamo', v('v3.8.0'), {})).toEqual(['history', 'nats', '--max', '1', '--namespace', 'dynamo', '--output', 'json']);
  });

  it('waitArg and timeoutArg', () => {
    expect(waitArg(v('v3.8.0'))).toBe('--wait');
    expect(waitArg(v('v5.0.0'))).toBe('--wait=watcher');
    expect(timeoutArg(600)).toBe('600s');
    expect(timeoutArg(1.2)).toBe('2s');
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => timeoutArg(bad)).toThrow(/positive number of seconds/);
  });
});

describe('parsing helm output', () => {
  it('parseInstallOutput: release, chart, version, revision and status (helm 3 and 4 shapes)', () => {
    const expected = { release: 'nats', namespace: 'dynamo', chart: 'nats', version: '1.3.2', revision: 1, status: 'deployed' };
    expect(parseInstallOutput(installOutput())).toEqual(expected);
    expect(parseInstallOutput(installOutput({ apply_method: 'ssa', version: 2 }))).toEqual({ ...expected, revision: 2 });
    // helm 4, chart from an OCI registry: the pull is reported on stdout, before the JSON
    const pulled = 'Pulled: 127.0.0.1:42769/charts/nats:1.3.2\nDigest: sha256:58ead447bd7526515cc8b71cd01c24aa595f57deed0fbe7e89932478f5ab2856\n';
    expect(parseInstallOutput(`${pulled}${installOutput()}\n`)).toEqual(expected);
  });

  it('parseInstallOutput: HelmError on anything else, never quoting the output (it holds the values)', () => {
    const cases: [string, RegExp][] = [
      ['password: s3cret-value', /^unexpected output from helm upgrade: not JSON \(\d+ characters\)$/],
      ['[]', /not a JSON object$/],
      [installOutput({ name: '' }), /no release name$/],
      [installOutput({ version: 'x' }), /release nats: no revision$/],
      [installOutput({ info: {} }), /no info\.status$/],
      [installOutput({ chart: { metadata: { name: 'nats' } } }), /no chart\.metadata name and version$/],
    ];
    for (const [stdout, message] of cases) {
      const e = catchSync(() => parseInstallOutput(stdout, ['upgrade', '--install', 'nats']));
      expect(e).toBeInstanceOf(HelmError);
      expect(e.message).toMatch(message);
      expect(e.message).not.toContain('s3cret');
      expect(e.argv).toEqual(['upgrade', '--install', 'nats']);
    }
  });

  it('parseReleaseMetadata (helm 3 and helm 4 output)', () => {
    const h3 = '{"name":"nats3","chart":"nats","version":"1.3.2","appVersion":"2.10.21","namespace":"t3","revision":1,"status":"deployed","deployedAt":"2026-11-26T09:53:50Z"}';
    const h4 =
      '{"name":"nats4","chart":"nats","version":"1.3.2","appVersion":"2.10.21","labels":{"modifiedAt":"1795686832","name":"nats4","owner":"helm","status":"deployed","version":"1"},"namespace":"t4","revision":1,"status":"deployed","deployedAt":"2026-11-26T09:53:52Z","applyMethod":"ssa"}';
    for (const out of [h3, h4]) expect(parseReleaseMetadata(out)).toEqual({ status: 'deployed', revision: 1, chart: 'nats', version: '1.3.2' });
    expect(() => parseReleaseMetadata('{"name":"x"}')).toThrow(/unexpected output from helm get metadata: missing status, revision, chart or version/);
  });

  it('parseReleaseHistory: the newest revision, chart and version split', () => {
    const out =
      '[{"revision":2,"updated":"2026-11-26T09:55:32Z","status":"failed","chart":"stuck-0.1.0","app_version":"","description":"Upgrade failed"},' +
      '{"revision":3,"updated":"2026-11-26T09:55:34Z","status":"deployed","chart":"grove-charts-v0.1.0-alpha.3","app_version":"","description":"Upgrade complete"}]';
    expect(parseReleaseHistory(out)).toEqual({ status: 'deployed', revision: 3, chart: 'grove-charts', version: 'v0.1.0-alpha.3' });
    expect(() => parseReleaseHistory('[]')).toThrow(/not a non-empty JSON array/);
    expect(() => parseReleaseHistory('[{"revision":1,"status":"deployed","chart":"weird"}]')).toThrow(/chart "weird" is not <name>-<version>/);
  });

  it.each([
    ['nats-1.3.2', { chart: 'nats', version: '1.3.2' }],
    ['kai-scheduler-v0.9.4', { chart: 'kai-scheduler', version: 'v0.9.4' }],
    ['grove-charts-0.1.0-alpha.3', { chart: 'grove-charts', version: '0.1.0-alpha.3' }],
    ['k8s-1-thing-1.0.0+build.5', { chart: 'k8s-1-thing', version: '1.0.0+build.5' }],
    ['nats', undefined],
    ['nats-1.3', undefined],
  ])('splitChartVersion(%s)', (input, expected) => {
    expect(splitChartVersion(input)).toEqual(expected);
  });
});

describe("helm's reasons", () => {
  it('helmFailureReason: one line, with helm 4 continuation lines joined and its log lines skipped', () => {
    expect(helmFailureReason(STDERR.timeout3)).toBe('UPGRADE FAILED: context deadline exceeded');
    expect(helmFailureReason(STDERR.timeout4)).toBe('UPGRADE FAILED: resource Deployment/h4/h4 not ready. status: InProgress, message: Available: 0/1: context deadline exceeded');
    expect(helmFailureReason(STDERR.template4)).toBe(
      'nats/templates/statefulset.yaml:2:18: executing "nats/templates/statefulset.yaml" at <.Values.config.jetstream>: can\'t evaluate field jetstream in type interface {}',
    );
    expect(helmFailureReason(STDERR.template3)).toBe(STDERR.template3.trim().slice('Error: '.length));
    expect(helmFailureReason('Error: first\nlevel=ERROR msg=later\n')).toBe('first');
    expect(helmFailureReason('\u001b[31mError: red\u001b[0m\n')).toBe('red');
    expect(helmFailureReason('panic: boom\n')).toBe('panic: boom');
    expect(helmFailureReason('')).toBe('');
  });

  it.each([
    [STDERR.repoVersionMissing, repoLoc, 'chart-not-found'],
    [STDERR.ociVersionMissing, ociLoc, 'chart-not-found'],
    [STDERR.pathMissing, pathLoc, 'chart-not-found'],
    [STDERR.ociPlainHttp, ociLoc, 'plain-http-required'],
    [STDERR.repoUnreachable, { kind: 'repo', repo: 'http://127.0.0.1:1' }, 'source-unreachable'],
    [STDERR.clusterUnreachable3, repoLoc, 'cluster-unreachable'],
    [STDERR.clusterUnreachable4, repoLoc, 'cluster-unreachable'],
    [STDERR.timeout3, repoLoc, 'timeout'],
    [STDERR.timeout4, ociLoc, 'timeout'],
    [STDERR.inProgress, repoLoc, 'operation-in-progress'],
    [STDERR.template4, repoLoc, 'other'],
    // not about the chart source: an API server refusing is neither a missing chart nor an unreachable repository
    ['Error: INSTALLATION FAILED: failed to create resource: Post "https://10.0.0.1:6443/api": dial tcp 10.0.0.1:6443: connect: connection refused', repoLoc, 'other'],
    ['Error: INSTALLATION FAILED: create: failed to create: namespaces "x" not found', repoLoc, 'other'],
  ] as const)('classifyInstallFailure %#', (stderr, location, kind) => {
    expect(classifyInstallFailure(helmFailureReason(stderr), location)).toBe(kind);
  });

  it('describeInstallFailure: names release, chart, version and source, with a hint for the reason', () => {
    const reason = helmFailureReason(STDERR.repoVersionMissing);
    expect(describeInstallFailure(spec({ component: 'nats' }), repoLoc, reason)).toEqual({
      message: `helm could not install nats 1.3.2 from ${REPO}: ${reason}`,
      hint: 'check dynamoctl.charts.nats: name, version, repo or path',
    });
    expect(describeInstallFailure(spec({ release: 'dynamo-platform-nats' }), repoLoc, reason)).toEqual({
      message: `helm could not install dynamo-platform-nats (nats 1.3.2 from ${REPO}): ${reason}`,
      hint: 'check dynamoctl.charts (chart nats): name, version, repo or path',
    });
    expect(describeInstallFailure(spec({ source: { ...nats, version: '' } }), repoLoc, 'x').message).toBe(`helm could not install nats (latest) from ${REPO}: x`);
    expect(describeInstallFailure(spec({ source: { ...nats, version: '', path: pathLoc.path } }), pathLoc, 'x').message).toBe(`helm could not install nats from local chart ${pathLoc.path}: x`);
    expect(describeInstallFailure(spec({ namespace: 'ns1', timeoutSeconds: 30 }), repoLoc, helmFailureReason(STDERR.timeout3)).hint).toBe(
      'pods not ready within 30s: kubectl get pods -n ns1 (and kubectl describe the ones not ready)',
    );
    expect(describeInstallFailure(spec({ component: 'etcd' }), ociLoc, helmFailureReason(STDERR.ociPlainHttp)).hint).toBe('set plainHttp: true in dynamoctl.charts.etcd');
    expect(describeInstallFailure(spec(), repoLoc, helmFailureReason(STDERR.clusterUnreachable4)).hint).toMatch(/--kubeconfig and --context/);
    expect(describeInstallFailure(spec(), repoLoc, helmFailureReason(STDERR.inProgress)).hint).toMatch(/helm history nats -n dynamo/);
    expect(describeInstallFailure(spec(), repoLoc, helmFailureReason(STDERR.template3)).hint).toBeUndefined();
  });

  it('isReleaseNotFound', () => {
    expect(isReleaseNotFound(helmFailureReason(STDERR.statusMissing))).toBe(true);
    expect(isReleaseNotFound(helmFailureReason(STDERR.uninstallMissing))).toBe(true);
    expect(isReleaseNotFound(helmFailureReason(STDERR.ociVersionMissing))).toBe(false);
    expect(isReleaseNotFound('Kubernetes cluster unreachable')).toBe(false);
  });
});

// ---- the commands, against a fake helm ----

const dir = mkdtempSync(join(tmpdir(), 'dynamoctl-install-unit-'));
const tmp = join(dir, 'tmp');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  // values files go to os.tmpdir(): a private one shows exactly what was created and whether it is gone
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  vi.stubEnv('TMPDIR', tmp);
});
afterEach(() => vi.unstubAllEnvs());

/**
 * `version` prints $FAKE_VERSION. Anything else records its argv (one per line) in $FAKE_LOG.argv, and for
 * `-f <file>` the file's mode, its directory's mode and its content; then prints $FAKE_STDOUT and $FAKE_STDERR
 * and exits $FAKE_EXIT.
 */
const FAKE = `#!/bin/sh
if [ "$1" = version ]; then printf %s "$FAKE_VERSION"; exit 0; fi
mode() { stat -c %a "$1" 2>/dev/null || stat -f %Lp "$1"; }
: > "$FAKE_LOG.argv"
prev=
for a in "$@"; do
  echo "$a" >> "$FAKE_LOG.argv"
  if [ "$prev" = -f ]; then mode "$a" > "$FAKE_LOG.filemode"; mode "$(dirname "$a")" > "$FAKE_LOG.dirmode"; cat "$a" > "$FAKE_LOG.values"; fi
  prev=$a
done
printf %s "$FAKE_STDOUT"
printf %s "$FAKE_STDERR" >&2
exit "\${FAKE_EXIT:-0}"
`;
const fakeBinary = join(dir, 'fake-helm');
writeFileSync(fakeBinary, FAKE);
chmodSync(fakeBinary, 0o755);

function fake(env: { version?: string; stdout?: string; stderr?: string; exit?: number } = {}) {
  const log = join(dir, `log-${Math.random().toString(36).slice(2)}`);
  const opts = {
    binary: fakeBinary,
    env: { FAKE_VERSION: env.version ?? 'v3.22.0', FAKE_LOG: log, FAKE_STDOUT: env.stdout ?? '', FAKE_STDERR: env.stderr ?? '', FAKE_EXIT: String(env.exit ?? 0) },
  };
  const read = (what: string): string | undefined => (existsSync(`${log}.${what}`) ? readFileSync(`${log}.${what}`, 'utf8') : undefined);
  return { opts, argv: () => (read('argv') ?? '').trim().split('\n'), read };
}

function catchSync(fn: () => unknown): HelmError {
  try {
    fn();
  } catch (e) {
    return e as HelmError;
  }
  throw new Error('did not throw');
}

const caught = caughtHelmError;

describe('withValuesFile', () => {
  it('a 0600 JSON file in a fresh 0700 directory, removed after success and after failure', async () => {
    const seen: string[] = [];
    const out = await withValuesFile({ a: { b: [1, 'on', null] } }, async (file) => {
      seen.push(file);
      expect(file.startsWith(join(tmp, VALUES_DIR_PREFIX))).toBe(true);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ a: { b: [1, 'on', null] } });
      return 'done';
    });
    expect(out).toBe('done');
    await expect(withValuesFile({}, () => Promise.reject(new Error('helm failed')))).rejects.toThrow('helm failed');
    expect(readdirSync(tmp)).toEqual([]);
    expect(seen).toHaveLength(1);
  });

  it('values JSON cannot hold: nothing is created', async () => {
    await expect(withValuesFile({ n: 1n }, () => Promise.resolve())).rejects.toThrow(TypeError);
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('upgradeInstall', () => {
  it.each([
    ['v3.22.0', '--wait'],
    ['v4.3.1', '--wait=watcher'],
  ])('helm %s: runs upgrade --install with %s, values only in a private file, and returns the release', async (version, wait) => {
    const f = fake({ version, stdout: installOutput({ version: 2 }) });
    const values = { auth: { password: 's3cret-value' }, config: { monitor: { enabled: false } } };
    const r = await upgradeInstall(spec({ values, createNamespace: true, timeoutSeconds: 90 }), { ...f.opts, kubeconfig: '/k' });
    expect(r).toEqual({ release: 'nats', namespace: 'dynamo', chart: 'nats', version: '1.3.2', revision: 2, status: 'deployed' });

    const argv = f.argv();
    const file = argv[argv.indexOf('-f') + 1] ?? '';
    expect(argv).toEqual([
      'upgrade',
      '--install',
      'nats',
      'nats',
      '--repo',
      REPO,
      '--version',
      '1.3.2',
      '--namespace',
      'dynamo',
      '--create-namespace',
      wait,
      '--timeout',
      '90s',
      '-f',
      file,
      '--output',
      'json',
      '--kubeconfig=/k',
    ]);
    expect(argv.join(' ')).not.toContain('s3cret');
    expect(file).toMatch(new RegExp(`^${tmp}/${VALUES_DIR_PREFIX}[^/]+/values\\.json$`));
    expect(f.read('filemode')?.trim()).toBe('600');
    expect(f.read('dirmode')?.trim()).toBe('700');
    expect(JSON.parse(f.read('values') ?? '')).toEqual(values);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('a local path is made absolute; OCI with plainHttp gets --plain-http', async () => {
    const f = fake({ stdout: installOutput() });
    await upgradeInstall(spec({ source: { ...nats, repo: '', path: 'charts/nats-1.3.2.tgz' } }), f.opts);
    expect(f.argv().slice(0, 5)).toEqual(['upgrade', '--install', 'nats', join(process.cwd(), 'charts/nats-1.3.2.tgz'), '--namespace']);
    const g = fake({ stdout: installOutput() });
    await upgradeInstall(spec({ source: { ...nats, repo: `${OCI}/`, plainHttp: true } }), g.opts);
    expect(g.argv().slice(3, 7)).toEqual([`${OCI}/nats`, '--version', '1.3.2', '--plain-http']);
  });

  it('helm fails: HelmError naming release, chart, version and source with helm’s reason; the values file is gone', async () => {
    const f = fake({ stderr: STDERR.repoVersionMissing, exit: 1 });
    const e = await caught(upgradeInstall(spec({ release: 'dynamo-nats', component: 'nats', values: { secret: 'x' } }), f.opts));
    expect(e.message).toBe(`helm could not install dynamo-nats (nats 1.3.2 from ${REPO}): chart "nats" version "9.9.9" not found in ${REPO} repository`);
    expect(e.hint).toBe('check dynamoctl.charts.nats: name, version, repo or path');
    expect(e.stderr).toBe(STDERR.repoVersionMissing.trim());
    expect(e.argv[0]).toBe('upgrade');
    expect(f.read('values')).toBeDefined();
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('helm fails without saying why: the exit code', async () => {
    const e = await caught(upgradeInstall(spec(), fake({ exit: 2 }).opts));
    expect(e.message).toBe(`helm could not install nats 1.3.2 from ${REPO}: exit code 2`);
  });

  it('helm killed by opts.timeoutMs: HelmTimeoutError naming the release; the values file is gone', async () => {
    const hang = join(dir, 'hang-helm');
    writeFileSync(hang, '#!/bin/sh\nif [ "$1" = version ]; then printf v3.22.0; exit 0; fi\nexec sleep 10\n');
    chmodSync(hang, 0o755);
    const e = await caught(upgradeInstall(spec(), { binary: hang, timeoutMs: 300 }));
    expect(e.name).toBe('HelmTimeoutError');
    expect(e.message).toBe(`helm could not install nats 1.3.2 from ${REPO}: helm did not finish within 0.3s and was stopped`);
    expect(e.hint).toMatch(/helm history nats -n dynamo/);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('no chart source, or a bad timeout: HelmError / Error before helm runs or a file is written', async () => {
    const f = fake({ stdout: installOutput() });
    const e = await caught(upgradeInstall(spec({ component: 'nats', source: { ...nats, repo: 'nats-io' } }), f.opts));
    expect(e.message).toBe('cannot install nats: chart nats has neither a path nor an http(s):// or oci:// repo (got "nats-io")');
    expect(e.hint).toBe('set repo or path in dynamoctl.charts.nats');
    await expect(upgradeInstall(spec({ timeoutSeconds: 0 }), f.opts)).rejects.toThrow(/positive number of seconds/);
    expect(f.read('argv')).toBeUndefined();
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('uninstallRelease', () => {
  it.each([
    ['v3.22.0', '--wait'],
    ['v4.3.1', '--wait=watcher'],
  ])('helm %s: uninstall %s; true when removed', async (version, wait) => {
    const f = fake({ version, stdout: 'release "nats" uninstalled\n' });
    expect(await uninstallRelease('nats', 'dynamo', 60, f.opts)).toBe(true);
    expect(f.argv()).toEqual(['uninstall', 'nats', '--namespace', 'dynamo', wait, '--timeout', '60s']);
  });

  it('false when there is no such release', async () => {
    expect(await uninstallRelease('nats', 'dynamo', 60, fake({ stderr: STDERR.uninstallMissing, exit: 1 }).opts)).toBe(false);
  });

  it('HelmError otherwise, with a hint when resources are still being deleted', async () => {
    const e = await caught(uninstallRelease('f4', 'f4', 3, fake({ version: 'v4.3.1', stderr: STDERR.uninstallTimeout4, exit: 1 }).opts));
    expect(e.message).toBe(
      'helm could not uninstall f4 from namespace f4: uninstallation completed with 1 error(s): resource ConfigMap/f4/f4-held still exists. status: Terminating, message: Resource scheduled for deletion: context deadline exceeded',
    );
    expect(e.hint).toBe('resources still being deleted (finalizers?): kubectl get all -n f4');
    const u = await caught(uninstallRelease('nats', 'dynamo', 3, fake({ stderr: STDERR.clusterUnreachable3, exit: 1 }).opts));
    expect(u.hint).toMatch(/--kubeconfig/);
  });
});

describe('releaseStatus', () => {
  const metadata = '{"name":"nats","chart":"nats","version":"1.3.2","appVersion":"2.10.21","namespace":"dynamo","revision":4,"status":"failed","deployedAt":"2026-11-26T09:53:50Z"}';

  it('helm ≥ 3.13: get metadata', async () => {
    const f = fake({ version: 'v4.3.1', stdout: metadata });
    expect(await releaseStatus('nats', 'dynamo', f.opts)).toEqual({ status: 'failed', revision: 4, chart: 'nats', version: '1.3.2' });
    expect(f.argv()).toEqual(['get', 'metadata', 'nats', '--namespace', 'dynamo', '--output', 'json']);
  });

  it('helm < 3.13: the newest history entry', async () => {
    const f = fake({ version: 'v3.12.3', stdout: '[{"revision":1,"updated":"x","status":"deployed","chart":"nats-1.3.2","app_version":"2.10.21","description":"Install complete"}]' });
    expect(await releaseStatus('nats', 'dynamo', f.opts)).toEqual({ status: 'deployed', revision: 1, chart: 'nats', version: '1.3.2' });
    expect(f.argv()).toEqual(['history', 'nats', '--max', '1', '--namespace', 'dynamo', '--output', 'json']);
  });

  it('undefined when there is no such release; HelmError for other failures', async () => {
    expect(await releaseStatus('nats', 'dynamo', fake({ stderr: STDERR.statusMissing, exit: 1 }).opts)).toBeUndefined();
    const e = await caught(releaseStatus('nats', 'dynamo', fake({ version: 'v4.3.1', stderr: STDERR.clusterUnreachable4, exit: 1 }).opts));
    expect(e.message).toBe('helm could not read release nats in namespace dynamo: kubernetes cluster unreachable: stat /nonexistent/kc: no such file or directory');
    expect(e.hint).toMatch(/--kubeconfig/);
  });
});
