/**
 * `dynamoctl check` against the real control plane: every row of the operator-conflict matrix for both
 * kinds of existing install (dynamoctl's and the upstream chart's), upgrades, scope changes, leftovers,
 * the chart's edge-case release names, a namespace-admin user, and broken connections.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { restrictedKubeconfig } from '../cluster/control-plane.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { defaultStorageClass, writeChartSources } from '../helpers/fixtures.ts';
import { cluster, kubectl, kubectlOk, uniqueName, yamlStream } from './cluster.ts';
import { installOperator, type InstalledBy, type OperatorSpec } from './operators.ts';

interface Report {
  verdict?: { verdict: string; rule: string; upgrade: boolean; summary: string };
  operators?: { release: string; namespace?: string; scope: string; targetNamespace?: string; installedBy: string; running: boolean }[];
  checks: { id: string; status: string; message?: string; hint?: string; details?: string[] }[];
  exitCode: number;
}

const work = mkdtempSync(join(tmpdir(), 'dynamoctl-check-'));
let chartValues = '';
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const STORAGE_CLASS = defaultStorageClass('dynamoctl-test-default');

beforeAll(() => {
  // every chart from the loopback fixture repository, at the pinned versions
  chartValues = writeChartSources(join(work, 'charts.yaml'), cluster().charts.httpRepo);
  kubectlOk(['apply', '--server-side', '-f', '-'], { input: yamlStream([STORAGE_CLASS]) });
});
afterAll(() => {
  kubectl(['delete', 'storageclass', STORAGE_CLASS.metadata.name, '--ignore-not-found']);
});

function check(args: string[], kubeconfig = cluster().kubeconfig): CliResult {
  return runCli(['check', '--kubeconfig', kubeconfig, '-f', chartValues, '--helm-binary', cluster().binaries.helm3, ...args], { env: cluster().helmEnv });
}

function checkJson(args: string[], kubeconfig?: string): Report & { code: number | null; stderr: string } {
  const r = check([...args, '-o', 'json'], kubeconfig);
  expect(r.stderr, 'check printed to stderr').toBe('');
  return { ...(JSON.parse(r.stdout) as Report), code: r.code, stderr: r.stderr };
}

const status = (report: Report, id: string) => report.checks.find((c) => c.id === id);

function existing(spec: OperatorSpec, by: InstalledBy): void {
  cleanups.push(installOperator(spec, by));
}

describe('check on a cluster with no Dynamo operator', () => {
  it('passes every check for a cluster-wide install (exit 0) and reports the matrix row', () => {
    const r = checkJson(['-n', uniqueName('dyn')]);
    expect(r.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.verdict).toMatchObject({ verdict: 'allowed', rule: 'none-cluster', upgrade: false });
    // other files may leave kept CRDs behind (helm.sh/resource-policy: keep), so either answer passes
    expect(status(r, 'crds')).toMatchObject({ status: 'pass', message: expect.stringMatching(/^(\d CRDs missing; install will add them|6 CRDs established)$/) });
    expect(status(r, 'gpu-nodes')).toMatchObject({ status: 'pass', message: expect.stringMatching(/8 GPUs on 1 of \d+ nodes/) });
  });

  it('allows a namespace-restricted install', () => {
    const r = checkJson(['--scope', 'namespace', '-n', uniqueName('team')]);
    expect(r.verdict).toMatchObject({ verdict: 'allowed', rule: 'none-namespace' });
  });

  it('prints a readable report with a summary line when not asked for JSON', () => {
    const r = check(['-n', uniqueName('dyn')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[ok\] {3}operator-conflicts: no existing Dynamo operator conflicts with this install/m);
    expect(r.stdout).toMatch(/^\d+ passed, \d+ warnings, 0 failed, 0 skipped$/m);
  });

  it('fails the storage check when no default StorageClass exists for the etcd and NATS volumes', () => {
    kubectlOk(['delete', 'storageclass', STORAGE_CLASS.metadata.name]);
    cleanups.push(() => kubectlOk(['apply', '--server-side', '-f', '-'], { input: yamlStream([STORAGE_CLASS]) }));
    // the control plane's own default class, as a real cluster has one: not the default for this test
    const standard = cluster().storage.defaultClass;
    const mark = (value: string) => kubectlOk(['annotate', 'storageclass', standard, `storageclass.kubernetes.io/is-default-class=${value}`, '--overwrite']);
    mark('false');
    cleanups.push(() => mark('true'));
    const r = checkJson(['-n', uniqueName('dyn')]);
    expect(status(r, 'storage-class')).toMatchObject({ status: 'fail', message: 'no default StorageClass: the etcd and NATS volumes would stay Pending' });
    expect(r.code).toBe(5);
    expect(status(checkJson(['-n', uniqueName('dyn'), '--set', 'etcd.persistence.enabled=false,nats.config.jetstream.fileStore.pvc.enabled=false']), 'storage-class')?.status).toBe('pass');
  });

  it('fails the chart-source check for a version the repository does not have', () => {
    const r = checkJson(['-n', uniqueName('dyn'), '--set', 'dynamoctl.charts.etcd.version=99.0.0']);
    expect(status(r, 'chart-sources')).toMatchObject({ status: 'fail', details: [expect.stringMatching(/^etcd: /)] });
    expect(r.code).toBe(5);
  });
});

describe.each<InstalledBy>(['dynamoctl', 'helm-chart'])('the conflict matrix against an operator installed by %s', (by) => {

  const rows: [string, OperatorSpec, string[], 'allowed' | 'blocked', string][] = [
    ['cluster-wide → cluster-wide', { release: 'old', namespace: 'ops', scope: 'cluster' }, ['-n', 'dyn'], 'blocked', 'cluster-cluster'],
    ['cluster-wide → namespace-restricted', { release: 'old', namespace: 'ops', scope: 'cluster' }, ['--scope', 'namespace', '-n', 'team-a'], 'blocked', 'cluster-namespace'],
    ['namespace-restricted → cluster-wide', { release: 'old', namespace: 'team-a', scope: 'namespace' }, ['-n', 'dyn'], 'blocked', 'namespace-cluster'],
    ['namespace-restricted A → B', { release: 'old', namespace: 'team-a', scope: 'namespace' }, ['--scope', 'namespace', '-n', 'team-b'], 'allowed', 'namespace-namespace-other'],
    ['namespace-restricted A → A', { release: 'old', namespace: 'team-a', scope: 'namespace' }, ['--scope', 'namespace', '-n', 'team-c', '--target-namespace', 'team-a'], 'blocked', 'namespace-namespace-same'],
  ];
  it.each(rows)('%s', (_name, spec, args, verdict, rule) => {
    const suffix = uniqueName('x').slice(2);
    const rename = (ns: string): string => `${ns}-${suffix}`;
    existing({ ...spec, release: `${spec.release}-${suffix}`, namespace: rename(spec.namespace) }, by);
    const renamedArgs = args.map((a, i) => (['-n', '--target-namespace'].includes(args[i - 1] ?? '') ? rename(a) : a));
    const r = checkJson(renamedArgs);
    expect(r.verdict).toMatchObject({ verdict, rule });
    const found = r.operators?.find((o) => o.release === `${spec.release}-${suffix}`);
    expect(found).toMatchObject({ namespace: rename(spec.namespace), scope: spec.scope, installedBy: by, running: true });
    if (spec.scope === 'namespace') expect(found?.targetNamespace).toBe(rename(spec.namespace));
    // (namespace mode also fails the CRD check here: this cluster has no Dynamo CRDs; the exit code of an
    // allowed verdict is covered above)
    expect(status(r, 'operator-conflicts')?.status).toBe(verdict === 'blocked' ? 'fail' : 'pass');
    if (verdict === 'blocked') {
      expect(r.code).toBe(5);
      const conflict = status(r, 'operator-conflicts')!;
      expect(conflict.status).toBe('fail');
      const fix = by === 'dynamoctl' ? `dynamoctl uninstall --release ${spec.release}-${suffix} -n ${rename(spec.namespace)}` : `helm uninstall ${spec.release}-${suffix} -n ${rename(spec.namespace)}`;
      expect(conflict.details).toContain(`  fix: ${fix}`);
    }
  });

  it('treats re-running the same release and scope as an upgrade', () => {
    const ns = uniqueName('dyn');
    existing({ release: 'dynamo-platform', namespace: ns, scope: 'cluster' }, by);
    expect(checkJson(['-n', ns]).verdict).toMatchObject({ verdict: 'allowed', upgrade: true });
  });

  it('judges a release changing scope against everyone except itself', () => {
    const ns = uniqueName('team');
    existing({ release: 'self', namespace: ns, scope: 'namespace' }, by);
    expect(checkJson(['--release', 'self', '-n', ns]).verdict).toMatchObject({ verdict: 'allowed', upgrade: true });
    existing({ release: 'other', namespace: uniqueName('team'), scope: 'namespace' }, by);
    expect(checkJson(['--release', 'self', '-n', ns]).verdict).toMatchObject({ verdict: 'blocked', rule: 'namespace-cluster', upgrade: true });
  });

  it('reports RBAC without an operator as a leftover, with the command that removes it, without blocking', () => {
    const ns = uniqueName('gone');
    existing({ release: 'ghost', namespace: ns, scope: 'cluster', leftover: true }, by);
    const r = checkJson(['-n', uniqueName('dyn')]);
    expect(r.verdict?.verdict).toBe('allowed');
    const leftovers = status(r, 'leftovers')!;
    expect(leftovers.status).toBe('warn');
    expect(leftovers.details?.join('\n')).toContain('kubectl delete clusterrole ghost-dynamo-operator-manager-role');
    expect(r.code).toBe(0);
  });
});

describe('release names the chart gets wrong', () => {
  it.each([
    ['dynamo-operator', 'dynamo-operator'],
    ['prod-dynamo-operator', 'prod-dynamo-operator'],
  ])('finds an upstream install whose release is %s', (release) => {
    const ns = uniqueName('edge');
    existing({ release, namespace: ns, scope: 'cluster' }, 'helm-chart');
    const r = checkJson(['-n', uniqueName('dyn')]);
    expect(r.operators).toContainEqual(expect.objectContaining({ release, namespace: ns, scope: 'cluster', installedBy: 'helm-chart', running: true }));
    expect(r.verdict).toMatchObject({ verdict: 'blocked', rule: 'cluster-cluster' });
  });
});

describe('a namespace-admin user', () => {
  it('gets the missing permissions and the admin command, and nothing is written', () => {
    const ns = uniqueName('alice-ns');
    const kubeconfig = restrictedKubeconfig(cluster(), uniqueName('alice'), ns);
    const before = kubectlOk(['get', 'all,roles,rolebindings,secrets,serviceaccounts,configmaps', '-n', ns, '-o', 'name']);
    const r = checkJson(['--scope', 'namespace', '-n', ns], kubeconfig);
    expect(r.code).toBe(5);
    expect(status(r, 'authenticated')?.status).toBe('pass');
    const permissions = status(r, 'permissions')!;
    expect(permissions.status).toBe('fail');
    expect(permissions.details?.join('\n')).toMatch(/get,create,patch,delete clusterroles\.rbac\.authorization\.k8s\.io \(cluster-wide\)/);
    expect(status(r, 'crds')).toMatchObject({ status: 'fail', hint: expect.stringMatching(/^a cluster administrator must run: helm upgrade --install dynamo-crds dynamo-crds --repo http:\/\/127\.0\.0\.1:\d+ --version 0\.8\.1 -n default$/) });
    expect(status(r, 'leftovers')).toMatchObject({ status: 'skip' });
    // a namespace install is judged within the namespaces the user can see, and says so
    expect(status(r, 'operator-conflicts')).toMatchObject({ status: 'pass', message: expect.stringMatching(/only namespace .* could be checked/) });
    expect(checkJson(['-n', ns], kubeconfig).checks.find((c) => c.id === 'operator-conflicts')).toMatchObject({ status: 'fail', message: expect.stringMatching(/^cannot tell: you may not list/) });
    expect(kubectlOk(['get', 'all,roles,rolebindings,secrets,serviceaccounts,configmaps', '-n', ns, '-o', 'name'])).toBe(before);
  });
});

describe('broken connections give one clear error', () => {
  const admin = (): Record<string, unknown> => parse(readFileSync(cluster().kubeconfig, 'utf8')) as Record<string, unknown>;
  const write = (name: string, config: unknown): string => {
    const file = join(work, name);
    writeFileSync(file, typeof config === 'string' ? config : stringify(config), { mode: 0o600 });
    return file;
  };
  const withServer = (server: string): unknown => {
    const c = admin() as { clusters: { cluster: Record<string, string> }[] };
    c.clusters[0]!.cluster.server = server;
    return c;
  };
  let silent: Server;
  beforeAll(async () => {
    // accepts connections and never answers: a hung API server
    silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });
  afterAll(() => silent.close());

  const cases: [string, () => string[], number, RegExp][] = [
    ['an unreachable server', () => ['--kubeconfig', write('refused.yaml', withServer('https://127.0.0.1:1'))], 3, /cannot connect to the API server at https:\/\/127\.0\.0\.1:1 .*connection refused/],
    ['an unknown host', () => ['--kubeconfig', write('unknown.yaml', withServer('https://no-such-host.invalid:6443'))], 3, /cannot resolve the host of the API server at https:\/\/no-such-host\.invalid:6443/],
    ['a server that never answers', () => ['--kubeconfig', write('silent.yaml', withServer(`https://127.0.0.1:${(silent.address() as { port: number }).port}`)), '--timeout', '1s'], 3, /no answer from the API server .* within 1s/],
    ['a kubeconfig that is not YAML', () => ['--kubeconfig', write('garbage.yaml', 'clusters: [oops\n')], 2, /cannot read the kubeconfig/],
    ['a missing kubeconfig', () => ['--kubeconfig', join(work, 'nope.yaml')], 2, /kubeconfig .*nope\.yaml does not exist/],
    ['a context that does not exist', () => ['--context', 'prod'], 2, /context "prod" is not in the kubeconfig.*\n.*use one of: admin@dynamoctl-test/],
  ];
  it.each(cases)('%s', (_name, args, code, message) => {
    const r = runCli(['check', '--kubeconfig', cluster().kubeconfig, '-f', chartValues, '--helm-binary', cluster().binaries.helm3, ...args()], { env: cluster().helmEnv });
    expect(r.code).toBe(code);
    expect(`${r.stdout}${r.stderr}`).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('an expired client certificate', async () => {
    const dir = cluster().dir;
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const pem = (s: string): ArrayBuffer => {
      const b = Buffer.from(s.replace(/-----[^-]+-----|\s/g, ''), 'base64');
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    };
    const caCert = new x509.X509Certificate(readFileSync(join(dir, 'ca.crt'), 'utf8'));
    const caKey = await crypto.subtle.importKey('pkcs8', pem(readFileSync(join(dir, 'ca.key'), 'utf8')), alg, false, ['sign']);
    const keys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: '0a',
      subject: 'CN=expired-user',
      issuer: caCert.subject,
      notBefore: new Date(Date.now() - 2 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
      signingKey: caKey,
      publicKey: keys.publicKey,
      signingAlgorithm: alg,
    });
    const keyPem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64')}\n-----END PRIVATE KEY-----\n`;
    const c = admin() as { users: { user: Record<string, string> }[] };
    c.users[0]!.user = { 'client-certificate-data': Buffer.from(cert.toString('pem')).toString('base64'), 'client-key-data': Buffer.from(keyPem).toString('base64') };
    const r = runCli(['check', '--kubeconfig', write('expired.yaml', c), '-f', chartValues, '--helm-binary', cluster().binaries.helm3], { env: cluster().helmEnv });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/rejected the credentials of context "admin@dynamoctl-test" \(401 Unauthorized\)/);
  });
});
