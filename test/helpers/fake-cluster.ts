/**
 * An in-memory ClusterApi that answers as kube-apiserver does for what the engine uses (issue #13). Each
 * behaviour follows the real server: errors carry the status and message the real `Kube` client would
 * throw; server-side apply computes managedFields (f:/k:{...} keys of the built-in list types), refuses
 * changes to fields other managers own with the server's own message, removes fields its manager stopped
 * sending, and skips no-op writes; Updates take the fields they change from everyone else; deletes and
 * PUTs honour their preconditions; namespaced writes need the namespace; a Deployment "controller" writes
 * status through the status subresource. Deviations, kept on purpose: no admission or validation, no
 * quantity canonicalisation, deleting a namespace removes it and its objects at once, lists are one page.
 */
import { randomUUID } from 'node:crypto';
import type { ClusterApi, ListOptions } from '../../src/cluster/client.ts';
import { ClusterError } from '../../src/errors.ts';
import { KIND_RESOURCES } from '../../src/render/k8s-types.ts';

type Tree = Record<string, unknown>;
/** A field path as fieldsV1 spells it: ['f:spec', 'f:containers', 'k:{"name":"manager"}', 'f:image']. */
type Path = string[];
export interface ManagedEntry { manager: string; operation: 'Apply' | 'Update'; apiVersion: string; fieldsType: 'FieldsV1'; fieldsV1: Tree; subresource?: string }
export interface LoggedRequest { seq: number; method: string; path: string; query: Record<string, string | undefined>; contentType?: string | undefined; accept?: string | undefined; body?: unknown; status: number }
interface Located { key: string; group: string; resource: string; kind: string; namespaced: boolean; namespace?: string | undefined; name?: string | undefined; qualified: string }
type RequestOpts = { body?: unknown; accept?: string; contentType?: string; query?: Record<string, string | undefined> };

const isMap = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);
const canon = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (isMap(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));
const same = (a: unknown, b: unknown): boolean => canon(a) === canon(b);
const meta = (o: Tree): Tree & { name: string; namespace?: string; uid?: string; resourceVersion?: string; generation?: number; managedFields?: ManagedEntry[] } => o.metadata as never;

/** Served resources: every kind dynamoctl creates (k8s-types.ts), plus pods. */
const RESOURCES = new Map<string, { kind: string; namespaced: boolean }>([
  ...Object.entries(KIND_RESOURCES).map(([kind, [group, resource, namespaced]]) => [`${group}/${resource}`, { kind, namespaced: namespaced === true }] as const),
  ['/pods', { kind: 'Pod', namespaced: true }],
]);
export const BUILTIN_GROUPS = ['v1', 'apps/v1', 'policy/v1', 'rbac.authorization.k8s.io/v1', 'admissionregistration.k8s.io/v1', 'apiextensions.k8s.io/v1', 'coordination.k8s.io/v1'];

/** Associative lists (listType=map) of the built-in types and their keys; every other list is atomic. */
function listKeys(field: string, items: unknown[]): string[] | undefined {
  if (['containers', 'initContainers', 'env', 'volumes', 'imagePullSecrets', 'webhooks'].includes(field)) return ['name'];
  if (field === 'volumeMounts') return ['mountPath'];
  if (field === 'ports') return items.some((i) => isMap(i) && 'containerPort' in i) ? ['containerPort', 'protocol'] : ['port', 'protocol'];
  return undefined;
}
const keyElem = (keys: string[], item: unknown): string => `k:${JSON.stringify(Object.fromEntries([...keys].sort().map((k) => [k, isMap(item) ? item[k] : undefined])))}`;

