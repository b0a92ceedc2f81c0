/**
 * Asks registries whether image manifests exist, through the OCI distribution API: `HEAD
 * /v2/<name>/manifests/<reference>` accepting OCI index/manifest and Docker v2 list/manifest, answering the
 * registry's challenge as a container runtime does (Docker token authentication: an anonymous or
 * credentialed token from the realm, for `repository:<name>:pull`; or Basic).
 *
 * Node's own fetch, not @snyk/docker-registry-v2-client (4.0.5, evaluated): that client only GETs (no HEAD)
 * and, for an index, fetches the linux/amd64 manifest too and throws when the index has none; it retries
 * 429/5xx after a 1 s backoff and writes console.warn lines on our stderr (tunable only by a process-wide
 * environment variable); after a redirect (registry.k8s.io sends manifest requests to Artifact Registry) it
 * does not answer the new host's challenge; and it brings nine packages with their own HTTP stack.
 *
 * Credentials are sent only over HTTPS (or to loopback), never to another host than the one they are for,
 * and never appear in what this returns.
 */
import { parseChallenge, type Challenge } from './challenge.ts';
import type { Credential } from './credentials.ts';
import { isLoopback, type ImageReference } from './reference.ts';
import type { ManifestProbe } from './verdict.ts';

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

export interface RegistryClientOptions {
  /** Per request: an unreachable registry is reported after this long. */
  timeoutMs: number;
  /** Hosts that may be asked over plain HTTP when HTTPS fails (loopback always may). */
  plainHttp?: (host: string) => boolean;
}

type Host = { ok: true; base: string; plainHttp: boolean; challenge: Challenge | undefined } | { ok: false; reason: string };

export interface RegistryClient {
  /** Does the manifest exist? Tried with each credential in turn (anonymously when none), as the kubelet pulls. */
  probe(ref: ImageReference, credentials: readonly Credential[]): Promise<ManifestProbe>;
}

export function createRegistryClient(opts: RegistryClientOptions): RegistryClient {
  const hosts = new Map<string, Promise<Host>>();
  const tokens = new Map<string, Promise<TokenAnswer>>();
  const seconds = opts.timeoutMs / 1000;

  const request = (url: string, init: { method: 'GET' | 'HEAD'; headers?: Record<string, string> }): Promise<Response> =>
    fetch(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(opts.timeoutMs) });

  /** `GET /v2/` once per host: reachable? which scheme? which challenge? */
  const host = (name: string): Promise<Host> => {
    let found = hosts.get(name);
    if (!found) {
      found = (async (): Promise<Host> => {
        const ping = async (base: string): Promise<Host> => {
          const res = await request(`${base}/v2/`, { method: 'GET' });
          await res.body?.cancel();
          return { ok: true, base, plainHttp: base.startsWith('http:'), challenge: res.status === 401 ? parseChallenge(res.headers.get('www-authenticate')) : undefined };
        };
        try {
          return await ping(`https://${name}`);
        } catch (error) {
          const reason = describeNetworkError(error, seconds);
          if (!(isLoopback(name) || opts.plainHttp?.(name)) || isTimeout(error)) return { ok: false, reason };
          return ping(`http://${name}`).catch(() => ({ ok: false, reason }));
        }
      })();
      hosts.set(name, found);
    }
    return found;
  };

  /** The Authorization header that answers `challenge` for this repository (undefined: send none). */
  const authorize = async (challenge: Challenge | undefined, url: URL, repository: string, credential: Credential | undefined): Promise<string | TokenFailure | undefined> => {
    if (!challenge || challenge.scheme === 'other') return undefined;
    const safe = (target: URL): boolean => target.protocol === 'https:' || isLoopback(target.host);
    if (challenge.scheme === 'basic') return credential && safe(url) ? basic(credential) : undefined;
    const scope = `repository:${repository}:pull`;
    const realm = new URL(challenge.realm);
    if (challenge.service) realm.searchParams.set('service', challenge.service);
    realm.searchParams.set('scope', scope);
    const send = credential && safe(realm) ? credential : undefined;
    const key = `${realm.href}\u0000${send ? `${send.source}\u0000${send.username}` : ''}`;
    let answer = tokens.get(key);
    if (!answer) {
      answer = fetchToken(realm.href, send, request, seconds);
      tokens.set(key, answer);
    }
    const token = await answer;
    return 'token' in token ? `Bearer ${token.token}` : token;
  };

  const attempt = async (ref: ImageReference, at: Host & { ok: true }, credential: Credential | undefined): Promise<ManifestProbe> => {
    const url = new URL(`${at.base}/v2/${ref.repository}/manifests/${ref.reference}`);
    const accept = MANIFEST_TYPES.join(', ');
    const tried = credential ? [credential.source] : [];
    try {
      let auth = await authorize(at.challenge, url, ref.repository, credential);
      if (auth !== undefined && typeof auth !== 'string') return tokenProbe(auth, tried);
      let res = await request(url.href, { method: 'HEAD', headers: { Accept: accept, ...(auth ? { Authorization: auth } : {}) } });
      const final = new URL(res.url || url.href);
      const challenge = res.status === 401 ? parseChallenge(res.headers.get('www-authenticate')) : undefined;
      if (challenge && (auth === undefined || final.host !== url.host)) {
        // a repository that wants a token although /v2/ did not, or the host a redirect led to: credentials stay with their own host
        auth = await authorize(challenge, final, ref.repository, final.host === url.host ? credential : undefined);
        if (auth !== undefined && typeof auth !== 'string') return tokenProbe(auth, tried);
        if (auth) res = await request(final.href, { method: 'HEAD', headers: { Accept: accept, Authorization: auth } });
      }
      if (res.status === 405 || res.status === 501) {
        // a registry without HEAD on manifests: ask with GET and drop the body
        res = await request(final.href, { method: 'GET', headers: { Accept: accept, ...(auth ? { Authorization: auth } : {}) } });
        await res.body?.cancel();
      }
      return statusProbe(res, tried, at.plainHttp);
    } catch (error) {
      return { kind: 'unreachable', host: ref.apiHost, reason: describeNetworkError(error, seconds) };
    }
  };

  return {
    async probe(ref, credentials) {
      const at = await host(ref.apiHost);
      if (!at.ok) return { kind: 'unreachable', host: ref.apiHost, reason: at.reason };
      const results: ManifestProbe[] = [];
      for (const credential of credentials.length ? credentials : [undefined]) {
        const result = await attempt(ref, at, credential);
        if (result.kind === 'exists') return result;
        results.push(result);
      }
      // the registry let one credential look and the image was not there: that is the answer
      const missing = results.find((r) => r.kind === 'missing');
      if (missing) return missing;
      const refused = results.filter((r): r is ManifestProbe & { kind: 'unauthorized' } => r.kind === 'unauthorized');
      return refused.length ? { kind: 'unauthorized', credentials: refused.flatMap((r) => r.credentials) } : results[0]!;
    },
  };
}

