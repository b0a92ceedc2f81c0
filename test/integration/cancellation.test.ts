/**
 * Stopping on the real control plane: an install whose lock is taken away stops within seconds and
 * changes nothing more; a failing NATS install stops etcd's (helm's process is gone) and the lock is
 * released only after. etcd is kept waiting by a claim no StorageClass can bind, as a real cluster
 * without that class would.
 */
import { spawn, execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath } from '../helpers/cli.ts';
import { cluster, kubectl, uniqueName } from './cluster.ts';
import { installCrdsByHand, installEnvironment, removeByHand } from './environment.ts';

const env = installEnvironment('cancel');
const LEASE = ['lease', 'dynamoctl-install-lock', '-n', 'default'];

interface Running {
  /** Resolves when stderr has printed a line matching `pattern`, with the time it did. */
  when(pattern: RegExp): Promise<number>;
  exit: Promise<{ code: number | null; stderr: string; at: number }>;
}

function start(args: string[]): Running {
  const child = spawn(process.execPath, [cliPath, ...args, '--kubeconfig', cluster().kubeconfig, ...env.common(args)], { env: { ...process.env, ...cluster().helmEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (t: number) => void }[] = [];
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const w of waiters.filter((x) => x.pattern.test(stderr))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(Date.now());
    }
  });
  const exit = new Promise<{ code: number | null; stderr: string; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, stderr, at: Date.now() })));
  return {
    // a run that ends before printing it fails the wait, with what it printed
    when: (pattern) =>
      Promise.race([
        new Promise<number>((resolve) => (pattern.test(stderr) ? resolve(Date.now()) : waiters.push({ pattern, resolve }))),
        exit.then((e) => Promise.reject(new Error(`exited ${e.code} before printing ${pattern}:\n${e.stderr}`))),
      ]),
    exit,
  };
}

/** helm processes still working on `release`. */
const helmFor = (release: string): string[] => {
  try {
    return execFileSync('pgrep', ['-af', `helm.* ${release}( |$)`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

const stuckEtcd = ['--set', 'etcd.persistence.storageClass=no-such-class', '--set', 'dynamoctl.timeouts.helm=2m'];

describe('stopping an install', () => {
  const ns = uniqueName('lost-lock');
  const failing = uniqueName('nats-fails');
  beforeAll(() => {
    // namespace mode never installs the CRDs: an administrator's step
    installCrdsByHand();
  });
  afterAll(() => {
    removeByHand('lost', ns);
    removeByHand('natsfail', failing);
    kubectl(['delete', ...LEASE, '--ignore-not-found']);
  });

  it('stops within seconds when its lock is taken away, and changes nothing more', async () => {
    const run = start(['install', '--release', 'lost', '-n', ns, '--scope', 'namespace', '--no-nats', ...stuckEtcd, '--yes']);
    await run.when(/etcd: helm upgrade --install lost-etcd/);
    const taken = Date.now();
    expect(kubectl(['delete', ...LEASE]).code).toBe(0);
    const { code, stderr, at } = await run.exit;
    expect(code).not.toBe(0);
    expect(stderr).toContain('the install lock was taken or cleared by someone else');
    expect(at - taken).toBeLessThan(15_000);
    expect(helmFor('lost-etcd')).toEqual([]);
    // nothing after the helm step: the operator was never applied
    expect(kubectl(['get', 'deployment', 'lost-dynamo-operator-controller-manager', '-n', ns]).stderr).toContain('NotFound');
  });

  it('stops etcd when NATS fails, and releases the lock only after helm has exited', async () => {
    const run = start(['install', '--release', 'natsfail', '-n', failing, '--scope', 'namespace', '--set', 'dynamoctl.charts.nats.version=0.0.404', '--skip-check', 'chart-sources=helm itself must fail here', ...stuckEtcd, '--yes']);
    const started = await run.when(/etcd: helm upgrade --install natsfail-etcd/);
    const { code, stderr, at } = await run.exit;
    expect(code).toBe(4);
    expect(stderr).toMatch(/nats.*0\.0\.404/);
    expect(at - started).toBeLessThan(20_000);
    expect(helmFor('natsfail-etcd')).toEqual([]);
    expect(kubectl(['get', ...LEASE]).stderr).toContain('NotFound');
    expect(kubectl(['get', 'deployment', 'natsfail-dynamo-operator-controller-manager', '-n', failing]).stderr).toContain('NotFound');
  });
});
