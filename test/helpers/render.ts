/** Renders golden cases through the same path the CLI takes (resolveValues → renderManifests). */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { resolveValues, type ValueFlags } from '../../src/config/resolve.ts';
import { parseValuesFile } from '../../src/config/values-file.ts';
import type { Values } from '../../src/config/values-schema.ts';
import { renderManifests, type Material } from '../../src/render/index.ts';
import type { KubeObject } from '../../src/render/k8s-types.ts';
import { DYNAMO_PLATFORM_VERSION } from '../../src/version.ts';
import type { GoldenCase } from '../golden/cases.ts';

export const defaultsText = readFileSync(new URL('../../templates/values.yaml', import.meta.url), 'utf8');
export const defaults = parse(defaultsText) as Record<string, unknown>;

export function caseValues(c: GoldenCase, flags: ValueFlags = {}): Values {
  return resolveValues({
    defaults,
    files: c.values ? [parseValuesFile(`${c.name}.yaml`, c.values)] : [],
    sets: [],
    flags: { ...c.flags, ...flags },
  });
}

export function renderCase(c: GoldenCase, material: Material | undefined, flags: ValueFlags = {}): { values: Values; objects: KubeObject[] } {
  const values = caseValues(c, flags);
  return { values, objects: renderManifests(values, { apiVersions: c.apiVersions ?? [] }, material, DYNAMO_PLATFORM_VERSION) };
}

const id = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ?? '-'}/${o.metadata.name}`;

/** Differences between two object sets, one readable line each: "Deployment/ns/x: spec.replicas 1 → 2". */
export function diffObjects(expected: KubeObject[], actual: KubeObject[]): string[] {
  const want = new Map(expected.map((o) => [id(o), o]));
  const got = new Map(actual.map((o) => [id(o), o]));
  const lines: string[] = [];
  for (const key of want.keys()) if (!got.has(key)) lines.push(`${key}: missing`);
  for (const key of got.keys()) if (!want.has(key)) lines.push(`${key}: unexpected`);
  for (const [key, w] of want) {
    const g = got.get(key);
    if (g) lines.push(...diffValue(w, g, '').map((d) => `${key}: ${d}`));
  }
  return lines;
}

function diffValue(a: unknown, b: unknown, path: string): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => diffValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return [`${path} ${JSON.stringify(a)} → ${JSON.stringify(b)}`];
}
