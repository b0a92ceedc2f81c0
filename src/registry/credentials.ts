/**
 * Which pull-secret credentials apply to an image, by the kubelet's rules (its credential keyring): every
 * entry of a docker config is a key "host[/path]" (scheme and a /v1/ or /v2/ suffix dropped); a key applies
 * to an image when its host matches (a "*" label matches one label), the ports are equal and its path is a
 * prefix of the image's path. Entries are tried most specific first; when none applies, Docker Hub images
 * fall back to the "index.docker.io" entry. When some apply, the kubelet pulls with them only, never
 * anonymously.
 */
import { DOCKER_HUB, type ImageReference } from './reference.ts';

export interface Credential {
  username: string;
  password: string;
  /** Where it came from, for messages ("secret dynamo-system/regcred"); never the secret itself. */
  source: string;
}

/** The entries of pull secrets, keyed as the kubelet keys them. */
export type Keyring = { key: string; credential: Credential }[];

interface DockerConfigEntry {
  username?: unknown;
  password?: unknown;
  auth?: unknown;
}

/**
 * The keyring of one pull secret's docker config (`.dockerconfigjson` {auths: {...}} or the older
 * `.dockercfg` {...}). Entries without usable credentials are left out; unparsable text yields none.
 */
export function keyringOf(configJson: string, source: string): Keyring {
  let doc: unknown;
  try {
    doc = JSON.parse(configJson);
  } catch {
    return [];
  }
  if (!doc || typeof doc !== 'object') return [];
  const auths = 'auths' in doc && doc.auths && typeof doc.auths === 'object' ? doc.auths : doc;
  return Object.entries(auths as Record<string, DockerConfigEntry>).flatMap(([location, entry]) => {
    const credential = entryCredential(entry, source);
    const key = keyOf(location);
    return credential && key ? [{ key, credential }] : [];
  });
}

function entryCredential(entry: DockerConfigEntry, source: string): Credential | undefined {
  if (!entry || typeof entry !== 'object') return undefined;
  if (typeof entry.username === 'string' && typeof entry.password === 'string' && entry.username) return { username: entry.username, password: entry.password, source };
  if (typeof entry.auth !== 'string' || !entry.auth) return undefined;
  // auth is base64("user:password"); the password may hold ':'
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source } : undefined;
}

/** "https://index.docker.io/v1/" → "index.docker.io"; "nvcr.io/nvidia" → "nvcr.io/nvidia". */
function keyOf(location: string): string | undefined {
  let url: URL;
  try {
    url = new URL(/^https?:\/\//.test(location) ? location : `https://${location}`);
  } catch {
    return undefined;
  }
  let path = url.pathname;
  if (path.startsWith('/v1/') || path.startsWith('/v2/')) path = path.slice(3);
  return path && path !== '/' ? `${url.host}${path}` : url.host;
}

/** Does a keyring key apply to an image name ("host/path")? */
export function keyMatches(key: string, name: string): boolean {
  const split = (s: string): { host: string; port: string; path: string } => {
    const slash = s.indexOf('/');
    const authority = slash === -1 ? s : s.slice(0, slash);
    const colon = authority.lastIndexOf(':');
    const port = colon > authority.lastIndexOf(']') ? authority.slice(colon + 1) : '';
    return { host: port ? authority.slice(0, colon) : authority, port, path: slash === -1 ? '' : s.slice(slash) };
  };
  const k = split(key);
  const n = split(name);
  const kLabels = k.host.toLowerCase().split('.');
  const nLabels = n.host.toLowerCase().split('.');
  if (kLabels.length !== nLabels.length || k.port !== n.port) return false;
  if (!kLabels.every((label, i) => globLabel(label, nLabels[i]!))) return false;
  return n.path.startsWith(k.path);
}

/** One host label against a pattern where "*" stands for any run of characters (filepath.Match's use here). */
function globLabel(pattern: string, label: string): boolean {
  if (!pattern.includes('*')) return pattern === label;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(label);
}

/** The credentials a pull of this image is tried with, in the kubelet's order; empty: an anonymous pull. */
export function credentialsFor(keyring: Keyring, ref: Pick<ImageReference, 'name' | 'registry'>): Credential[] {
  // most specific key first (the kubelet sorts its keys in reverse order)
  const keys = [...new Set(keyring.map((e) => e.key))].sort().reverse();
  const matched = keys.filter((k) => keyMatches(k, ref.name)).flatMap((k) => keyring.filter((e) => e.key === k).map((e) => e.credential));
  if (matched.length || ref.registry !== DOCKER_HUB) return dedupe(matched);
  return dedupe(keyring.filter((e) => e.key === 'index.docker.io').map((e) => e.credential));
}

function dedupe(credentials: Credential[]): Credential[] {
  const seen = new Set<string>();
  return credentials.filter((c) => {
    const id = `${c.username}\u0000${c.password}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** A Secret as the API (or the install's own objects) hold it. */
export interface SecretLike {
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** The keyring of a pull secret: its docker config, of either type (kubernetes.io/dockerconfigjson or dockercfg). */
export function keyringOfSecret(secret: SecretLike, source: string): Keyring {
  const key = secret.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
  const text = secret.stringData?.[key] ?? (secret.data?.[key] !== undefined ? Buffer.from(secret.data[key], 'base64').toString('utf8') : undefined);
  return text === undefined ? [] : keyringOf(text, source);
}
