import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { parseSkipChecks } from '../../src/cli/commands/install.ts';
import { UserError } from '../../src/errors.ts';
import { compareVersions } from '../../src/config/version.ts';
import { createProgress } from '../../src/ui/progress.ts';

describe('compareVersions', () => {
  it.each([
    ['0.8.1', '0.8.1', 0],
    ['0.8.1', '0.10.0', -1],
    ['1.0.0', '0.9.9', 1],
    ['v0.8.1', '0.8.1', 0],
    ['0.8.1.post2', '0.8.1', 1],
    ['9.9.9', '0.8.1', 1],
    ['0.9.0-rc1', '0.9.0', -1],
    ['0.9.0-rc1', '0.9.0-rc2', -1],
    ['0.9.0', '0.8.1.post2', 1],
    ['0.8.1.post1', '0.8.1.post2', -1],
  ])('%s vs %s', (a, b, sign) => expect(Math.sign(compareVersions(a, b))).toBe(sign));
  it('refuses what is not a version', () => expect(() => compareVersions('latest', '0.8.1')).toThrow(/not a version: latest/));
});

describe('--skip-check', () => {
  it('takes id=reason pairs', () => {
    expect(parseSkipChecks(['gpu-nodes=GPU nodes join next week', 'storage-class= local-path later'])).toEqual([
      { id: 'gpu-nodes', reason: 'GPU nodes join next week' },
      { id: 'storage-class', reason: 'local-path later' },
    ]);
  });
  it.each([
    ['gpu-nodes', /a reason is required/],
    ['no-such-check=x', /no such check/],
    ['operator-conflicts=trust me', /cannot be skipped/],
    ['api-reachable=offline', /cannot be skipped/],
  ])('refuses %s', (entry, message) => {
    expect(() => parseSkipChecks([entry])).toThrow(UserError);
    expect(() => parseSkipChecks([entry])).toThrow(message);
  });
});

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('progress', () => {
  it('prints start, detail and done lines without a terminal', async () => {
    const err = capture();
    const p = createProgress({ mode: 'plain', color: false, yes: false, stderr: err.stream });
    expect(await p.step('Installing nats', async (update) => (update('helm upgrade --install'), 42))).toBe(42);
    expect(err.text()).toMatch(/^\[start\] Installing nats\n {8}Installing nats: helm upgrade --install\n\[done\] {2}Installing nats \(\d+\.\ds\)\n$/);
  });

  it('emits NDJSON events on stdout with -o json, including failures', async () => {
    const out = capture();
    const p = createProgress({ mode: 'json', color: false, yes: true, stdout: out.stream });
    await expect(p.step('Applying', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const events = out.text().trim().split('\n').map((l) => JSON.parse(l) as { event: string; status?: string; error?: string });
    expect(events.map((e) => [e.event, e.status])).toEqual([['step', 'started'], ['step', 'failed']]);
    expect(events[1]?.error).toBe('boom');
  });

  it('draws a spinner that ends in a success mark on a terminal', async () => {
    const err = capture();
    const p = createProgress({ mode: 'tty', color: false, yes: false, stderr: err.stream });
    await p.step('Waiting for the operator', async (update) => update('1/1 replicas available'));
    expect(err.text()).toMatch(/✔ Waiting for the operator \d+\.\ds/);
  });

  it('refuses to ask without a terminal and answers yes with --yes', async () => {
    await expect(createProgress({ mode: 'plain', color: false, yes: false }).confirm('Install?')).rejects.toThrow(/needs confirmation, and there is no terminal/);
    await expect(createProgress({ mode: 'plain', color: false, yes: true }).confirm('Install?')).resolves.toBe(true);
  });
});
