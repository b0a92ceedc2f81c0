/** When the client retries: only once the server has answered in this run (a restart), never a first refusal. */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Kube } from '../../../src/cluster/client.ts';
import { ClusterError } from '../../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'dynamoctl-client-'));
const kubeFor = (server: string): Kube => {
  const file = join(dir, `${encodeURIComponent(server)}.yaml`);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
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
