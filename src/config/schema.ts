/**
 * A small schema language for values, and its checker. Hand-written rather than JSON Schema because every
 * message must name the key path, the expected and the actual type, and suggest the key the user meant;
 * the schema itself is data (values-schema.ts).
 *
 * Sections dynamoctl renders are closed (unknown keys are errors); subchart sections are open: helm
 * passes them to charts we do not own.
 */

import { parseDuration } from './duration.ts';
import { isSecretKey } from './redact.ts';

export type Schema =
  | { type: 'string'; enum?: readonly string[]; pattern?: RegExp; patternHint?: string }
  | { type: 'boolean' }
  | { type: 'integer'; min?: number; max?: number }
  /** A Go duration as the operator parses it: 30s, 10m, 4h, 1h30m. */
  | { type: 'duration' }
  | { type: 'object'; properties: Record<string, Schema>; open?: boolean }
  /** An object whose keys are free (labels, annotations, selectors) but whose values have one schema. */
  | { type: 'map'; values: Schema }
  | { type: 'array'; items: Schema }
  /** Passed through untouched (Kubernetes shapes like tolerations, affinity, resources). */
  | { type: 'any'; shape?: 'object' | 'array' };

export const str = (extra: Omit<Extract<Schema, { type: 'string' }>, 'type'> = {}): Schema => ({ type: 'string', ...extra });
export const bool = (): Schema => ({ type: 'boolean' });
export const int = (min?: number, max?: number): Schema => ({ type: 'integer', ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) });
export const duration = (): Schema => ({ type: 'duration' });
export const obj = (properties: Record<string, Schema>, open = false): Schema => ({ type: 'object', properties, open });
export const map = (values: Schema): Schema => ({ type: 'map', values });
export const arr = (items: Schema): Schema => ({ type: 'array', items });
export const any = (shape?: 'object' | 'array'): Schema => (shape ? { type: 'any', shape } : { type: 'any' });

export type PathSegment = string | number;

/** One problem, located by its key path. */
export interface SchemaIssue {
  path: PathSegment[];
  message: string;
}

/** `a.b[0].c`, quoting keys that contain dots (annotation keys do). */
export function formatPath(path: readonly PathSegment[]): string {
  return path
    .map((s, i) => (typeof s === 'number' ? `[${s}]` : /[.[\]\s]/.test(s) ? `${i ? '.' : ''}"${s}"` : `${i ? '.' : ''}${s}`))
    .join('');
}


export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

/**
 * Checks `value` against `schema`, collecting every issue. `null` is accepted anywhere (Helm users write
 * `~` to mean "unset", and the merge treats null as deletion).
 */
export function checkSchema(value: unknown, schema: Schema, path: PathSegment[] = []): SchemaIssue[] {
  if (value === null || value === undefined) return [];
  const issue = (message: string): SchemaIssue[] => [{ path, message }];
  // a secret in the wrong type is named by its type only
  const secret = typeof path.at(-1) === 'string' && isSecretKey(path.at(-1) as string);
  const expected = (what: string): SchemaIssue[] => issue(`expected ${what}, got ${secret && value !== null && typeof value !== 'object' ? `a ${typeof value} (hidden: a secret)` : describeValue(value)}`);
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return expected('a string');
      if (schema.enum && !schema.enum.includes(value)) return issue(`must be one of ${schema.enum.join(', ')}, got ${JSON.stringify(value)}`);
      if (schema.pattern && value !== '' && !schema.pattern.test(value)) return issue(`${JSON.stringify(value)} is not ${schema.patternHint ?? `matching ${schema.pattern}`}`);
      return [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : expected('true or false');
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return expected('a whole number');
      if (schema.min !== undefined && value < schema.min) return issue(`must be at least ${schema.min}, got ${value}`);
      if (schema.max !== undefined && value > schema.max) return issue(`must be at most ${schema.max}, got ${value}`);
      return [];
    case 'duration':
      return typeof value === 'string' && parseDuration(value) !== undefined ? [] : expected('a duration like 30s, 10m or 4h');
    case 'array':
      if (!Array.isArray(value)) return expected('a list');
      return value.flatMap((item, i) => checkSchema(item, schema.items, [...path, i]));
    case 'any':
      if (schema.shape === 'object' && (typeof value !== 'object' || Array.isArray(value))) return expected('a map');
      if (schema.shape === 'array' && !Array.isArray(value)) return expected('a list');
      return [];
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) return expected('a map');
      return Object.entries(value).flatMap(([k, v]) => checkSchema(v, schema.values, [...path, k]));
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return expected('a map');
      const issues: SchemaIssue[] = [];
      for (const [key, child] of Object.entries(value)) {
        const sub = schema.properties[key];
        if (sub) issues.push(...checkSchema(child, sub, [...path, key]));
        else if (!schema.open) issues.push({ path: [...path, key], message: unknownKeyMessage(key, Object.keys(schema.properties)) });
      }
      return issues;
    }
  }
}

function unknownKeyMessage(key: string, known: string[]): string {
  const suggestion = closest(key, known);
  return suggestion ? `unknown key (did you mean "${suggestion}"?)` : `unknown key; known keys here: ${known.join(', ')}`;
}

/** The known key nearest to `key` by edit distance, if near enough to be a plausible typo. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
