/**
 * Fail-fast waits and connection errors on the real control plane: an etcd pod the scheduler cannot place,
 * a claim no volume can bind, an operator image that does not exist and an etcd that crash-loops (the fake
 * nodes' pod stages, test/cluster/kwok-stages.ts, report them as a kubelet does) each stop the install
 * within the grace, long before helm's or the rollout's timeout, naming the pod or claim and the cluster's
 * reason; a pod whose image pull recovers within the grace is not an error. A closed port, an unknown host
 * and an untrusted server certificate fail the first request within 3 s with one line.
 */
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runCli } from '../helpers/cli.ts';
import { createPki } from '../cluster/pki.ts';
import { CRASH_ANNOTATION, RECOVERS_ANNOTATION } from '../cluster/kwok-stages.ts';
import { installEnvironment, removeByHand } from './environment.ts';
import { cluster, helm, kubectl, kubectlOk, uniqueName, yamlStream } from './cluster.ts';

const env = installEnvironment('failfast');
const installs: { release: string; ns: string }[] = [];
afterAll(() => {
  for (const { release, ns } of installs) removeByHand(release, ns);
});

/** Installs with long helm and rollout timeouts (what fail-fast must beat) and `extra`; returns the run and its seconds. */
function install(release: string, extra: string[]): { code: number | null; stderr: string; seconds: number; ns: string } {
  const ns = uniqueName(release);
  installs.push({ release, ns });
  const t0 = performance.now();
  const r = runCli(
    ['install', '--release', release, '-n', ns, '--yes', '--set', 'dynamoctl.timeouts.helm=5m', '--set', 'dynamoctl.timeouts.rollout=5m', ...extra, '--kubeconfig', cluster().kubeconfig, ...env.common(['install'])],
    { env: cluster().helmEnv, timeoutMs: 150_000 },
  );
  return { code: r.code, stderr: r.stderr, seconds: (performance.now() - t0) / 1000, ns };
}

/** The Error and Hint lines, and that nothing else of the error (no stack) was printed. */
function errorLines(stderr: string): { error: string; hint: string } {
  const lines = stderr.split('\n');
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(lines.filter((l) => l.startsWith('Error: '))).toHaveLength(1);
  return { error: lines.find((l) => l.startsWith('Error: ')) ?? '', hint: lines.find((l) => l.startsWith('Hint: ')) ?? '' };
}

/** helm was cancelled (SIGTERM), not left running until its timeout: it marked the release failed itself. */
function cancelledByUs(release: string, ns: string): void {
  const history = helm(3, ['history', release, '-n', ns, '-o', 'json']);
  expect(history.code, history.stderr).toBe(0);
  expect(JSON.parse(history.stdout)).toEqual([expect.objectContaining({ status: 'failed', description: expect.stringMatching(/context canceled/) })]);
}

