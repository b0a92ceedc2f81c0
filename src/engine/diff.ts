/**
 * The field-level difference between what dynamoctl would apply and what the cluster holds, computed
 * locally: every field the desired object sets must have that value live (what the server adds, defaults
 * and status, is not ours to compare), and every field dynamoctl's field manager owns live must still be
 * set (server-side apply removes the ones it no longer sends). No write is needed to plan: a user who may
 * only get and list can ask for status.
 */
import type { KubeObject } from '../render/k8s-types.ts';
import { samePermissions } from '../render/rbac-rules.ts';

export interface FieldChange {
  /** e.g. spec.template.spec.containers[manager].image */
  path: string;
  /** What the cluster holds (undefined: not set). */
  from: unknown;
  /** What dynamoctl would set (undefined: removed). */
  to: unknown;
}

type Json = unknown;
const isMap = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEmpty = (v: Json): boolean => v === undefined || v === null || (Array.isArray(v) && !v.length) || (isMap(v) && !Object.keys(v).length);

const QUANTITY = /^([+-]?\d+(?:\.\d+)?)(m|k|Ki|Mi|Gi|Ti|Pi|M|G|T|P|)$/;
const FACTORS: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };

/** The server rewrites quantities to their canonical form ("0.5" → "500m"); equal amounts are equal. */
function sameScalar(a: Json, b: Json): boolean {
  if (a === b) return true;
  if ((typeof a === 'number' || typeof a === 'string') && (typeof b === 'number' || typeof b === 'string')) {
    const [qa, qb] = [QUANTITY.exec(String(a)), QUANTITY.exec(String(b))];
    if (qa && qb) return Math.abs(Number(qa[1]) * FACTORS[qa[2]!]! - Number(qb[1]) * FACTORS[qb[2]!]!) < 1e-9;
  }
  return false;
}

/** Lists whose items have names are matched by name (containers, env, ports, volumes, webhooks). */
const keyOf = (item: Json): string | undefined => (isMap(item) && typeof item.name === 'string' ? item.name : undefined);

function compare(desired: Json, live: Json, path: string, out: FieldChange[]): void {
  if (isEmpty(desired)) return;
  if (isMap(desired)) {
    if (!isMap(live)) return void out.push({ path, from: live, to: desired });
    for (const [k, v] of Object.entries(desired)) compare(v, live[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return void out.push({ path, from: live, to: desired });
    desired.forEach((item, i) => {
      const key = keyOf(item);
      const match = key === undefined ? live[i] : live.find((l) => keyOf(l) === key);
      if (match === undefined) out.push({ path: `${path}[${key ?? i}]`, from: undefined, to: item });
      else compare(item, match, `${path}[${key ?? i}]`, out);
    });
    return;
  }
  if (!sameScalar(desired, live)) out.push({ path, from: live, to: desired });
}

/** Secrets are written as stringData and read back as base64 data. */
function normalised(o: KubeObject): Record<string, Json> {
  const { metadata, status: _status, stringData, ...rest } = o as KubeObject & { stringData?: Record<string, string>; status?: unknown };
  const data = stringData ? { ...(o.data as Record<string, string> | undefined), ...Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])) } : o.data;
  return { ...rest, ...(data ? { data } : {}), metadata: { labels: metadata.labels, annotations: metadata.annotations } };
}

/** Paths of the leaves a managedFields entry (fieldsV1) claims, in this module's path syntax. */
export function ownedPaths(fields: Json, live: Json, path = ''): string[] {
  if (!isMap(fields)) return [];
  const children = Object.keys(fields).filter((k) => k !== '.');
  if (!children.length) return path ? [path] : [];
  return children.flatMap((k) => {
    if (k.startsWith('f:')) {
      const name = k.slice(2);
      return ownedPaths(fields[k], isMap(live) ? live[name] : undefined, path ? `${path}.${name}` : name);
    }
    if (k.startsWith('k:') && Array.isArray(live)) {
      const keys = JSON.parse(k.slice(2)) as Record<string, Json>;
      const item = live.find((l) => isMap(l) && Object.entries(keys).every(([kk, vv]) => l[kk] === vv));
      const label = typeof keys.name === 'string' ? keys.name : String(Object.values(keys)[0]);
      return item === undefined ? [] : ownedPaths(fields[k], item, `${path}[${label}]`);
    }
    return []; // v: (set members) and i: (positions) are compared as whole lists
  });
}

function lookup(o: Json, path: string): Json {
  let at: Json = o;
  for (const part of path.match(/[^.[\]]+|\[[^\]]*\]/g) ?? []) {
    if (part.startsWith('[')) {
      const key = part.slice(1, -1);
      at = Array.isArray(at) ? at.find((i) => keyOf(i) === key) ?? at[Number(key)] : undefined;
    } else at = isMap(at) ? at[part] : undefined;
    if (at === undefined) return undefined;
  }
  return at;
}

/**
 * What applying `desired` would change in `live`: its fields that differ, and fields `manager` set
 * before that `desired` no longer sets. Empty: nothing to apply.
 */
export function fieldChanges(desired: KubeObject, live: Record<string, Json> | undefined, manager: string): FieldChange[] {
  if (!live) return [];
  const want = normalised(desired);
  // rules that grant the same are the same (the render groups them its own way, the chart another)
  const { rules: _rules, ...withoutRules } = want;
  const compared = (desired.kind === 'Role' || desired.kind === 'ClusterRole') && samePermissions(want.rules, live.rules) ? withoutRules : want;
  const out: FieldChange[] = [];
  compare(compared, { ...live, metadata: isMap(live.metadata) ? { labels: live.metadata.labels, annotations: live.metadata.annotations } : {} }, '', out);
  const entries = ((isMap(live.metadata) ? live.metadata.managedFields : undefined) ?? []) as { manager?: string; operation?: string; fieldsV1?: Json }[];
  for (const entry of entries.filter((e) => e.manager === manager && e.operation === 'Apply')) {
    for (const path of ownedPaths(entry.fieldsV1, live)) {
      if (/^(metadata\.(name|namespace)|data|stringData|apiVersion|kind)($|\.)/.test(path)) continue;
      if (lookup(want, path) === undefined && lookup(live, path) !== undefined) out.push({ path, from: lookup(live, path), to: undefined });
    }
  }
  return out;
}

/** A change, for people: Secret values never shown. */
export function describeChange(kind: string, c: FieldChange): string {
  const scalars = (v: Json): v is (string | number | boolean)[] => Array.isArray(v) && v.every((x) => typeof x !== 'object');
  if (scalars(c.from) && scalars(c.to)) {
    // an argument list: what goes and what comes says more than two long lists
    const [from, to] = [c.from.map(String), c.to.map(String)];
    const gone = from.filter((x) => !to.includes(x)).map((x) => `-${short(x)}`);
    const added = to.filter((x) => !from.includes(x)).map((x) => `+${short(x)}`);
    return `${c.path}: ${[...gone, ...added].join(' ') || 'reordered'}`;
  }
  const show = (v: Json): string => (v === undefined ? '(unset)' : kind === 'Secret' && /^(data|stringData)\b/.test(c.path) ? '(hidden)' : short(JSON.stringify(v)));
  return `${c.path}: ${show(c.from)} → ${show(c.to)}`;
}

const short = (s: string): string => (s.length > 80 ? `${s.slice(0, 77)}...` : s);