/** The fieldsV1 tree of a value (what a manager that set all of it owns). */
function fieldsOf(v: unknown, field = ''): Tree {
  if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [`f:${k}`, fieldsOf(x, k)]));
  const keys = Array.isArray(v) ? listKeys(field, v) : undefined;
  return Array.isArray(v) && keys ? Object.fromEntries(v.map((item) => [keyElem(keys, item), { '.': {}, ...fieldsOf(item) }])) : {};
}
/** apiVersion, kind, status and the server's metadata are never owned. */
function ownedFields(o: Tree): Tree {
  const { apiVersion: _a, kind: _k, status: _s, metadata, ...rest } = o;
  const { labels, annotations } = (metadata ?? {}) as Tree;
  return fieldsOf({ ...rest, ...(labels || annotations ? { metadata: { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) } } : {}) });
}
function leaves(fields: unknown, prefix: Path = []): Path[] {
  const kids = isMap(fields) ? Object.keys(fields).filter((k) => k !== '.') : [];
  const self = isMap(fields) && '.' in fields ? [prefix] : [];
  if (!kids.length) return prefix.length ? [prefix] : [];
  return [...self, ...kids.flatMap((k) => leaves((fields as Tree)[k], [...prefix, k]))];
}
function treeOf(paths: Path[]): Tree {
  const root: Tree = {};
  for (const p of paths) {
    const node = p.reduce((at, e) => (at[e] ??= {}) as Tree, root);
    if (p.at(-1)?.startsWith('k:')) node['.'] = {};
  }
  return root;
}
const matches = (e: string) => (i: unknown): boolean => isMap(i) && Object.entries(JSON.parse(e.slice(2)) as Tree).every(([k, x]) => i[k] === x);
const valueAt = (o: unknown, p: Path): unknown => p.reduce<unknown>((v, e) => (e.startsWith('f:') ? (isMap(v) ? v[e.slice(2)] : undefined) : Array.isArray(v) ? v.find(matches(e)) : undefined), o);
function removeAt(o: unknown, p: Path): void {
  const [parent, last] = [valueAt(o, p.slice(0, -1)), p.at(-1)!];
  if (last.startsWith('f:') && isMap(parent)) delete parent[last.slice(2)];
  else if (Array.isArray(parent) && parent.some(matches(last))) parent.splice(parent.findIndex(matches(last)), 1);
}
/** Applied over live: maps merge, associative lists merge by key, atomic lists and scalars replace. */
function merge(live: unknown, applied: unknown, field = ''): unknown {
  if (isMap(live) && isMap(applied)) return { ...live, ...Object.fromEntries(Object.entries(applied).map(([k, v]) => [k, merge(live[k], v, k)])) };
  const keys = Array.isArray(applied) ? listKeys(field, applied) : undefined;
  if (keys && Array.isArray(live) && Array.isArray(applied)) {
    const out = [...live];
    for (const item of applied) {
      const i = out.findIndex((l) => keyElem(keys, l) === keyElem(keys, item));
      if (i >= 0) out[i] = merge(out[i], item);
      else out.push(structuredClone(item));
    }
    return out;
  }
  return structuredClone(applied);
}
/** RFC 7386 merge patch. */
const mergePatch = (target: unknown, patch: unknown): unknown =>
  !isMap(patch) ? structuredClone(patch) : Object.fromEntries(Object.entries({ ...(isMap(target) ? target : {}), ...patch }).filter(([k]) => patch[k] !== null).map(([k, v]) => [k, k in patch ? mergePatch(isMap(target) ? target[k] : undefined, patch[k]) : v]));

