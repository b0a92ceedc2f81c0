/**
 * The kubeconfig, read without @kubernetes/client-node for what most kubeconfigs hold (a server, its CA,
 * a client certificate, a token, a username and password): loading client-node takes about half a second,
 * which a command that fails on its first request (a closed port, a wrong host) would spend before saying
 * so. Users that authenticate through an exec plugin or an auth provider, several files in $KUBECONFIG, and
 * in-cluster configuration go to client-node, loaded only then.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import type { RequestOptions } from 'node:https';
import { parse } from 'yaml';

type Named<T> = { name: string } & T;
interface Cluster { server: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean; 'tls-server-name'?: string }
interface User { 'client-certificate'?: string; 'client-certificate-data'?: string; 'client-key'?: string; 'client-key-data'?: string; token?: string; tokenFile?: string; username?: string; password?: string; exec?: unknown; 'auth-provider'?: unknown }
interface Context { cluster: string; user: string; namespace?: string }
interface File { clusters?: Named<{ cluster: Cluster }>[]; users?: Named<{ user: User }>[]; contexts?: Named<{ context: Context }>[]; 'current-context'?: string }

/** What Kube needs of a kubeconfig: client-node's KubeConfig has the same shape. */
export interface KubeconfigLike {
  getContexts(): { name: string }[];
  getCurrentContext(): string;
  setCurrentContext(name: string): void;
  getCurrentCluster(): { server: string } | null;
  getCurrentUser(): object | null;
  applyToHTTPSOptions(options: RequestOptions): Promise<void>;
}

const base64 = (s: string): Buffer => Buffer.from(s, 'base64');

class SimpleKubeconfig implements KubeconfigLike {
  private current: string;
  private readonly file: string;
  private readonly doc: File;
  private readonly paths: string[];
  constructor(file: string, doc: File, paths: string[]) {
    this.file = file;
    this.doc = doc;
    this.paths = paths;
    this.current = doc['current-context'] ?? '';
  }
  getContexts(): { name: string }[] {
    return (this.doc.contexts ?? []).map((c) => ({ name: c.name }));
  }
  getCurrentContext(): string {
    return this.current;
  }
  setCurrentContext(name: string): void {
    this.current = name;
  }
  private context(): Context | undefined {
    return this.doc.contexts?.find((c) => c.name === this.current)?.context;
  }
  getCurrentCluster(): Cluster | null {
    const name = this.context()?.cluster;
    return this.doc.clusters?.find((c) => c.name === name)?.cluster ?? null;
  }
  getCurrentUser(): User | null {
    const name = this.context()?.user;
    return this.doc.users?.find((u) => u.name === name)?.user ?? null;
  }
  private plugin: Promise<KubeconfigLike> | undefined;
  /** Exec plugins and auth providers (cloud logins, token refresh): client-node runs them, loaded only for them. */
  private plugins(): Promise<KubeconfigLike> {
    this.plugin ??= import('@kubernetes/client-node').then(({ KubeConfig }) => {
      const config = new KubeConfig();
      if (this.paths.length === 1) config.loadFromFile(this.paths[0]!);
      else config.loadFromDefault();
      config.setCurrentContext(this.current);
      return config;
    });
    return this.plugin;
  }

  private read(path: string): Buffer {
    return readFileSync(isAbsolute(path) ? path : join(dirname(this.file), path));
  }
  async applyToHTTPSOptions(options: RequestOptions): Promise<void> {
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser() ?? {};
    if (user.exec || user['auth-provider']) return (await this.plugins()).applyToHTTPSOptions(options);
    if (cluster?.['certificate-authority-data']) options.ca = base64(cluster['certificate-authority-data']);
    else if (cluster?.['certificate-authority']) options.ca = this.read(cluster['certificate-authority']);
    if (cluster?.['insecure-skip-tls-verify']) options.rejectUnauthorized = false;
    if (cluster?.['tls-server-name']) options.servername = cluster['tls-server-name'];
    if (user['client-certificate-data']) options.cert = base64(user['client-certificate-data']);
    else if (user['client-certificate']) options.cert = this.read(user['client-certificate']);
    if (user['client-key-data']) options.key = base64(user['client-key-data']);
    else if (user['client-key']) options.key = this.read(user['client-key']);
    const token = user.token ?? (user.tokenFile ? this.read(user.tokenFile).toString('utf8').trim() : undefined);
    const headers = (options.headers ??= {}) as Record<string, string>;
    if (token) headers.authorization = `Bearer ${token}`;
    else if (user.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`;
  }
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Inside a pod, without a kubeconfig: the service account, as client-go's in-cluster config does. */
function inCluster(): File | undefined {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  if (!host || !existsSync(join(SERVICE_ACCOUNT, 'token'))) return undefined;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${process.env.KUBERNETES_SERVICE_PORT ?? '443'}`;
  return {
    clusters: [{ name: 'in-cluster', cluster: { server, 'certificate-authority': join(SERVICE_ACCOUNT, 'ca.crt') } }],
    users: [{ name: 'in-cluster', user: { tokenFile: join(SERVICE_ACCOUNT, 'token') } }],
    contexts: [{ name: 'in-cluster', context: { cluster: 'in-cluster', user: 'in-cluster' } }],
    'current-context': 'in-cluster',
  };
}

/** Several files (as $KUBECONFIG lists them): the first definition of each name wins, as kubectl merges them. */
function merge(files: File[]): File {
  const first = <T extends { name: string }>(lists: (T[] | undefined)[]): T[] => [...new Map(lists.flatMap((l) => l ?? []).reverse().map((x) => [x.name, x])).values()].reverse();
  return {
    clusters: first(files.map((f) => f.clusters)),
    users: first(files.map((f) => f.users)),
    contexts: first(files.map((f) => f.contexts)),
    'current-context': files.find((f) => f['current-context'])?.['current-context'] ?? '',
  };
}

function readDoc(path: string): File {
  const doc = parse(readFileSync(path, 'utf8')) as File | null;
  if (doc === null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${path} is not a kubeconfig`);
  return doc;
}

/** Loads the kubeconfig (`file`, else $KUBECONFIG, else ~/.kube/config, else in-cluster). Throws on what is not a kubeconfig. */
export function loadKubeconfig(file: string | undefined): KubeconfigLike {
  const paths = file !== undefined ? [file] : process.env.KUBECONFIG ? process.env.KUBECONFIG.split(delimiter).filter((p) => p && existsSync(p)) : [join(homedir(), '.kube', 'config')].filter((p) => existsSync(p));
  const doc = paths.length ? merge(paths.map(readDoc)) : (inCluster() ?? {});
  return new SimpleKubeconfig(paths[0] ?? SERVICE_ACCOUNT, doc, paths);
}
