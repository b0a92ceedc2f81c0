/** runHelm and friends against binaries that are missing, not executable, or small fake helms (sh scripts). */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { caughtHelmError } from '../../helpers/fixtures.ts';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ExitCode } from '../../../src/errors.ts';
import { HelmCancelledError, HelmTimeoutError, helmVersion, kubeArgs, listReleases, resolveChartSource, runHelm } from '../../../src/helm/helm.ts';
import type { ChartSource } from '../../../src/config/values-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'dynamoctl-helm-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

const HINT = 'install helm ≥ 3.8 or pass --helm-binary';
const nats: ChartSource = { name: 'nats', repo: 'http://127.0.0.1:1', version: '1.3.2', path: '', plainHttp: false };

function script(name: string, body: string, mode = 0o755): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, mode);
  return file;
}

/** A fake helm: `version` prints $FAKE_VERSION; everything else logs its argv (one per line) and prints []. */
function fakeHelm(): { binary: string; log: string } {
  const log = join(dir, `argv-${Math.random().toString(36).slice(2)}.log`);
  const binary = script('fake-helm', 'if [ "$1" = version ]; then printf %s "$FAKE_VERSION"; exit 0; fi\nfor a in "$@"; do echo "$a" >> "$FAKE_LOG"; done\necho "[]"');
  return { binary, log };
}

const caught = caughtHelmError;