/** What the server defaults on write (a few, enough that "server-added fields" exist as on a real cluster). */
function defaults(kind: string, o: Tree, n: number): void {
  const spec = o.spec as Tree | undefined;
  const ports = (list: unknown): Tree[] => (Array.isArray(list) ? (list as Tree[]) : []);
  if (kind === 'Deployment' && spec) {
    Object.assign(spec, { replicas: spec.replicas ?? 1, revisionHistoryLimit: spec.revisionHistoryLimit ?? 10, progressDeadlineSeconds: spec.progressDeadlineSeconds ?? 600 });
    const pod = ((spec.template as Tree | undefined)?.spec ?? {}) as Tree;
    Object.assign(pod, { restartPolicy: pod.restartPolicy ?? 'Always', dnsPolicy: pod.dnsPolicy ?? 'ClusterFirst', schedulerName: pod.schedulerName ?? 'default-scheduler', terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds ?? 30 });
    for (const c of ports(pod.containers)) {
      Object.assign(c, { terminationMessagePath: c.terminationMessagePath ?? '/dev/termination-log', imagePullPolicy: c.imagePullPolicy ?? (String(c.image).endsWith(':latest') ? 'Always' : 'IfNotPresent') });
      for (const p of ports(c.ports)) p.protocol ??= 'TCP';
    }
  }
  if (kind === 'Service' && spec) {
    Object.assign(spec, { type: spec.type ?? 'ClusterIP', sessionAffinity: spec.sessionAffinity ?? 'None', clusterIP: spec.clusterIP ?? `10.96.0.${n % 250}` });
    for (const p of ports(spec.ports)) Object.assign(p, { protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port });
  }
  if (kind === 'Secret' && isMap(o.stringData)) {
    // written as stringData, stored and read back as base64 data
    o.data = { ...(o.data as Tree | undefined), ...Object.fromEntries(Object.entries(o.stringData).map(([k, v]) => [k, Buffer.from(String(v), 'utf8').toString('base64')])) };
    delete o.stringData;
  }
}

export interface FakeClusterOptions {
  /** Served group/versions (GET /apis, and 404 for the others). */
  groups?: string[];
  /** Deployments become available after each spec change, as the deployment controller and kubelet would make them. */
  deploymentController?: boolean;
}

export class FakeCluster implements ClusterApi {
  context = 'fake';
  server = 'https://fake.invalid:6443';
  signal: AbortSignal | undefined;
  readonly log: LoggedRequest[] = [];
  private readonly objects = new Map<string, Tree>();
  private rv = 100;
  private readonly groups: string[];
  private readonly controller: boolean;

  constructor(opts: FakeClusterOptions = {}) {
    this.groups = opts.groups ?? BUILTIN_GROUPS;
    this.controller = opts.deploymentController ?? true;
    for (const name of ['default', 'kube-system']) this.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  /** A copy of this cluster (its objects; not its log). */
  clone(): FakeCluster {
    const copy = new FakeCluster({ groups: this.groups, deploymentController: this.controller });
    for (const [k, v] of this.objects) copy.objects.set(k, structuredClone(v));
    return Object.assign(copy, { rv: this.rv });
  }

  async request<T>(method: string, path: string, opts: RequestOpts = {}): Promise<T> {
    this.signal?.throwIfAborted();
    await new Promise((r) => setImmediate(r));
    this.signal?.throwIfAborted();
    const entry: LoggedRequest = { seq: this.log.length, method, path, query: opts.query ?? {}, contentType: opts.contentType, accept: opts.accept, body: structuredClone(opts.body), status: 0 };
    this.log.push(entry);
    try {
      const result = this.handle(method, path, opts);
      entry.status = method === 'POST' ? 201 : 200;
      return structuredClone(result) as T;
    } catch (error) {
      entry.status = error instanceof ClusterError ? (error.status ?? 0) : 0;
      throw error;
    }
  }

  async list<T>(path: string, opts: ListOptions = {}): Promise<T[]> {
    const accept = opts.metadataOnly ? 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json' : 'application/json';
    const page = await this.request<{ items: T[] }>('GET', path, { accept, query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: String(opts.limit ?? 500) } });
    return page.items;
  }

  getOptional<T>(path: string): Promise<T | undefined> {
    return this.request<T>('GET', path).catch((error: unknown) => {
      if (error instanceof ClusterError && error.status === 404) return undefined;
      throw error;
    });
  }

  /** The stored object (a copy), or undefined; not logged. */
  get(path: string): Tree | undefined {
    const o = this.objects.get(this.locate('GET', path).key);
    return o && structuredClone(o);
  }

