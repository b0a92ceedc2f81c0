/**
 * Real image registries on loopback for the image preflight's tests and benchmark: distribution's
 * `registry` (3.1.2) without auth, with htpasswd (bcrypt, written by apache2-utils' htpasswd) basic auth, or
 * with token auth in front of the bearer-token server of token-server.ts (the Docker token authentication
 * spec; its ES256 key is made here and trusted by the registry through a JWKS file).
 * Images are pushed through the distribution API itself (blob uploads, then the manifest): test setup only.
 */
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, startProcess, stopProcesses, waitFor, type Started } from './processes.ts';
import type { TokenServerConfig } from './token-server.ts';
import { binaries } from './versions.ts';

export interface User {
  username: string;
  password: string;
}

export type RegistryAuth = { kind: 'none' } | { kind: 'basic'; users: User[] } | { kind: 'token'; users: User[]; anonymousPullPrefix: string };

export interface LocalRegistry {
  /** host:port, e.g. 127.0.0.1:40123 */
  host: string;
  /** Pushes a small image (one config blob, one layer) as repository:tag; returns its manifest digest. */
  push(repository: string, tag: string): Promise<string>;
  /** Requests the bearer-token server answered (0 without one): shows the token flow really ran. */
  tokenRequests(): Promise<number>;
  stop(): Promise<void>;
}

const sha256 = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export async function startRegistry(dir: string, name: string, auth: RegistryAuth): Promise<LocalRegistry> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const admin: User = { username: 'pusher', password: randomUUID() };
  let tokenServer: { realm: string; process: Started } | undefined;
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'warn' },
    storage: { filesystem: { rootdirectory: join(dir, `${name}-data`) } },
    http: { addr: host },
  };
  if (auth.kind === 'basic') {
    const file = join(dir, `${name}.htpasswd`);
    // bcrypt at the lowest cost: the registry accepts only bcrypt entries
    writeFileSync(file, [...auth.users, admin].map((u) => execFileSync('htpasswd', ['-nbB', '-C', '4', u.username, u.password], { encoding: 'utf8' }).trim()).join('\n') + '\n');
    config.auth = { htpasswd: { realm: 'dynamoctl-test', path: file } };
  } else if (auth.kind === 'token') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = randomUUID();
    const tokenConfig: TokenServerConfig = {
      users: [...auth.users, admin],
      anonymousPullPrefix: auth.anonymousPullPrefix,
      issuer: `${name}-issuer`,
      privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      kid,
    };
    const tokenPort = await freePort();
    writeFileSync(join(dir, `${name}-token.json`), JSON.stringify(tokenConfig), { mode: 0o600 });
    const server = startProcess(dir, `${name}-token`, process.execPath, [fileURLToPath(new URL('./token-server.ts', import.meta.url)), join(dir, `${name}-token.json`), String(tokenPort)], { detached: false });
    tokenServer = { realm: `http://127.0.0.1:${tokenPort}/token`, process: server };
    await waitFor(`the token server of ${name}`, async () => (await fetch(`http://127.0.0.1:${tokenPort}/requests`)).ok, { timeoutMs: 15_000, process: server });
    const jwks = join(dir, `${name}.jwks.json`);
    writeFileSync(jwks, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] }));
    config.auth = { token: { realm: tokenServer.realm, service: `${name}-registry`, issuer: `${name}-issuer`, jwks, signingalgorithms: ['ES256'] } };
  }
  const configFile = join(dir, `${name}.yaml`);
  writeFileSync(configFile, stringify(config));
  const proc = startProcess(dir, name, binaries.registry, ['serve', configFile], { detached: false, env: { OTEL_TRACES_EXPORTER: 'none' } });
  await waitFor(`registry ${name}`, async () => [200, 401].includes((await fetch(`http://${host}/v2/`)).status), { timeoutMs: 15_000, process: proc });

  const authorization = async (repository: string): Promise<Record<string, string>> => {
    const basic = `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`;
    if (auth.kind === 'basic') return { Authorization: basic };
    if (!tokenServer) return {};
    const res = await fetch(`${tokenServer.realm}?service=${name}-registry&scope=repository:${repository}:pull,push`, { headers: { Authorization: basic } });
    return { Authorization: `Bearer ${((await res.json()) as { token: string }).token}` };
  };

  return {
    host,
    async push(repository, tag) {
      const headers = await authorization(repository);
      const blob = async (data: Buffer): Promise<{ digest: string; size: number }> => {
        const digest = sha256(data);
        const started = await fetch(`http://${host}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers });
        if (started.status !== 202) throw new Error(`blob upload to ${repository}: ${started.status} ${await started.text()}`);
        const location = new URL(started.headers.get('location')!, `http://${host}`);
        location.searchParams.set('digest', digest);
        const put = await fetch(location, { method: 'PUT', body: data, headers: { ...headers, 'Content-Type': 'application/octet-stream' } });
        if (put.status !== 201) throw new Error(`blob upload to ${repository}: ${put.status} ${await put.text()}`);
        return { digest, size: data.length };
      };
      const config = await blob(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] } })));
      const layer = await blob(Buffer.from(`${repository}:${tag}`));
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      });
      const put = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, {
        method: 'PUT',
        body: manifest,
        headers: { ...headers, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      });
      if (put.status !== 201) throw new Error(`manifest of ${repository}:${tag}: ${put.status} ${await put.text()}`);
      return sha256(manifest);
    },
    async tokenRequests() {
      if (!tokenServer) return 0;
      return ((await (await fetch(new URL('/requests', tokenServer.realm))).json()) as { requests: number }).requests;
    },
    async stop() {
      await stopProcesses([proc.pid, ...(tokenServer ? [tokenServer.process.pid] : [])]);
    },
  };
}
