/**
 * The connection to the API server. kubeconfig.ts loads the kubeconfig and authenticates (certificates,
 * tokens; exec plugins through client-node, loaded only for them); requests go through node:https directly, which gives what discovery needs and the
 * generated clients do not: a hard timeout per request, metadata-only lists (PartialObjectMetadataList),
 * pagination, and a request count for the benchmarks. Every failure becomes a UserError (bad kubeconfig or
 * context) or a ClusterError (everything the server or the network said), with the next step in the hint.
 */
import { existsSync } from 'node:fs';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import { loadKubeconfig, type KubeconfigLike } from './kubeconfig.ts';
import { ClusterError, UserError } from '../errors.ts';

export interface KubeTarget {
  /** --kubeconfig; default $KUBECONFIG, then ~/.kube/config. */
  kubeconfig?: string | undefined;
  /** --context; default the kubeconfig's current context. */
  context?: string | undefined;
  /** Per request. */
  timeoutMs: number;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Ask for PartialObjectMetadata only: names, namespaces, labels (much smaller responses). */
  metadataOnly?: boolean;
  /** Page size. */
  limit?: number;
}

interface KubeList<T> {
  items: T[];
  metadata?: { continue?: string };
}

/** OpenSSL's verification failures (Node's error codes): the server's certificate chain is not trusted. */
const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'INVALID_PURPOSE',
]);

const METADATA_ONLY = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

export class Kube {
  /** Requests sent so far (benchmarks report it). */
  requests = 0;
  readonly config: KubeconfigLike;
  readonly context: string;
  readonly server: string;
  private readonly timeoutMs: number;
  /** How long requests the server did not process are retried (an API server restart takes seconds). */
  retryBudgetMs = 30_000;
  /**
   * Has the server answered anything in this run? Until it has, a refused connection is a wrong address or
   * a server that is down, not a restart: it fails at once, as kubectl does.
   */
  private answered = false;
  /** Aborts every request, and the waits between retries (the install lock was lost, or the run was stopped). */
  signal: AbortSignal | undefined;

  private constructor(config: KubeconfigLike, timeoutMs: number) {
    this.config = config;
    this.context = config.getCurrentContext();
    this.server = config.getCurrentCluster()?.server ?? '';
    this.timeoutMs = timeoutMs;
  }

  /** The contexts of the kubeconfig and the current one (the wizard offers them). Does not contact the server. */
  static contexts(target: Pick<KubeTarget, 'kubeconfig'>): { names: string[]; current: string } {
    const kube = Kube.load({ kubeconfig: target.kubeconfig, timeoutMs: 1 });
    return { names: kube.config.getContexts().map((c) => c.name), current: kube.context };
  }

  /** Loads the kubeconfig and selects the context. Does not contact the server. */
  static load(target: KubeTarget): Kube {
    const file = target.kubeconfig;
    if (file !== undefined) {
      if (!existsSync(file)) throw new UserError(`kubeconfig ${file} does not exist`, { hint: 'check --kubeconfig' });
    }
    let config: KubeconfigLike;
    try {
      config = loadKubeconfig(file);
    } catch (error) {
      throw new UserError(`cannot read the kubeconfig${file ? ` ${file}` : ''}: ${(error as Error).message.split('\n')[0]}`, {
        hint: 'check that the file is a valid kubeconfig (kubectl config view)',
      });
    }
    if (target.context !== undefined) {
      const names = config.getContexts().map((c) => c.name);
      if (!names.includes(target.context)) {
        throw new UserError(`context "${target.context}" is not in the kubeconfig`, {
          hint: names.length ? `use one of: ${names.join(', ')}` : 'the kubeconfig has no contexts',
        });
      }
      config.setCurrentContext(target.context);
    }
    const cluster = config.getCurrentCluster();
    if (!cluster || !config.getCurrentContext()) {
      throw new UserError('no Kubernetes context is configured', { hint: 'pass --kubeconfig and --context, or set KUBECONFIG' });
    }
    if (!config.getCurrentUser()) throw new UserError(`context "${config.getCurrentContext()}" names no user`, { hint: 'fix the context in the kubeconfig' });
    return new Kube(config, target.timeoutMs);
  }