  /** Creates an object as another client would (POST by `manager`), with a status if given; not logged. */
  seed(object: Tree, opts: { manager?: string; status?: Tree } = {}): Tree {
    const at = this.locate('POST', this.pathOf(object));
    if (this.objects.has(at.key)) throw new Error(`fake cluster: ${this.pathOf(object)} exists`);
    const created = this.create(at, structuredClone(object), opts.manager ?? 'kubectl-create');
    return opts.status ? this.setStatus(this.pathOf(object), opts.status) : structuredClone(created);
  }

  /** Changes an object as another manager would (kubectl edit: an Update that takes the fields it changes); not logged. */
  edit(path: string, mutate: (o: Tree) => void, manager = 'kubectl-edit'): Tree {
    const at = this.locate('PUT', path);
    const old = this.existing(at, 'PUT', path);
    const next = structuredClone(old);
    mutate(next);
    return structuredClone(this.write(at, old, next, this.updated(old, next, manager)));
  }

  /** A status write through the status subresource (a controller): a new resourceVersion, the same fields. */
  setStatus(path: string, status: Tree, manager = 'kube-controller-manager'): Tree {
    const at = this.locate('PUT', path);
    const old = this.existing(at, 'PUT', path);
    const entries = (meta(old).managedFields ?? []).filter((e) => !(e.manager === manager && e.subresource === 'status'));
    const entry: ManagedEntry = { manager, operation: 'Update', apiVersion: String(old.apiVersion), fieldsType: 'FieldsV1', fieldsV1: { 'f:status': fieldsOf(status) }, subresource: 'status' };
    return structuredClone(this.write(at, old, { ...old, status: structuredClone(status) }, [...entries, entry]));
  }

  /** Deletes an object as another client would; not logged. */
  remove(path: string): void {
    this.handle('DELETE', path, {});
  }

  private pathOf(o: Tree): string {
    const [group, resource, namespaced] = KIND_RESOURCES[String(o.kind)] ?? [];
    const m = meta(o);
    return `${group ? `/apis/${String(o.apiVersion)}` : '/api/v1'}${namespaced ? `/namespaces/${m.namespace}` : ''}/${resource}/${m.name}`;
  }

  /** Parses a REST path; 404 as the server answers for what it does not serve. */
  private locate(method: string, path: string): Located {
    const s = path.split('?')[0]!.split('/').filter(Boolean);
    const [gv, rest] = s[0] === 'api' ? [s[1] ?? '', s.slice(2)] : [`${s[1]}/${s[2]}`, s.slice(3)];
    const group = gv.includes('/') ? gv.split('/')[0]! : '';
    const scoped = rest[0] === 'namespaces' && rest.length >= 3;
    const [namespace, resource, name] = scoped ? [rest[1], rest[2]!, rest[3]] : [undefined, rest[0] ?? '', rest[1]];
    const served = RESOURCES.get(`${group}/${resource}`);
    if (!this.groups.includes(gv) || !served || (scoped && !served.namespaced) || (!scoped && served.namespaced && name) || rest.length > (scoped ? 4 : 2)) throw this.fail(404, method, path, 'the server could not find the requested resource');
    const qualified = group ? `${resource}.${group}` : resource;
    return { key: `${group}|${resource}|${namespace ?? ''}|${name ?? ''}`, group, resource, kind: served.kind, namespaced: served.namespaced, namespace, name, qualified };
  }

  private fail(status: number, method: string, path: string, message: string): ClusterError {
    return new ClusterError(`${method} ${path} failed (${status}): ${message}`, { status });
  }

  private existing(at: Located, method: string, path: string): Tree {
    const o = this.objects.get(at.key);
    if (!o) throw this.fail(404, method, path, `${at.qualified} "${at.name}" not found`);
    return o;
  }

