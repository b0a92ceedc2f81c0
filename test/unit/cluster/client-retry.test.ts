/**
 * When the client retries: only once the server has answered in this run (a restart), never a first refusal;
 * and a server whose TLS certificate cannot be trusted fails the first request at once, with one clear error.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Kube } from '../../../src/cluster/client.ts';
import { ClusterError } from '../../../src/errors.ts';
import { createPki } from '../../cluster/pki.ts';

const dir = mkdtempSync(join(tmpdir(), 'dynamoctl-client-'));
const kubeFor = (server: string, trust: Record<string, unknown> = { 'insecure-skip-tls-verify': true }): Kube => {
  const file = join(dir, `${encodeURIComponent(server)}-${Object.keys(trust).join()}.yaml`);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server, ...trust } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
  return Kube.load({ kubeconfig: file, timeoutMs: 2000 });
};

let server: Server | undefined;
afterEach(() => server?.close());

it('fails on the first refused connection when the server never answered (a wrong address, not a restart)', async () => {
  const kube = kubeFor('http://127.0.0.1:1');
  await expect(kube.request('GET', '/version')).rejects.toThrow(/connection refused/);
  expect(kube.requests).toBe(1);
});

it('retries refused connections once the server has answered in this run (an API server restart)', async () => {
  server = createServer((_req, res) => res.end('{}'));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const kube = kubeFor(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
  kube.retryBudgetMs = 700;
  await kube.request('GET', '/version');
  await new Promise<void>((r) => server!.close(() => r()));
  const error = await kube.request('GET', '/version').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ClusterError);
  expect(kube.requests).toBeGreaterThanOrEqual(3);
});

describe('a server whose TLS certificate cannot be trusted', () => {
  const pki = (name: string) => {
    const at = join(dir, name);
    mkdirSync(at, { recursive: true });
    return createPki(at);
  };
  const ours = pki('server-ca');
  const other = pki('other-ca');
  const ca = (file: string) => ({ 'certificate-authority-data': readFileSync(file).toString('base64') });

  it('fails the first request at once, naming the certificate problem, with no retries', async () => {
    const https = createHttpsServer({ cert: readFileSync(ours.serverCert), key: readFileSync(ours.serverKey) }, (_req, res) => res.end('{"major":"1"}'));
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
    try {
      const url = `https://127.0.0.1:${(https.address() as { port: number }).port}`;
      // the right CA answers: the server works, the CA is what is wrong below
      await expect(kubeFor(url, ca(ours.caCert)).request('GET', '/version')).resolves.toEqual({ major: '1' });
      const kube = kubeFor(url, ca(other.caCert));
      const t0 = Date.now();
      const error = (await kube.request('GET', '/version').catch((e: unknown) => e)) as ClusterError;
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(error).toBeInstanceOf(ClusterError);
      expect(error.message).toBe(`cannot verify the TLS certificate of the API server at ${url} (context "x"): unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`);
      expect(error.hint).toMatch(/^the kubeconfig's certificate-authority-data is not the CA that signed the server's certificate/);
      expect(kube.requests).toBe(1);
    } finally {
      https.close();
    }
  });

  it('an https:// address on a port that speaks plain HTTP: the handshake fails', async () => {
    server = createServer((_req, res) => res.end('{}'));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
    const error = (await kubeFor(url, ca(ours.caCert)).request('GET', '/version').catch((e: unknown) => e)) as ClusterError;
    expect(error.message).toMatch(new RegExp(`^the TLS handshake with the API server at ${url} \\(context "x"\\) failed: .*wrong version number`));
    expect(error.hint).toBe("check the server in the kubeconfig: the API server's https:// address and port");
  });
});
