/**
 * The image preflight (`check`'s `images`) against real registries on loopback: distribution's registry
 * without auth, with htpasswd basic auth, and with token auth behind the bearer-token server of
 * test/cluster/registry.ts; pull secrets read from the control plane; a mirror under --registry filled with
 * what `dynamoctl bundle` lists; a registry on a closed port; and `install --skip-check images`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rewriteRegistry } from '../../src/config/images.ts';
import { freePort } from '../cluster/processes.ts';
import { startRegistry, type LocalRegistry } from '../cluster/registry.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { writeChartSources } from '../helpers/fixtures.ts';
import { cluster, kubectl, kubectlOk, uniqueName } from './cluster.ts';

interface CheckResult {
  id: string;
  status: string;
  message?: string;
  details?: string[];
  durationMs: number;
}

const work = mkdtempSync(join(tmpdir(), 'dynamoctl-images-'));
const alice = { username: 'alice', password: 'Pa55:word-never-printed' };
const registries: LocalRegistry[] = [];
let plain: LocalRegistry;
let basic: LocalRegistry;
let token: LocalRegistry;
let chartValues = '';
const namespaces: string[] = [];

beforeAll(async () => {
  chartValues = writeChartSources(join(work, 'charts.yaml'), cluster().charts.httpRepo);
  plain = await startRegistry(work, 'plain', { kind: 'none' });
  basic = await startRegistry(work, 'basic', { kind: 'basic', users: [alice] });
  token = await startRegistry(work, 'token', { kind: 'token', users: [alice], anonymousPullPrefix: 'public/' });
  registries.push(plain, basic, token);
  for (const r of registries) for (const repo of ['dynamo/operator', 'dynamo/proxy', 'dynamo/debugger', 'public/debugger']) await r.push(repo, '1.0');
});
afterAll(async () => {
  await Promise.all(registries.map((r) => r.stop()));
  for (const ns of namespaces) kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
  rmSync(work, { recursive: true, force: true });
});

/** The three operator images (no NATS or etcd to install): each placed where a test wants it. */
function operatorImages(o: { operator: string; proxy: string; debugger: string }): string[] {
  const at = o.operator.lastIndexOf(':');
  const proxy = o.proxy.lastIndexOf(':');
  return [
    '--no-nats',
    '--no-etcd',
    '--set',
    'dynamo-operator.natsAddr=nats://nats.example:4222,dynamo-operator.etcdAddr=etcd.example:2379',
    '--operator-image',
    o.operator.slice(0, at),
    '--operator-tag',
    o.operator.slice(at + 1),
    '--set-string',
    `dynamo-operator.controllerManager.kubeRbacProxy.image.repository=${o.proxy.slice(0, proxy)},dynamo-operator.controllerManager.kubeRbacProxy.image.tag=${o.proxy.slice(proxy + 1)}`,
    '--set-string',
    `dynamo-operator.dynamo.internalImages.debugger=${o.debugger}`,
  ];
}

function check(args: string[], output: 'json' | 'table' = 'json'): CliResult {
  return runCli(['check', '--kubeconfig', cluster().kubeconfig, '-f', chartValues, '--helm-binary', cluster().binaries.helm3, ...args, ...(output === 'json' ? ['-o', 'json'] : [])], {
    env: cluster().helmEnv,
  });
}

function imagesCheck(args: string[]): CheckResult & { code: number | null; raw: string } {
  const r = check(args);
  expect(r.stderr, 'check printed to stderr').toBe('');
  const report = JSON.parse(r.stdout) as { checks: CheckResult[] };
  return { ...report.checks.find((c) => c.id === 'images')!, code: r.code, raw: r.stdout };
}

/** A namespace holding a docker-registry pull secret for `server`. */
function namespaceWithSecret(server: string, user: { username: string; password: string }, name = 'regcred'): string {
  const ns = uniqueName('img');
  namespaces.push(ns);
  kubectlOk(['create', 'namespace', ns]);
  kubectlOk(['create', 'secret', 'docker-registry', name, '-n', ns, `--docker-server=${server}`, `--docker-username=${user.username}`, `--docker-password=${user.password}`]);
  return ns;
}