type TokenFailure = { refused: true } | { failed: string };
type TokenAnswer = { token: string } | TokenFailure;

async function fetchToken(realm: string, credential: Credential | undefined, request: (url: string, init: { method: 'GET'; headers?: Record<string, string> }) => Promise<Response>, seconds: number): Promise<TokenAnswer> {
  let res: Response;
  try {
    res = await request(realm, { method: 'GET', headers: credential ? { Authorization: basic(credential) } : {} });
  } catch (error) {
    return { failed: `its token service ${new URL(realm).host} did not answer: ${describeNetworkError(error, seconds)}` };
  }
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel();
    return { refused: true };
  }
  const body = res.ok ? ((await res.json().catch(() => ({}))) as { token?: unknown; access_token?: unknown }) : {};
  if (!res.ok) await res.body?.cancel();
  const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
  return token ? { token } : { failed: `its token service ${new URL(realm).host} answered ${res.status} without a token` };
}

const tokenProbe = (answer: TokenFailure, tried: string[]): ManifestProbe =>
  'refused' in answer ? { kind: 'unauthorized', credentials: tried } : { kind: 'error', reason: answer.failed };

function statusProbe(res: Response, tried: string[], plainHttp: boolean): ManifestProbe {
  if (res.ok) {
    const digest = res.headers.get('docker-content-digest');
    return { kind: 'exists', ...(digest ? { digest } : {}), ...(plainHttp ? { plainHttp } : {}) };
  }
  if (res.status === 404) return { kind: 'missing' };
  if (res.status === 401 || res.status === 403) return { kind: 'unauthorized', credentials: tried };
  if (res.status === 429) return { kind: 'error', reason: 'the registry limits requests (429); try again later' };
  return { kind: 'error', reason: `the registry answered ${res.status}` };
}

const basic = (c: Credential): string => `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;

const isTimeout = (error: unknown): boolean => (error as { name?: string }).name === 'TimeoutError';

/** One phrase for why a request got no answer (codes only: never a URL, header or body). */
export function describeNetworkError(error: unknown, timeoutSeconds: number): string {
  if (isTimeout(error)) return `no answer within ${timeoutSeconds}s`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'the connection was reset';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'no route to the host';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return 'the connection timed out';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) return `its TLS certificate is not trusted here (${code})`;
  if (/SSL|TLS|EPROTO/.test(code)) return `the TLS handshake failed (${code}): a plain-HTTP registry?`;
  return code || cause?.message || 'the request failed';
}
