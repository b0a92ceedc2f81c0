/**
 * src/helm/install.ts against the real helm 3 and helm 4 binaries, the run's chart repository, OCI registry and
 * control plane (kwok makes pods ready): install, upgrade with changed values, status, uninstall, and the ways
 * an install fails. Every test works in namespaces of its own and removes them.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { caughtHelmError } from '../helpers/fixtures.ts';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChartSource } from '../../src/config/values-schema.ts';
import { helmVersion, runHelm, type HelmOptions } from '../../src/helm/helm.ts';
import { parseReleaseHistory, releaseStatus, releaseStatusArgs, uninstallRelease, upgradeInstall, VALUES_DIR_PREFIX, type ReleaseSpec } from '../../src/helm/install.ts';
import { cluster, kubectl, kubectlOk, uniqueName } from './cluster.ts';

const HELMS = [
  { major: 3, binary: () => cluster().binaries.helm3 },
  { major: 4, binary: () => cluster().binaries.helm4 },
] as const;

const pkg = (name: string) => {
  const p = cluster().charts.packages.find((c) => c.name === name);
  if (!p) throw new Error(`the ${name} fixture chart is not published`);
  return p;
};
const fromRepo = (name: string, over: Partial<ChartSource> = {}): ChartSource => ({ name, repo: cluster().charts.httpRepo, version: pkg(name).version, path: '', plainHttp: false, ...over });

// Small charts of our own, for what the fixtures cannot do: never become ready, and hold a resource on delete.
const work = mkdtempSync(join(tmpdir(), 'dynamoctl-helm-install-it-'));
function chart(name: string, template: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(join(dir, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`);
  writeFileSync(join(dir, 'templates', 'main.yaml'), template);
  return dir;
}
const NEVER_READY = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: 1
  selector: {matchLabels: {app: never-ready}}
  template:
    metadata: {labels: {app: never-ready}}
    spec:
      nodeSelector: {dynamoctl.test/no-such-node: "true"}
      containers: [{name: c, image: busybox}]
`;
const HELD = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-held
  finalizers: [dynamoctl.test/hold]
data: {a: b}
`;
const localSource = (name: string, path: string): ChartSource => ({ name, repo: '', version: '0.1.0', path, plainHttp: false });

// values files go to os.tmpdir(): a private one shows every values directory made and whether it is gone
const tmp = join(work, 'tmp');
const valuesDirs = (): string[] => readdirSync(tmp).filter((e) => e.startsWith(VALUES_DIR_PREFIX));
beforeAll(() => {
  mkdirSync(tmp);
  vi.stubEnv('TMPDIR', tmp);
});
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(work, { recursive: true, force: true });
});

const caught = caughtHelmError;

describe.each(HELMS)('helm $major', ({ major, binary }) => {
  const opts = (): HelmOptions => ({ binary: binary(), env: cluster().helmEnv, kubeconfig: cluster().kubeconfig });
  const namespaces: string[] = [];
  const namespace = (): string => {
    const ns = uniqueName(`install${major}`);
    namespaces.push(ns);
    return ns;
  };
  const spec = (over: Partial<ReleaseSpec> & { namespace: string }): ReleaseSpec => ({ release: 'nats', source: fromRepo('nats'), values: {}, timeoutSeconds: 120, createNamespace: true, ...over });

  beforeEach(() => expect(valuesDirs()).toEqual([]));
  // whatever happened, no values file is left behind
  afterEach(() => expect(valuesDirs()).toEqual([]));
  afterAll(() => {
    for (const ns of namespaces) kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
  });

  const servicePorts = (ns: string, name: string): string[] => kubectlOk(['get', 'service', name, '-n', ns, '-o', 'jsonpath={.spec.ports[*].name}']).trim().split(' ');
  const readyReplicas = (ns: string, name: string): string => kubectlOk(['get', 'statefulset', name, '-n', ns, '-o', 'jsonpath={.status.readyReplicas}']);

  it('installs nats from the HTTP repository into a new namespace, upgrades it with changed values, reports and uninstalls it', async () => {
    const ns = namespace();
    expect(await releaseStatus('nats', ns, opts())).toBeUndefined();

    const first = await upgradeInstall(spec({ namespace: ns, values: { config: { monitor: { enabled: true } } } }), opts());
    expect(first).toEqual({ release: 'nats', namespace: ns, chart: 'nats', version: '1.3.2', revision: 1, status: 'deployed' });
    // --wait: ready when upgradeInstall returns, not eventually
    expect(readyReplicas(ns, 'nats')).toBe('1');
    // as the real chart: the client Service carries the nats port, the headless one monitor too
    expect(servicePorts(ns, 'nats')).toEqual(['nats']);
    expect(servicePorts(ns, 'nats-headless')).toEqual(['nats', 'monitor']);
    expect(await releaseStatus('nats', ns, opts())).toEqual({ status: 'deployed', revision: 1, chart: 'nats', version: '1.3.2' });

    const second = await upgradeInstall(spec({ namespace: ns, values: { config: { monitor: { enabled: false } } } }), opts());
    expect(second).toEqual({ ...first, revision: 2 });
    expect(servicePorts(ns, 'nats')).toEqual(['nats']);
    expect(servicePorts(ns, 'nats-headless')).toEqual(['nats']);
    expect(await releaseStatus('nats', ns, opts())).toEqual({ status: 'deployed', revision: 2, chart: 'nats', version: '1.3.2' });

    // the helm < 3.13 way (newest history entry) reads the same from this helm
    const old = { raw: 'v3.12.3', major: 3, minor: 12, patch: 3 };
    const args = releaseStatusArgs('nats', ns, old, opts());
    const history = await runHelm(args, opts());
    expect(history.exitCode, history.stderr).toBe(0);
    expect(parseReleaseHistory(history.stdout, args)).toEqual({ status: 'deployed', revision: 2, chart: 'nats', version: '1.3.2' });

    expect(await uninstallRelease('nats', ns, 60, opts())).toBe(true);
    expect(await releaseStatus('nats', ns, opts())).toBeUndefined();
    expect(kubectlOk(['get', 'statefulsets,services,configmaps', '-n', ns, '-l', 'app.kubernetes.io/instance=nats', '-o', 'name'])).toBe('');
    expect(await uninstallRelease('nats', ns, 60, opts())).toBe(false);
  });

  it('installs etcd from the OCI registry over plain HTTP', async () => {
    const ns = namespace();
    const source = fromRepo('etcd', { repo: cluster().charts.ociRepo, plainHttp: true });
    const r = await upgradeInstall(spec({ namespace: ns, release: 'etcd', source, values: { replicaCount: 1 } }), opts());
    expect(r).toEqual({ release: 'etcd', namespace: ns, chart: 'etcd', version: '12.0.18', revision: 1, status: 'deployed' });
    expect(readyReplicas(ns, 'etcd')).toBe('1');
    expect(await uninstallRelease('etcd', ns, 60, opts())).toBe(true);
  });

  it('installs from a local .tgz, under a release name of its own', async () => {
    const ns = namespace();
    const source: ChartSource = { ...fromRepo('nats'), repo: '', path: pkg('nats').file };
    const r = await upgradeInstall(spec({ namespace: ns, release: 'platform-nats', source }), opts());
    expect(r).toEqual({ release: 'platform-nats', namespace: ns, chart: 'nats', version: '1.3.2', revision: 1, status: 'deployed' });
    expect(readyReplicas(ns, 'platform-nats')).toBe('1');
    expect(await releaseStatus('platform-nats', ns, opts())).toMatchObject({ status: 'deployed', chart: 'nats' });
    expect(await uninstallRelease('platform-nats', ns, 60, opts())).toBe(true);
  });

  it('a version the source does not have: HelmError naming the chart, the version and the source; nothing installed', async () => {
    const ns = namespace();
    const repo = cluster().charts.httpRepo;
    const e = await caught(upgradeInstall(spec({ namespace: ns, source: fromRepo('nats', { version: '9.9.9' }), component: 'nats', values: { a: 1 } }), opts()));
    expect(e.message).toBe(`helm could not install nats 9.9.9 from ${repo}: chart "nats" version "9.9.9" not found in ${repo} repository`);
    expect(e.hint).toBe('check dynamoctl.charts.nats: name, version, repo or path');

    const oci = cluster().charts.ociRepo;
    const o = await caught(upgradeInstall(spec({ namespace: ns, source: fromRepo('nats', { repo: oci, plainHttp: true, version: '9.9.9' }) }), opts()));
    expect(o.message).toMatch(new RegExp(`^helm could not install nats 9\\.9\\.9 from ${oci.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*nats:9\\.9\\.9: not found$`));
    expect(o.hint).toBe('check dynamoctl.charts (chart nats): name, version, repo or path');
    expect(await releaseStatus('nats', ns, opts())).toBeUndefined();
  });

  it('pods that never become ready: HelmError when --timeout runs out, the hint points at the pods, the release is failed', async () => {
    const ns = namespace();
    const path = chart('never-ready', NEVER_READY);
    const started = Date.now();
    const e = await caught(upgradeInstall(spec({ namespace: ns, release: 'stuck', source: localSource('never-ready', path), timeoutSeconds: 3 }), opts()));
    // helm waited (3s), rather than returning at once as helm 4 does without --wait=watcher
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    expect(e.message).toMatch(new RegExp(`^helm could not install stuck \\(never-ready 0\\.1\\.0 from local chart ${path}\\): .*context deadline exceeded$`));
    if (major === 4) expect(e.message).toContain(`resource Deployment/${ns}/stuck not ready`);
    expect(e.hint).toBe(`pods not ready within 3s: kubectl get pods -n ${ns} (and kubectl describe the ones not ready)`);
    expect(await releaseStatus('stuck', ns, opts())).toEqual({ status: 'failed', revision: 1, chart: 'never-ready', version: '0.1.0' });
    expect(await uninstallRelease('stuck', ns, 60, opts())).toBe(true);
  });

  it('uninstall waits for the resources to be deleted: a resource held by a finalizer runs out the timeout', async () => {
    const ns = namespace();
    const path = chart('held', HELD);
    await upgradeInstall(spec({ namespace: ns, release: 'held', source: localSource('held', path) }), opts());
    try {
      const e = await caught(uninstallRelease('held', ns, 2, opts()));
      expect(e.message).toMatch(new RegExp(`^helm could not uninstall held from namespace ${ns}: uninstallation completed with 1 error\\(s\\): .*context deadline exceeded$`));
      expect(e.hint).toBe(`resources still being deleted (finalizers?): kubectl get all -n ${ns}`);
      // helm has dropped the release record all the same
      expect(await releaseStatus('held', ns, opts())).toBeUndefined();
    } finally {
      kubectl(['patch', 'configmap', 'held-held', '-n', ns, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    }
  });

  it('is this helm major', async () => {
    expect((await helmVersion(opts())).major).toBe(major);
  });
});