describe('a registry without auth', () => {
  const images = () => ({ operator: `${plain.host}/dynamo/operator:1.0`, proxy: `${plain.host}/dynamo/proxy:1.0`, debugger: `${plain.host}/dynamo/debugger:1.0` });

  it('passes when every image exists', () => {
    const r = imagesCheck(['-n', uniqueName('img'), ...operatorImages(images())]);
    expect(r).toMatchObject({ status: 'pass', message: '3 images: 3 exist' });
  });

  it('fails naming the missing image and the fix; a digest is a reference too', async () => {
    const r = imagesCheck(['-n', uniqueName('img'), ...operatorImages({ ...images(), operator: `${plain.host}/dynamo/operator:9.9` })]);
    expect(r).toMatchObject({ status: 'fail', message: '3 images: 1 missing, 2 exist' });
    expect(r.details?.[0]).toBe(`${plain.host}/dynamo/operator:9.9: missing (${plain.host} has no such manifest)`);
    expect(r.details?.[1]).toMatch(/^ {2}fix: fix the repository or tag/);
    expect(r.code).toBe(5);

    const digest = await plain.push('dynamo/pinned', '2.0');
    expect(imagesCheck(['-n', uniqueName('img'), ...operatorImages({ ...images(), debugger: `${plain.host}/dynamo/pinned@${digest}` })]).status).toBe('pass');
    const absent = `${plain.host}/dynamo/pinned@sha256:${'0'.repeat(64)}`;
    expect(imagesCheck(['-n', uniqueName('img'), ...operatorImages({ ...images(), debugger: absent })]).details?.[0]).toBe(`${absent}: missing (${plain.host} has no such manifest)`);
  });
});

describe('a registry with basic auth', () => {
  const images = () => ({ operator: `${basic.host}/dynamo/operator:1.0`, proxy: `${basic.host}/dynamo/proxy:1.0`, debugger: `${plain.host}/dynamo/debugger:1.0` });

  it('fails as unauthorized without a pull secret', () => {
    const r = imagesCheck(['-n', uniqueName('img'), ...operatorImages(images())]);
    expect(r).toMatchObject({ status: 'fail', message: '3 images: 2 unauthorized, 1 exist' });
    expect(r.details).toContain(`${basic.host}/dynamo/operator:1.0: unauthorized (${basic.host} wants credentials, and no pull secret of the pod has any for it)`);
  });

  it('pulls with the credentials of the pull secret in the cluster', () => {
    const ns = namespaceWithSecret(basic.host, alice);
    expect(imagesCheck(['-n', ns, '--image-pull-secret', 'regcred', ...operatorImages(images())])).toMatchObject({ status: 'pass', message: '3 images: 3 exist' });
  });

  it('reports refused credentials by the secret’s name, never the password', () => {
    const wrong = { username: alice.username, password: 'Wrong-pa55-never-printed' };
    const ns = namespaceWithSecret(basic.host, wrong);
    const r = imagesCheck(['-n', ns, '--image-pull-secret', 'regcred', ...operatorImages(images())]);
    expect(r.status).toBe('fail');
    expect(r.details).toContain(`${basic.host}/dynamo/proxy:1.0: unauthorized (${basic.host} refused the credentials of secret ${ns}/regcred)`);
    const table = check(['-n', ns, '--image-pull-secret', 'regcred', ...operatorImages(images())], 'table');
    for (const text of [r.raw, table.stdout, table.stderr]) {
      expect(text).not.toContain(wrong.password);
      expect(text).not.toContain(Buffer.from(`${wrong.username}:${wrong.password}`).toString('base64'));
    }
  });
});

describe('a registry behind a bearer-token server', () => {
  it('gets an anonymous token for a public repository, and fails a private one without credentials', async () => {
    const before = await token.tokenRequests();
    const images = { operator: `${token.host}/dynamo/operator:1.0`, proxy: `${plain.host}/dynamo/proxy:1.0`, debugger: `${token.host}/public/debugger:1.0` };
    const r = imagesCheck(['-n', uniqueName('img'), ...operatorImages(images)]);
    expect(r).toMatchObject({ status: 'fail', message: '3 images: 1 unauthorized, 2 exist' });
    expect(r.details?.[0]).toBe(`${token.host}/dynamo/operator:1.0: unauthorized (${token.host} wants credentials, and no pull secret of the pod has any for it)`);
    expect(await token.tokenRequests()).toBeGreaterThan(before);
  });

  it('uses the registry credentials of the values (the secret dynamoctl generates) for the components’ images', () => {
    const images = { operator: `${plain.host}/dynamo/operator:1.0`, proxy: `${plain.host}/dynamo/proxy:1.0`, debugger: `${token.host}/dynamo/debugger:1.0` };
    const credentials = (password: string) => [
      '--set',
      `dynamo-operator.dynamo.dockerRegistry.useKubernetesSecret=true,dynamo-operator.dynamo.dockerRegistry.server=${token.host},dynamo-operator.dynamo.dockerRegistry.username=${alice.username}`,
      '--set-string',
      `dynamo-operator.dynamo.dockerRegistry.password=${password}`,
    ];
    expect(imagesCheck(['-n', uniqueName('img'), ...operatorImages(images), ...credentials(alice.password)])).toMatchObject({ status: 'pass', message: '3 images: 3 exist' });
    const wrong = 'Wrong-t0ken-pa55';
    const r = imagesCheck(['-n', uniqueName('img'), ...operatorImages(images), ...credentials(wrong)]);
    expect(r.status).toBe('fail');
    expect(r.details?.[0]).toMatch(new RegExp(`^${token.host}/dynamo/debugger:1\\.0: unauthorized \\(${token.host} refused the credentials of secret img-[0-9a-f]+/dynamo-platform-dynamo-operator-regcred\\)$`));
    expect(r.raw).not.toContain(wrong);
  });
});