  private handle(method: string, path: string, opts: RequestOpts): unknown {
    if (method === 'GET' && path === '/apis') {
      const groups = this.groups.filter((g) => g.includes('/')).map((gv) => ({ name: gv.split('/')[0], versions: [{ groupVersion: gv, version: gv.split('/')[1] }], preferredVersion: { groupVersion: gv, version: gv.split('/')[1] } }));
      return { kind: 'APIGroupList', apiVersion: 'v1', groups };
    }
    const at = this.locate(method, path);
    const body = (typeof opts.body === 'string' ? JSON.parse(opts.body) : opts.body) as Tree | undefined;
    const query = opts.query ?? {};
    if (method === 'GET') return at.name ? this.existing(at, method, path) : this.collection(at, method, path, query, opts.accept ?? '');
    if (method === 'POST') {
      if (this.objects.has(`${at.key}${meta(body!).name}`)) throw this.fail(409, method, path, `${at.qualified} "${meta(body!).name}" already exists`);
      return this.create({ ...at, key: `${at.key}${meta(body!).name}`, name: meta(body!).name }, body!, query.fieldManager ?? 'unknown', method, path);
    }
    if (method === 'DELETE') {
      const old = this.existing(at, method, path);
      const pre = ((body?.preconditions ?? {}) as { uid?: string; resourceVersion?: string });
      for (const [field, label] of [['uid', 'UID'], ['resourceVersion', 'ResourceVersion']] as const) {
        if (pre[field] && pre[field] !== meta(old)[field]) {
          throw this.fail(409, method, path, `Operation cannot be fulfilled on ${at.qualified} "${at.name}": Precondition failed: ${label} in precondition: ${pre[field]}, ${label} in object meta: ${meta(old)[field]}`);
        }
      }
      this.objects.delete(at.key);
      if (at.resource === 'namespaces') for (const k of [...this.objects.keys()]) if (k.split('|')[2] === at.name) this.objects.delete(k);
      return { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name: at.name, kind: at.resource } };
    }
    const old = this.objects.get(at.key);
    const modified = (): ClusterError => this.fail(409, method, path, `Operation cannot be fulfilled on ${at.qualified} "${at.name}": the object has been modified; please apply your changes to the latest version and try again`);
    if (method === 'PUT') {
      if (!old) throw this.fail(404, method, path, `${at.qualified} "${at.name}" not found`);
      if (meta(body!).resourceVersion && meta(body!).resourceVersion !== meta(old).resourceVersion) throw modified();
      const next = { ...structuredClone(body!), metadata: { ...meta(old), ...meta(body!), managedFields: meta(old).managedFields }, ...(old.status ? { status: old.status } : {}) };
      return this.write(at, old, next, this.updated(old, next, query.fieldManager ?? 'unknown'));
    }
    if (method === 'PATCH' && opts.contentType === 'application/merge-patch+json') {
      const next = mergePatch(this.existing(at, method, path), body) as Tree;
      return this.write(at, old!, next, this.updated(old!, next, query.fieldManager ?? 'unknown'));
    }
    if (method === 'PATCH' && opts.contentType === 'application/json-patch+json') {
      const current = this.existing(at, method, path);
      const ops = (typeof opts.body === 'string' ? JSON.parse(opts.body) : opts.body) as { op: string; path: string; value?: unknown }[];
      const next = jsonPatch(current, ops, (why) => this.fail(422, method, path, why));
      // a patch that writes managedFields replaces them as given (the real server's rule); its own changes are recorded on top
      const given = ops.some((o) => o.path === '/metadata/managedFields') ? { ...current, metadata: { ...meta(current), managedFields: meta(next).managedFields } } : current;
      return this.write(at, old!, next, this.updated(given, next, query.fieldManager ?? 'unknown'));
    }
    if (method !== 'PATCH' || opts.contentType !== 'application/apply-patch+yaml') throw this.fail(415, method, path, `unsupported ${method} of content type ${opts.contentType}`);
    const manager = query.fieldManager;
    if (!manager) throw this.fail(400, method, path, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const { resourceVersion, ...bodyMeta } = meta(body!);
    // a precondition (applyObject's resourceVersion); on a missing object unverified against the real server: refused the same way
    if (resourceVersion && resourceVersion !== (old && meta(old).resourceVersion)) throw modified();
    const applied: Tree = { ...structuredClone(body!), metadata: bodyMeta };
    delete applied.status; // the main resource ignores status
    for (const p of itemsOf(applied, 'ports')) if (isMap(p)) p.protocol ??= 'TCP'; // list-map keys are defaulted, as the server does
    const mine = leaves(ownedFields(applied));
    if (!old) return this.create(at, applied, manager, method, path, 'Apply', mine);
    const mineKeys = new Set(mine.map((p) => JSON.stringify(p)));
    const entries = structuredClone(meta(old).managedFields ?? []);
    const conflicts: { entry: ManagedEntry; path: Path }[] = [];
    for (const e of entries.filter((x) => !(x.manager === manager && x.operation === 'Apply' && !x.subresource))) {
      for (const p of leaves(e.fieldsV1)) if (mineKeys.has(JSON.stringify(p)) && !p.at(-1)!.startsWith('k:') && !same(valueAt(applied, p), valueAt(old, p))) conflicts.push({ entry: e, path: p });
    }
    if (conflicts.length && query.force !== 'true') throw this.fail(409, method, path, conflictMessage(conflicts));
    const isMine = (e: ManagedEntry): boolean => e.manager === manager && e.operation === 'Apply' && !e.subresource;
    const before = entries.find(isMine);
    const entry: ManagedEntry = { manager, operation: 'Apply', apiVersion: String(applied.apiVersion), fieldsType: 'FieldsV1', fieldsV1: treeOf(mine) };
    // forced: the conflicting fields leave their other owners
    const kept = entries.map((e) => (isMine(e) ? entry : { ...e, fieldsV1: treeOf(leaves(e.fieldsV1).filter((p) => !conflicts.some((c) => c.entry === e && same(c.path, p)))) }));
    const next = merge(old, applied) as Tree;
    // what this manager set before and no longer sends, and nobody else owns, is removed
    const othersOwn = new Set(kept.filter((e) => e !== entry).flatMap((e) => leaves(e.fieldsV1)).map((p) => JSON.stringify(p)));
    const owned = (k: string): boolean => [...othersOwn].some((o) => o === k || o.startsWith(`${k.slice(0, -1)},`)); // it, or a field inside it
    for (const k of leaves(before?.fieldsV1).map((p) => JSON.stringify(p))) if (!mineKeys.has(k) && !owned(k)) removeAt(next, JSON.parse(k) as Path);
    return this.write(at, old, next, before ? kept : [...kept, entry]);
  }