  /**
   * One request; JSON in, JSON out. Non-2xx statuses become ClusterError with the server's message.
   * Requests the server did not process (connection refused, 503, 429: an API server restarting or
   * shedding load) are retried with backoff for up to `retryBudgetMs`; so are idempotent requests (all but
   * POST: GET, server-side apply, PUT with a resourceVersion, DELETE) whose connection was cut.
   */
  async request<T>(method: string, path: string, opts: { body?: unknown; accept?: string; contentType?: string; query?: Record<string, string | undefined> } = {}): Promise<T> {
    const deadline = Date.now() + this.retryBudgetMs;
    for (let attempt = 0; ; attempt++) {
      this.signal?.throwIfAborted();
      try {
        return await this.requestOnce<T>(method, path, opts);
      } catch (error) {
        const code = (error instanceof ClusterError ? (error.cause as NodeJS.ErrnoException | undefined)?.code : undefined) ?? '';
        const cut = code === 'ECONNREFUSED' || (method !== 'POST' && ['ECONNRESET', 'EPIPE'].includes(code));
        const retryable = error instanceof ClusterError && (error.status === 503 || error.status === 429 || (cut && this.answered));
        if (!retryable || Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, Math.min(4000, 250 * 2 ** attempt)));
      }
    }
  }

  private async requestOnce<T>(method: string, path: string, opts: { body?: unknown; accept?: string; contentType?: string; query?: Record<string, string | undefined> }): Promise<T> {
    const url = new URL(`${this.server.replace(/\/+$/, '')}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, v);
    const options: RequestOptions = { method, headers: { accept: opts.accept ?? 'application/json' }, ...(this.signal ? { signal: this.signal } : {}) };
    await this.config.applyToHTTPSOptions(options);
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    if (payload !== undefined) Object.assign(options.headers!, { 'content-type': opts.contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) });
    this.requests++;
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = send(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          this.answered = true;
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'DYNAMOCTL_TIMEOUT' })));
      req.on('error', reject);
      req.end(payload);
    }).catch((error: NodeJS.ErrnoException) => {
      if (this.signal?.aborted) throw this.signal.reason;
      throw this.networkError(error);
    });
    if (status >= 200 && status < 300) return (text ? JSON.parse(text) : {}) as T;
    throw this.statusError(method, path, status, text);
  }

  /** Every item of a list, following `continue` tokens (one request per page, never per namespace). */
  async list<T>(path: string, opts: ListOptions = {}): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const page: KubeList<T> = await this.request('GET', path, {
        accept: opts.metadataOnly ? METADATA_ONLY : 'application/json',
        query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: String(opts.limit ?? 500), continue: token },
      });
      items.push(...(page.items ?? []));
      token = page.metadata?.continue || undefined;
    } while (token);
    return items;
  }

  /** GET that answers undefined for 404 instead of throwing. `accept`: e.g. metadata only (PartialObjectMetadata). */
  async getOptional<T>(path: string, accept?: string): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', path, accept ? { accept } : {});
    } catch (error) {
      if (error instanceof ClusterError && error.status === 404) return undefined;
      throw error;
    }
  }

  private networkError(error: NodeJS.ErrnoException): ClusterError {
    const where = `the API server at ${this.server} (context "${this.context}")`;
    const hint = 'check the cluster is up and reachable, and --context/--kubeconfig point at it';
    switch (error.code) {
      case 'DYNAMOCTL_TIMEOUT':
        return new ClusterError(`no answer from ${where} within ${this.timeoutMs / 1000}s`, { hint: `${hint}; raise the limit with --timeout`, cause: error });
      case 'ECONNREFUSED':
        return new ClusterError(`cannot connect to ${where}: connection refused`, { hint, cause: error });
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return new ClusterError(`cannot resolve the host of ${where}`, { hint, cause: error });
      case 'CERT_HAS_EXPIRED':
        return new ClusterError(`the TLS certificate of ${where} has expired`, { hint: 'renew the API server certificate, or fix the clock of this machine', cause: error });
      case 'ERR_TLS_CERT_ALTNAME_INVALID':
      case 'HOSTNAME_MISMATCH':
        return new ClusterError(`the TLS certificate of ${where} is not valid for that address: ${error.message}`, {
          hint: 'use the address the certificate names (the server in the kubeconfig), or fix the server certificate',
          cause: error,
        });
      default:
        if (TLS_VERIFY_CODES.has(error.code ?? '')) {
          // Node may add advice about the system's CAs: the kubeconfig's CA is what counts here
          return new ClusterError(`cannot verify the TLS certificate of ${where}: ${error.message.split(';')[0]} (${error.code})`, {
            hint: "the kubeconfig's certificate-authority-data is not the CA that signed the server's certificate: check that --context/--kubeconfig point at this cluster, or fetch its kubeconfig again",
            cause: error,
          });
        }
        if (error.code === 'EPROTO' || error.code?.startsWith('ERR_SSL_')) {
          return new ClusterError(`the TLS handshake with ${where} failed: ${error.message}`, { hint: "check the server in the kubeconfig: the API server's https:// address and port", cause: error });
        }
        return new ClusterError(`cannot talk to ${where}: ${error.message}`, { hint, cause: error });
    }
  }

  private statusError(method: string, path: string, status: number, text: string): ClusterError {
    let message = text.slice(0, 300);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not a Status object: keep the text
    }
    if (status === 401) {
      return new ClusterError(`the API server rejected the credentials of context "${this.context}" (401 Unauthorized)`, {
        status,
        hint: 'the token or client certificate is invalid or expired: refresh the kubeconfig credentials',
      });
    }
    if (status === 403) return new ClusterError(`forbidden: ${message}`, { status, hint: 'ask a cluster administrator for the permission named above' });
    return new ClusterError(`${method} ${path} failed (${status}): ${message}`, { status });
  }
}

/** The result, or `otherwise` (default undefined) when the user may not read it (403): "cannot tell". */
/** What the engine and the checks need of a cluster connection: `Kube`, or an in-memory fake in unit tests. */
export type ClusterApi = Pick<Kube, 'context' | 'server' | 'request' | 'list' | 'getOptional' | 'signal'>;

export async function unlessForbidden<T>(pending: Promise<T>, otherwise?: T): Promise<T | undefined> {
  try {
    return await pending;
  } catch (error) {
    if (error instanceof ClusterError && error.status === 403) return otherwise;
    throw error;
  }
}