describe('fail-fast waits', () => {
  it('an etcd pod that cannot be scheduled stops the install after the default 20 s grace, with the scheduler’s reason, and cancels helm', () => {
    const r = install('ffcpu', ['--no-nats', '--set', 'etcd.resources.requests.cpu=500']);
    expect(r.code, r.stderr).toBe(3);
    const { error, hint } = errorLines(r.stderr);
    expect(error).toMatch(new RegExp(`^Error: etcd cannot start: pod ${r.ns}/ffcpu-etcd-0 cannot be scheduled \\(FailedScheduling, for 2\\ds\\): 0/2 nodes are available: 2 Insufficient cpu\\.`));
    expect(hint).toBe('Hint: no node has enough free cpu for it: lower etcd.resources.requests.cpu, or add nodes with free cpu');
    // while it lasted, the progress said so
    expect(r.stderr).toMatch(/etcd: pod ffcpu-etcd-0 FailedScheduling: 0\/2 nodes are available: 2 Insufficient cpu\..*; giving up after 20s unless it recovers/);
    expect(r.seconds).toBeGreaterThan(20);
    expect(r.seconds).toBeLessThan(90); // helm's own timeout: 300 s
    cancelledByUs('ffcpu-etcd', r.ns);
  });

  it.each([
    ['a storage class that does not exist', () => 'no-such-class', /ProvisioningFailed, for \d+s\): storageclass\.storage\.k8s\.io "no-such-class" not found/],
    [
      'a class with no provisioner and no free volume',
      () => {
        const name = uniqueName('empty-pool');
        kubectlOk(['apply', '-f', '-'], { input: yamlStream([{ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'Immediate' }]) });
        return name;
      },
      /ProvisioningFailed, for \d+s\): no volume plugin matched name: kubernetes\.io\/no-provisioner/,
    ],
  ])('a claim that cannot bind (%s) is named with the PV controller’s reason', (_name, storageClass, reason) => {
    const cls = storageClass();
    const r = install('ffpvc', ['--no-nats', '--fail-fast-grace', '10s', '--set', `etcd.persistence.storageClass=${cls}`]);
    expect(r.code, r.stderr).toBe(3);
    const { error, hint } = errorLines(r.stderr);
    expect(error).toMatch(new RegExp(`^Error: etcd cannot start: volume claim ${r.ns}/data-ffpvc-etcd-0 stays Pending \\(`));
    expect(error).toMatch(reason);
    expect(hint).toBe(`Hint: storage class ${cls} gives it no volume: set etcd.persistence.storageClass to a class that provisions volumes (kubectl get storageclass), or create a matching PersistentVolume`);
    expect(r.seconds).toBeLessThan(60);
    cancelledByUs('ffpvc-etcd', r.ns);
    kubectl(['delete', 'storageclass', cls, '--ignore-not-found']);
  });

  it('an operator image that does not exist stops the rollout wait with the kubelet’s pull error', () => {
    const image = 'registry.example.com/does-not-exist';
    const r = install('ffimg', ['--no-nats', '--no-etcd', '--fail-fast-grace', '15s', '--set', `dynamo-operator.controllerManager.manager.image.repository=${image}`]);
    // its cluster-wide operator stays behind (the install stopped, it did not roll back): the next installs would conflict
    onTestFinished(() => removeByHand('ffimg', r.ns));
    expect(r.code, r.stderr).toBe(3);
    const { error, hint } = errorLines(r.stderr);
    expect(error).toMatch(
      new RegExp(`^Error: the operator cannot start: pod ${r.ns}/ffimg-dynamo-operator-controller-manager-[a-z0-9]+-[a-z0-9]+ cannot pull the image of container manager \\((ErrImagePull|ImagePullBackOff), for 1\\ds\\): .*failed to pull and unpack image "${image}:[^"]+": .*not found`),
    );
    expect(hint).toBe('Hint: check the image name and tag (--operator-image, --operator-tag), the mirror under --registry, and the pull secrets');
    expect(r.stderr).toMatch(/\[fail\] +Waiting for the operator/);
    expect(r.seconds).toBeLessThan(60); // the rollout's own timeout: 300 s
  });

  it('an etcd that keeps crashing is named with its exit code and restarts', () => {
    const r = install('ffcrash', ['--no-nats', '--fail-fast-grace', '15s', '--set-string', `etcd.podAnnotations.${CRASH_ANNOTATION.replaceAll('.', '\\.')}=true`]);
    expect(r.code, r.stderr).toBe(3);
    const { error, hint } = errorLines(r.stderr);
    expect(error).toMatch(new RegExp(`^Error: etcd cannot start: container etcd of pod ${r.ns}/ffcrash-etcd-0 keeps crashing \\(CrashLoopBackOff, for 1\\ds\\): exited with code 1 \\(Error\\); restarted [1-9]\\d* times$`));
    expect(hint).toBe(`Hint: see why it exits: kubectl logs ffcrash-etcd-0 -n ${r.ns} -c etcd --previous`);
    expect(r.seconds).toBeLessThan(60);
    cancelledByUs('ffcrash-etcd', r.ns);
  });

  it('an image pull that recovers within the grace is reported while it lasts, and the install succeeds', () => {
    const r = install('ffok', ['--no-nats', '--fail-fast-grace', '30s', '--set-string', `etcd.podAnnotations.${RECOVERS_ANNOTATION.replaceAll('.', '\\.')}=6s`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/etcd: pod ffok-etcd-0 \(etcd\) (ErrImagePull|ImagePullBackOff): .*; giving up after 30s unless it recovers/);
    expect(kubectlOk(['get', 'statefulset', 'ffok-etcd', '-n', r.ns, '-o', 'jsonpath={.status.readyReplicas}'])).toBe('1');
  });
});

describe('connection errors fail the first request within 3 s, with one line', () => {
  const dir = join(env.work, 'kubeconfigs');
  mkdirSync(dir, { recursive: true });
  const admin = (): { clusters: { cluster: Record<string, string> }[] } => parse(readFileSync(cluster().kubeconfig, 'utf8')) as { clusters: { cluster: Record<string, string> }[] };
  const kubeconfig = (name: string, change: (c: Record<string, string>) => void): string => {
    const config = admin();
    change(config.clusters[0]!.cluster);
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, stringify(config), { mode: 0o600 });
    return file;
  };
  const cases: [string, () => string, RegExp][] = [
    ['a closed port', () => kubeconfig('closed', (c) => (c.server = 'https://127.0.0.1:1')), /^Error: cannot connect to the API server at https:\/\/127\.0\.0\.1:1 \(context "admin@dynamoctl-test"\): connection refused$/],
    ['an unknown host', () => kubeconfig('unknown', (c) => (c.server = 'https://no-such-host.invalid:6443')), /^Error: cannot resolve the host of the API server at https:\/\/no-such-host\.invalid:6443/],
    [
      'a server certificate the kubeconfig’s CA did not sign',
      () => {
        const at = join(dir, 'other-ca');
        mkdirSync(at, { recursive: true });
        const other = createPki(at);
        return kubeconfig('wrong-ca', (c) => (c['certificate-authority-data'] = readFileSync(other.caCert).toString('base64')));
      },
      /^Error: cannot verify the TLS certificate of the API server at https:\/\/127\.0\.0\.1:\d+ \(context "admin@dynamoctl-test"\): unable to verify the first certificate \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/,
    ],
  ];

  it.each(cases)('%s: status and install', (_name, file, message) => {
    const kc = file();
    for (const command of [['status'], ['install', '--yes', '-n', uniqueName('never')]]) {
      const t0 = performance.now();
      const r = runCli([...command, '--kubeconfig', kc, ...env.common(command)], { env: cluster().helmEnv });
      const ms = performance.now() - t0;
      expect(r.code, r.stderr).toBe(3);
      expect(errorLines(r.stderr).error).toMatch(message);
      expect(ms).toBeLessThan(3000);
    }
  });
});
