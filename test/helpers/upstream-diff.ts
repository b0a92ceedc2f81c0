/**
 * Structural comparison of dynamoctl's operator render with an upstream `helm template` render, object by
 * object (keyed by apiVersion, kind, namespace, name), field by field: RBAC rules as sets of permissions,
 * named lists (containers, env, ports, volumes, webhooks) by name, other scalar lists in order, maps by key.
 * Each difference is one leaf, matched against the deviation table (src/render/deviations.ts).
 */
import { parseAllDocuments } from 'yaml';
import { ABSENT, type Deviation } from '../../src/render/deviations.ts';
import type { KubeObject } from '../../src/render/k8s-types.ts';
import { permissions } from '../../src/render/rbac-rules.ts';

export interface Difference {
  /** apiVersion/kind/namespace/name */
  key: string;
  kind: string;
  name: string;
  /** The upstream object is a helm hook. */
  hook: boolean;
  path: string;
  upstream: string;
  dynamoctl: string;
}

/** What the templates of a deviation expand to in one case. */
export interface TemplateContext {
  F: string;
  NS: string;
  TNS: string;
  RELEASE: string;
  CERT_SECRET: string;
  MPI_SECRET: string;
}

const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'CustomResourceDefinition', 'Namespace', 'Queue']);

export function parseRender(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object' && 'kind' in o);
}

const isHook = (o: KubeObject): boolean => Boolean(o.metadata.annotations?.['helm.sh/hook']);

/** What the API server would store either way: namespaced objects get the release namespace, empty maps go. */
function normalize(o: KubeObject, namespace: string): KubeObject {
  const copy = structuredClone(o);
  const meta = copy.metadata;
  if (!CLUSTER_SCOPED.has(copy.kind) && !meta.namespace) meta.namespace = namespace;
  for (const k of ['labels', 'annotations'] as const) if (!meta[k] || Object.keys(meta[k]).length === 0) delete meta[k];
  if (copy.kind === 'Secret') {
    // stringData and base64 data are the same stored bytes; JSON documents compare by content
    const data: Record<string, unknown> = {};
    for (const [k, v] of Object.entries((copy.data ?? {}) as Record<string, string>)) data[k] = decodeData(v);
    for (const [k, v] of Object.entries((copy.stringData ?? {}) as Record<string, string>)) data[k] = content(v);
    delete copy.stringData;
    copy.data = data;
  }
  return copy;
}

/** base64 data → its text (a placeholder that is not base64 stays as written); JSON documents → their content. */
function decodeData(v: string): unknown {
  const bytes = Buffer.from(v, 'base64');
  return bytes.toString('base64') === v.replace(/\s/g, '') ? content(bytes.toString('utf8')) : v;
}

function content(text: string): unknown {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? parsed : text;
  } catch {
    return text;
  }
}

export const objectId = (o: KubeObject): string => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export function compareRenders(upstream: KubeObject[], ours: KubeObject[], namespace: string): Difference[] {
  const want = new Map(upstream.map((o) => normalize(o, namespace)).map((o) => [objectId(o), o]));
  const got = new Map(ours.map((o) => normalize(o, namespace)).map((o) => [objectId(o), o]));
  const out: Difference[] = [];
  const at = (o: KubeObject, hook: boolean) => (path: string, u: string, d: string): Difference => ({ key: objectId(o), kind: o.kind, name: o.metadata.name, hook, path, upstream: u, dynamoctl: d });
  for (const [id, u] of want) {
    const d = got.get(id);
    const diff = at(u, isHook(u));
    if (!d) out.push(diff('', 'object', ABSENT));
    else for (const [path, a, b] of diffValue(u, d, '', u.kind)) out.push(diff(path, a, b));
  }
  for (const [id, d] of got) if (!want.has(id)) out.push(at(d, false)('', ABSENT, 'object'));
  return out;
}

type Leaf = [path: string, upstream: string, dynamoctl: string];
const show = (v: unknown): string => (v === undefined ? ABSENT : JSON.stringify(v));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const segment = (k: string): string => (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);
const join = (path: string, seg: string): string => (path === '' && seg.startsWith('.') ? seg.slice(1) : path + seg);

function diffValue(a: unknown, b: unknown, path: string, kind: string): Leaf[] {
  if (path === 'rules' && (kind === 'Role' || kind === 'ClusterRole')) return diffRules(a, b);
  // a map on one side only: one leaf per key, so each (say, an added label) can be declared on its own
  const [ma, mb] = [a === undefined ? {} : a, b === undefined ? {} : b];
  if (isObject(ma) && isObject(mb)) {
    const keys = [...new Set([...Object.keys(ma), ...Object.keys(mb)])];
    return keys.flatMap((k) => diffValue(ma[k], mb[k], join(path, segment(k)), kind));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const named = (xs: unknown[]) => xs.length > 0 && xs.every((x) => isObject(x) && typeof x.name === 'string');
    if (named(a) && named(b)) {
      const byName = (xs: unknown[]) => new Map(xs.map((x) => [(x as { name: string }).name, x]));
      const [ma, mb] = [byName(a), byName(b)];
      const names = [...new Set([...ma.keys(), ...mb.keys()])];
      return names.flatMap((n) => diffValue(ma.get(n), mb.get(n), `${path}[name=${n}]`, kind));
    }
    if (a.some(isObject) || b.some(isObject)) {
      return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => diffValue(a[i], b[i], `${path}[${i}]`, kind)).flat();
    }
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [[path, show(a), show(b)]];
}

function diffRules(a: unknown, b: unknown): Leaf[] {
  const [pa, pb] = [permissions(a), permissions(b)];
  const targets = [...new Set([...pa.keys(), ...pb.keys()])].sort();
  return targets.flatMap((t): Leaf[] => (show(pa.get(t)) === show(pb.get(t)) ? [] : [[`rules[${t}]`, show(pa.get(t)), show(pb.get(t))]]));
}

const glob = (pattern: string): RegExp => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 's');
const expand = (template: string, ctx: TemplateContext): string => template.replace(/\{(F|NS|TNS|RELEASE|CERT_SECRET|MPI_SECRET)\}/g, (_, k: keyof TemplateContext) => ctx[k]);

export function declares(dev: Deviation, d: Difference, ctx: TemplateContext): boolean {
  const kinds = typeof dev.object.kind === 'string' ? [dev.object.kind] : dev.object.kind;
  if (!kinds.includes('*') && !kinds.includes(d.kind)) return false;
  if (dev.object.hook && !d.hook) return false;
  if (dev.object.name && !glob(expand(dev.object.name, ctx)).test(d.name)) return false;
  return glob(dev.path).test(d.path) && glob(expand(dev.upstream, ctx)).test(d.upstream) && glob(expand(dev.dynamoctl, ctx)).test(d.dynamoctl);
}

export const describeDifference = (d: Difference): string => `${d.key}${d.path ? ` ${d.path}` : ''}: upstream ${d.upstream} | dynamoctl ${d.dynamoctl}`;