  private collection(at: Located, method: string, path: string, query: Record<string, string | undefined>, accept: string): unknown {
    const labels = parseSelector(query.labelSelector, (f) => this.fail(400, method, path, `unable to parse requirement: ${f}`));
    const fields = parseSelector(query.fieldSelector, (f) => this.fail(400, method, path, `invalid field selector: ${f}`));
    for (const f of fields) {
      if (!['metadata.name', 'metadata.namespace', ...(at.resource === 'secrets' ? ['type'] : [])].includes(f.key)) throw this.fail(400, method, path, `"${f.key}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    }
    const fieldOf = (o: Tree, key: string): string | undefined => (key === 'type' ? (o.type as string | undefined) : (meta(o)[key.slice('metadata.'.length)] as string | undefined));
    const items = [...this.objects.entries()]
      .filter(([k]) => k.startsWith(`${at.group}|${at.resource}|${at.namespace === undefined ? '' : `${at.namespace}|`}`))
      .map(([, o]) => o)
      .filter((o) => labels.every((r) => r.test((meta(o).labels as Record<string, string> | undefined)?.[r.key])) && fields.every((r) => r.test(fieldOf(o, r.key))));
    const listMeta = { resourceVersion: String(this.rv) };
    if (accept.includes('as=PartialObjectMetadataList')) {
      return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, items: items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata })) };
    }
    // built-in kinds are listed without their items' apiVersion and kind
    return { kind: `${at.kind}List`, apiVersion: at.group ? `${at.group}/v1` : 'v1', metadata: listMeta, items: items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest) };
  }

  private create(at: Located, body: Tree, manager: string, method = 'POST', path = '', operation: 'Apply' | 'Update' = 'Update', fields?: Path[]): Tree {
    if (at.namespaced) {
      const ns = this.objects.get(`|namespaces||${at.namespace}`);
      if (!ns || (ns.status as Tree | undefined)?.phase === 'Terminating') throw this.fail(404, method, path, `namespaces "${at.namespace}" not found`);
    }
    const object: Tree = { ...structuredClone(body), metadata: { ...meta(body), ...(at.namespaced ? { namespace: at.namespace } : {}), uid: randomUUID(), creationTimestamp: new Date().toISOString() } };
    if (at.resource === 'namespaces') Object.assign(object, { status: { phase: 'Active' } }, { metadata: { ...meta(object), labels: { ...(meta(object).labels as Tree), 'kubernetes.io/metadata.name': meta(object).name } } });
    else delete object.status;
    const entry: ManagedEntry = { manager, operation, apiVersion: String(body.apiVersion), fieldsType: 'FieldsV1', fieldsV1: treeOf(fields ?? leaves(ownedFields(body))) };
    return this.write(at, undefined, object, [entry]);
  }

  /** An Update's managed fields: it takes the fields it changes from every other entry. */
  private updated(old: Tree, next: Tree, manager: string): ManagedEntry[] {
    const changed = leaves(ownedFields(next)).filter((p) => (p.at(-1)!.startsWith('k:') ? valueAt(old, p) === undefined : !same(valueAt(old, p), valueAt(next, p))));
    const gone = leaves(ownedFields(old)).filter((p) => valueAt(next, p) === undefined);
    const taken = new Set([...changed, ...gone].map((p) => JSON.stringify(p)));
    const entries = (meta(old).managedFields ?? []).map((e) => ({ ...e, fieldsV1: treeOf(leaves(e.fieldsV1).filter((p) => !taken.has(JSON.stringify(p)))) }));
    const mine = entries.find((e) => e.manager === manager && e.operation === 'Update' && !e.subresource);
    const paths = [...leaves(mine?.fieldsV1), ...changed];
    return [...entries.filter((e) => e !== mine), { manager, operation: 'Update', apiVersion: String(next.apiVersion), fieldsType: 'FieldsV1', fieldsV1: treeOf(paths) }];
  }

  /** Stores `next` (a new resourceVersion, a new generation when the spec changed), unless nothing changed: no-op writes are skipped. */
  private write(at: Located, old: Tree | undefined, next: Tree, entries: ManagedEntry[]): Tree {
    defaults(at.kind, next, this.rv);
    dropEmptyLists(next);
    const m = meta(next);
    m.managedFields = entries.filter((e) => leaves(e.fieldsV1).length);
    if (old && same(old, next)) return old;
    const specChanged = !old || !same(old.spec, next.spec);
    if ('spec' in next) m.generation = (old ? (meta(old).generation ?? 1) : 0) + (specChanged ? 1 : 0);
    m.resourceVersion = String(++this.rv);
    this.objects.set(at.key, next);
    if (this.controller && at.kind === 'Deployment' && specChanged) {
      const path = this.pathOf(next);
      setImmediate(() => {
        const d = this.objects.get(at.key);
        const replicas = ((d?.spec as Tree | undefined)?.replicas as number | undefined) ?? 1;
        if (d && meta(d).uid === m.uid) this.setStatus(path, { observedGeneration: meta(d).generation, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, conditions: [{ type: 'Available', status: 'True' }] });
      });
    }
    return next;
  }
}

/** RFC 6902 (test, add, replace, remove; object members and array indices), as the API server applies it. */
function jsonPatch(doc: Tree, ops: { op: string; path: string; value?: unknown }[], fail: (why: string) => Error): Tree {
  const out = structuredClone(doc);
  for (const o of ops) {
    const keys = o.path.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop()!;
    let parent: unknown = out;
    for (const k of keys) parent = (parent as Record<string, unknown> | undefined)?.[k];
    if (!parent || typeof parent !== 'object') throw fail(`the server rejected our request due to an error in our request: missing path ${o.path}`);
    const node = parent as Record<string, unknown>;
    if (o.op === 'test') {
      if (!same(node[last], o.value)) throw fail(`the server rejected our request due to an error in our request: testing value ${o.path} failed`);
    } else if (o.op === 'remove') {
      if (!(last in node)) throw fail(`the server rejected our request due to an error in our request: missing path ${o.path}`);
      if (Array.isArray(node)) node.splice(Number(last), 1);
      else delete node[last];
    } else if (o.op === 'add' || o.op === 'replace') {
      if (o.op === 'replace' && !(last in node)) throw fail(`the server rejected our request due to an error in our request: missing path ${o.path}`);
      if (Array.isArray(node) && o.op === 'add') node.splice(last === '-' ? node.length : Number(last), 0, structuredClone(o.value));
      else node[last] = structuredClone(o.value);
    } else throw fail(`unsupported JSON patch operation ${o.op}`);
  }
  // Go's omitempty: an emptied labels or annotations map is not stored
  const m = out.metadata as Record<string, unknown>;
  for (const k of ['labels', 'annotations']) if (isMap(m[k]) && !Object.keys(m[k]).length) delete m[k];
  return out;
}

/** Go's omitempty: an empty list is not stored. */
function dropEmptyLists(o: unknown): void {
  if (Array.isArray(o)) o.forEach(dropEmptyLists);
  else if (isMap(o)) for (const [k, v] of Object.entries(o)) if (Array.isArray(v) && !v.length) delete o[k];
  else dropEmptyLists(v);
}

/** Every list item under a field named `field`, at any depth. */
function itemsOf(o: unknown, field: string): unknown[] {
  if (Array.isArray(o)) return o.flatMap((x) => itemsOf(x, field));
  if (!isMap(o)) return [];
  return Object.entries(o).flatMap(([k, v]) => [...(k === field && Array.isArray(v) ? v : []), ...itemsOf(v, field)]);
}

/** Equality-based selectors: k=v, k==v, k!=v (also true when the label is absent), k, !k; comma-joined. */
function parseSelector(selector: string | undefined, bad: (term: string) => Error): { key: string; test: (v: string | undefined) => boolean }[] {
  return (selector ?? '').split(',').filter(Boolean).map((term) => {
    const m = /^\s*(!?)([\w./-]+)\s*(?:(==|=|!=)\s*([\w./-]*))?\s*$/.exec(term);
    if (!m) throw bad(term);
    const [, not, key, op, value] = m as unknown as [string, string, string, string | undefined, string];
    if (!op) return { key, test: (v) => (v !== undefined) !== (not === '!') };
    if (not) throw bad(term);
    return { key, test: op === '!=' ? (v) => v !== value : (v) => v === value };
  });
}

/** The real server's message (k8s.io/apimachinery managedfields internal/conflict.go). */
function conflictMessage(conflicts: { entry: ManagedEntry; path: Path }[]): string {
  const who = (e: ManagedEntry): string => `${JSON.stringify(e.manager)}${e.subresource ? ` with subresource "${e.subresource}"` : ''}${e.operation === 'Update' ? ` using ${e.apiVersion}` : ''}`;
  const show = (p: Path): string => p.map((e) => (e.startsWith('f:') ? `.${e.slice(2)}` : `[${Object.entries(JSON.parse(e.slice(2)) as Tree).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`)).join('');
  if (conflicts.length === 1) return `Apply failed with 1 conflict: conflict with ${who(conflicts[0]!.entry)}: ${show(conflicts[0]!.path)}`;
  const byManager = new Map<string, Path[]>();
  for (const c of conflicts) byManager.set(who(c.entry), [...(byManager.get(who(c.entry)) ?? []), c.path]);
  const lines = [...byManager].sort(([a], [b]) => a.localeCompare(b)).flatMap(([m, paths]) => [`conflicts with ${m}:`, ...paths.map((p) => `- ${show(p)}`)]);
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}
