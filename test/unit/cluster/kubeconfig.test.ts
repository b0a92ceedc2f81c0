import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestOptions } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadKubeconfig } from '../../../src/cluster/kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-test-'));
const write = (name: string, doc: object): string => {
  const file = join(dir, name);
  writeFileSync(file, stringify(doc));
  return file;
};
const config = (name: string, user: object, extra: object = {}): object => ({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name, cluster: { server: `https://${name}.example:6443`, 'certificate-authority-data': Buffer.from('CA').toString('base64') } }],
  users: [{ name, user }],
  contexts: [{ name, context: { cluster: name, user: name } }],
  'current-context': name,
  ...extra,
});
const saved = process.env.KUBECONFIG;
afterEach(() => {
  if (saved === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = saved;
});

describe('the kubeconfig, read without client-node', () => {
  it('applies a token, the CA and the server of the current context', async () => {
    const k = loadKubeconfig(write('token.yaml', config('a', { token: 's3cret' })));
    expect(k.getCurrentContext()).toBe('a');
    expect(k.getCurrentCluster()?.server).toBe('https://a.example:6443');
    const options: RequestOptions = {};
    await k.applyToHTTPSOptions(options);
    expect(options.ca?.toString()).toBe('CA');
    expect((options.headers as Record<string, string>).authorization).toBe('Bearer s3cret');
  });

  it('reads client certificates from files relative to the kubeconfig', async () => {
    writeFileSync(join(dir, 'client.crt'), 'CERT');
    writeFileSync(join(dir, 'client.key'), 'KEY');
    const k = loadKubeconfig(write('certs.yaml', config('b', { 'client-certificate': 'client.crt', 'client-key': 'client.key' })));
    const options: RequestOptions = {};
    await k.applyToHTTPSOptions(options);
    expect([options.cert?.toString(), options.key?.toString()]).toEqual(['CERT', 'KEY']);
  });

  it('merges the files $KUBECONFIG lists, the first definition of a name winning', () => {
    const first = write('first.yaml', config('one', { token: 'x' }));
    const second = write('second.yaml', config('two', { token: 'y' }, { 'current-context': 'two' }));
    process.env.KUBECONFIG = [first, second].join(':');
    const k = loadKubeconfig(undefined);
    expect(k.getContexts().map((c) => c.name).sort()).toEqual(['one', 'two']);
    expect(k.getCurrentContext()).toBe('one');
    k.setCurrentContext('two');
    expect(k.getCurrentCluster()?.server).toBe('https://two.example:6443');
  });

  it('leaves exec plugins to client-node (loaded only then)', async () => {
    const k = loadKubeconfig(write('exec.yaml', config('c', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'echo', args: ['{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-exec"}}'] } })));
    const options: RequestOptions = {};
    await k.applyToHTTPSOptions(options);
    expect((options.headers as Record<string, string>).Authorization ?? (options.headers as Record<string, string>).authorization).toBe('Bearer from-exec');
  });

  it('refuses what is not a kubeconfig', () => {
    const file = join(dir, 'list.yaml');
    writeFileSync(file, '- a\n- b\n');
    expect(() => loadKubeconfig(file)).toThrow(/is not a kubeconfig/);
  });
});