describe('a mirror under --registry', () => {
  let bundled: string[] = [];
  beforeAll(() => {
    // what the install pulls with Grove and Kai, as `dynamoctl bundle` lists it (rendered from the pulled charts)
    const r = runCli(['bundle', join(work, 'bundle'), '-f', chartValues, '--helm-binary', cluster().binaries.helm3, '-o', 'json'], { env: cluster().helmEnv });
    expect(r.code, r.stderr).toBe(0);
    bundled = (JSON.parse(r.stdout) as { images: string[] }).images;
  });

  it('asks every image bundle lists, at its mirror path, and passes once all are copied', async () => {
    const mirror = `${plain.host}/mirror`;
    for (const image of bundled) await pushImage(plain, rewriteRegistry(image, mirror));
    const r = imagesCheck(['-n', uniqueName('img'), '--registry', mirror, '--grove', '--kai']);
    expect(bundled.length).toBeGreaterThanOrEqual(15);
    expect(r).toMatchObject({ status: 'pass', message: `${bundled.length} images: ${bundled.length} exist` });
  });

  it('names the image the mirror lacks and says to copy it', async () => {
    const mirror = `${plain.host}/partial`;
    const lacking = rewriteRegistry(bundled.find((i) => i.startsWith('nats:'))!, mirror);
    for (const image of bundled.map((i) => rewriteRegistry(i, mirror)).filter((i) => i !== lacking)) await pushImage(plain, image);
    const r = imagesCheck(['-n', uniqueName('img'), '--registry', mirror, '--grove', '--kai']);
    expect(r).toMatchObject({ status: 'fail', message: `${bundled.length} images: 1 missing, ${bundled.length - 1} exist` });
    expect(r.details?.slice(0, 2)).toEqual([`${lacking}: missing (${plain.host} has no such manifest)`, expect.stringMatching(/^ {2}fix: copy the image into the mirror at this path/)]);
  });
});

describe('a registry not reachable from here', () => {
  it('warns, fast, and does not fail the check', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const images = { operator: `${closed}/dynamo/operator:1.0`, proxy: `${plain.host}/dynamo/proxy:1.0`, debugger: `${plain.host}/dynamo/debugger:1.0` };
    const r = imagesCheck(['-n', uniqueName('img'), ...operatorImages(images)]);
    expect(r).toMatchObject({ status: 'warn', message: '3 images: 1 not verified, 2 exist' });
    expect(r.details?.[0]).toBe(`${closed} is not reachable from here (connection refused): ${closed}/dynamo/operator:1.0`);
    expect(r.code).toBe(0);
    expect(r.durationMs).toBeLessThan(2000);
  });

  it('warns about the public registries of the default install without failing (no internet here)', () => {
    const r = imagesCheck(['-n', uniqueName('img')]);
    // where the public registries do answer, this is a pass; never a failure
    expect(['warn', 'pass']).toContain(r.status);
    expect(r.message).toMatch(/^\d+ images: /);
  });
});

describe('install --skip-check images', () => {
  it('refuses a missing image and lets it through with a reason', () => {
    const ns = uniqueName('img');
    const args = ['install', '--dry-run', '-n', ns, '--kubeconfig', cluster().kubeconfig, '-f', chartValues, '--helm-binary', cluster().binaries.helm3];
    const images = operatorImages({ operator: `${plain.host}/dynamo/operator:9.9`, proxy: `${plain.host}/dynamo/proxy:1.0`, debugger: `${plain.host}/dynamo/debugger:1.0` });
    const refused = runCli([...args, ...images], { env: cluster().helmEnv });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain(`${plain.host}/dynamo/operator:9.9: missing`);
    const through = runCli([...args, ...images, '--skip-check', 'images=the tag is pushed by CI before rollout'], { env: cluster().helmEnv });
    expect(through.code, through.stderr).toBe(0);
    expect(through.stderr).toMatch(/images: 3 images: 1 missing, 2 exist \(skipped on request\)/);
  });
});

/** Pushes a small image as `reference` (host/repository:tag) into `registry`. */
function pushImage(registry: LocalRegistry, reference: string): Promise<string> {
  const path = reference.slice(registry.host.length + 1);
  const colon = path.lastIndexOf(':');
  return registry.push(path.slice(0, colon), path.slice(colon + 1));
}
