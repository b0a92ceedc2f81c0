/**
 * Stable serialisation: keys sorted, with apiVersion, kind, metadata first and name/namespace first in
 * metadata; no trailing whitespace. The bytes depend only on the objects.
 *
 * YAML is emitted here rather than by the yaml library because render must start fast and our objects are
 * plain data (maps, lists, strings, numbers, booleans). Safety does not depend on cleverness: a string is
 * written plain only when it is made of harmless characters and cannot be read as anything but that
 * string; every other string is written JSON-quoted, which YAML reads back exactly. Tests parse the output
 * with the yaml library and compare it with the objects.
 */
import type { KubeObject } from './k8s-types.ts';

const FIRST: Record<string, string[]> = { '': ['apiVersion', 'kind', 'metadata'], metadata: ['name', 'namespace', 'labels', 'annotations'] };

function ordered(value: unknown, parentKey = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(v));
  if (value === null || typeof value !== 'object') return value;
  const first = FIRST[parentKey] ?? [];
  const keys = Object.keys(value).sort((a, b) => {
    const ia = first.indexOf(a);
    const ib = first.indexOf(b);
    if (ia !== -1 || ib !== -1) return (ia === -1 ? Infinity : ia) - (ib === -1 ? Infinity : ib);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return Object.fromEntries(keys.map((k) => [k, ordered((value as Record<string, unknown>)[k], k)]));
}

/** Puts the keys of an object in canonical order, recursively. */
export function canonical(object: KubeObject): unknown {
  return ordered(object, '');
}

/** Plain-safe: starts with a letter, digit, '/' or '.', continues with a small set of characters. */
const PLAIN = /^[A-Za-z0-9/.][A-Za-z0-9/._\-=+@,:]*$/;
/** Words YAML 1.1 or 1.2 readers could take for booleans, null or numbers. */
const AMBIGUOUS = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|[-+]?(?:\.?\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?|0x[\da-fA-F_]+|0o[0-7_]+|0b[01_]+|\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN|\d[\d_]*(?::[0-5]?\d)+(?:\.\d*)?))$/;

function scalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot serialise ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return PLAIN.test(value) && !AMBIGUOUS.test(value) && !value.includes(': ') && !value.endsWith(':') ? value : JSON.stringify(value);
}

const isEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length === 0 : v !== null && typeof v === 'object' && Object.keys(v).length === 0);
const key = (k: string): string => scalar(k);

function emit(value: unknown, indent: string, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item !== null && typeof item === 'object' && !isEmpty(item)) {
        const lines: string[] = [];
        emit(item, `${indent}  `, lines);
        // the first line of the item goes on the dash line
        out.push(`${indent}- ${lines[0]!.slice(indent.length + 2)}`, ...lines.slice(1));
      } else out.push(`${indent}- ${inline(item)}`);
    }
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object' && !isEmpty(v)) {
      out.push(`${indent}${key(k)}:`);
      emit(v, `${indent}  `, out);
    } else out.push(`${indent}${key(k)}: ${inline(v)}`);
  }
}

function inline(value: unknown): string {
  if (Array.isArray(value)) return '[]';
  if (value !== null && typeof value === 'object') return '{}';
  if (value === undefined) throw new Error('cannot serialise undefined');
  return scalar(value as string | number | boolean | null);
}

/** One YAML document per object, each starting with `---`. */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects
    .map((o) => {
      const lines: string[] = [];
      emit(canonical(o), '', lines);
      return `---\n${lines.join('\n')}\n`;
    })
    .join('');
}

/** A `v1/List`, for `-o json`. */
export function toJsonList(objects: readonly KubeObject[]): string {
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects.map(canonical) }, null, 2)}\n`;
}