describe('a helm that cannot run', () => {
  it('missing at a path: HelmError naming it, with the install hint', async () => {
    const e = await caught(helmVersion({ binary: '/nonexistent/helm' }));
    expect(e.message).toBe('helm not found at /nonexistent/helm');
    expect(e.hint).toBe(HINT);
    expect(e.exitCode).toBe(ExitCode.helm);
    expect(e.argv).toEqual(['version', '--template', '{{.Version}}']);
  });

  it('missing on PATH', async () => {
    vi.stubEnv('DYNAMOCTL_HELM', '');
    const e = await caught(helmVersion({ env: { PATH: join(dir, 'empty-path') } }));
    expect(e.message).toBe('helm not found on PATH');
    expect(e.hint).toBe(HINT);
  });

  it('missing where $DYNAMOCTL_HELM says', async () => {
    vi.stubEnv('DYNAMOCTL_HELM', '/nonexistent/from-env/helm');
    const e = await caught(helmVersion({}));
    expect(e.message).toBe('helm not found at /nonexistent/from-env/helm (from $DYNAMOCTL_HELM)');
  });

  it('not executable', async () => {
    const e = await caught(helmVersion({ binary: script('not-executable', 'exit 0', 0o644) }));
    expect(e.message).toMatch(/cannot be run \(permission denied/);
    expect(e.hint).toBe(HINT);
  });

  it('every entry point throws it, none reports it as a check result', async () => {
    const opts = { binary: '/nonexistent/helm' };
    for (const p of [runHelm(['version'], opts), listReleases(opts), resolveChartSource(nats, opts), resolveChartSource({ ...nats, path: '/x.tgz' }, opts)]) {
      expect((await caught(p)).message).toBe('helm not found at /nonexistent/helm');
    }
  });

  it('prints no version: HelmError', async () => {
    const e = await caught(helmVersion({ binary: script('no-version', 'echo "Error: unknown command \\"version\\"" >&2; exit 1') }));
    expect(e.message).toMatch(/version failed: unknown command "version"$/);
  });

  it('hangs: HelmTimeoutError, and a chart check reports the source as not answering', async () => {
    const binary = script('hang', 'exec sleep 10');
    const e = await caught(runHelm(['list'], { binary, timeoutMs: 200 }));
    expect(e).toBeInstanceOf(HelmTimeoutError);
    expect(e.message).toBe('helm list did not finish within 0.2s');
    expect(await resolveChartSource(nats, { binary, timeoutMs: 200 })).toEqual({ ok: false, problem: 'unreachable', reason: 'http://127.0.0.1:1 did not answer within 0.2s' });
  });
});

describe('runHelm', () => {
  it('passes arguments verbatim (no shell) and keeps exit code, stdout and stderr', async () => {
    const binary = script('echo-args', 'for a in "$@"; do echo "[$a]"; done\necho "Error: nope" >&2\nexit 3');
    const r = await runHelm(['show', 'chart', 'a b', '$(touch /tmp/pwned)', "'q'"], { binary });
    expect(r).toEqual({ exitCode: 3, stdout: "[show]\n[chart]\n[a b]\n[$(touch /tmp/pwned)]\n['q']", stderr: 'Error: nope' });
  });

  it('adds env to the environment', async () => {
    const r = await runHelm([], { binary: script('print-env', 'echo "$HELM_CONFIG_HOME:${HOME:+home}"'), env: { HELM_CONFIG_HOME: '/cfg' } });
    expect(r.stdout).toBe('/cfg:home');
  });

  /** Is the process gone (exited and reaped)? */
  const gone = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  };

  it('cancelled through its signal: SIGTERM, and it resolves only after helm has exited', async () => {
    // like helm: on SIGTERM it says so, marks the release failed and exits 1
    const pidFile = join(dir, 'cancel.pid');
    const binary = script('cancellable', `echo $$ > ${pidFile}\ntrap 'kill $! 2>/dev/null; echo "Release x has been cancelled." >&2; exit 1' TERM\nsleep 30 & wait`);
    const stop = new AbortController();
    const running = runHelm(['upgrade', '--install', 'x', 'chart'], { binary, signal: stop.signal });
    await vi.waitFor(() => expect(readFileSync(pidFile, 'utf8').trim()).toMatch(/^\d+$/));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const t0 = Date.now();
    stop.abort(new Error('pod x cannot start'));
    const e = await caught(running);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(e).toBeInstanceOf(HelmCancelledError);
    expect(e.message).toBe('helm upgrade --install was cancelled');
    expect(e.stderr).toContain('Release x has been cancelled.');
    expect(gone(pid)).toBe(true);
  });

  it('a helm that ignores SIGTERM is killed 5 s later; still gone when runHelm returns', async () => {
    const pidFile = join(dir, 'stubborn.pid');
    const binary = script('stubborn', `echo $$ > ${pidFile}\ntrap '' TERM\nexec sleep 30`);
    const stop = new AbortController();
    const running = runHelm(['upgrade'], { binary, signal: stop.signal });
    await vi.waitFor(() => expect(readFileSync(pidFile, 'utf8').trim()).toMatch(/^\d+$/));
    stop.abort();
    const t0 = Date.now();
    expect(await caught(running)).toBeInstanceOf(HelmCancelledError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(4500);
    expect(gone(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  }, 15_000);

  it('refuses values on the command line', async () => {
    for (const flag of ['--set', '--set=a=b', '--set-string', '--set-json=x', '--set-file', '--set-literal']) {
      await expect(runHelm(['install', 'x', 'y', flag], { binary: '/nonexistent/helm' })).rejects.toThrow(/refuses --set/);
    }
  });
});

describe('cluster flags', () => {
  it('kubeArgs', () => {
    expect(kubeArgs({})).toEqual([]);
    expect(kubeArgs({ kubeconfig: '/k', context: 'c' })).toEqual(['--kubeconfig=/k', '--kube-context=c']);
  });

  it.each([
    ['v3.22.0', true],
    ['v4.3.1', false],
  ])('listReleases on helm %s: --all only for helm 3, with --kubeconfig/--kube-context', async (version, all) => {
    const { binary, log } = fakeHelm();
    const opts = { binary, kubeconfig: '/k/config', context: 'ctx', env: { FAKE_VERSION: version, FAKE_LOG: log } };
    expect(await listReleases(opts)).toEqual([]);
    const argv = readFileSync(log, 'utf8').trim().split('\n');
    expect(argv).toEqual(['list', '--all-namespaces', ...(all ? ['--all'] : []), '--max', '0', '--output', 'json', '--kubeconfig=/k/config', '--kube-context=ctx']);
  });

  it('resolveChartSource does not pass cluster flags', async () => {
    const { binary, log } = fakeHelm();
    await resolveChartSource(nats, { binary, kubeconfig: '/k/config', context: 'ctx', env: { FAKE_VERSION: 'v3.22.0', FAKE_LOG: log } });
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['show', 'chart', 'nats', '--repo', 'http://127.0.0.1:1', '--version', '1.3.2']);
  });
});
