import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../../src/render/k8s-types.ts';
import { toYaml } from '../../../src/render/serialize.ts';
import { FIXED_MATERIAL, goldenCases } from '../../golden/cases.ts';
import { diffObjects, renderCase } from '../../helpers/render.ts';

const goldenFile = (name: string): URL => new URL(`../../golden/${name}.yaml`, import.meta.url);

describe('golden renders', () => {
  it.each(goldenCases.map((c) => [c.name, c] as const))('%s matches its golden file', (name, c) => {
    const yaml = toYaml(renderCase(c, FIXED_MATERIAL).objects);
    if (process.env.UPDATE_GOLDEN) writeFileSync(goldenFile(name), yaml);
    expect(existsSync(goldenFile(name)), `no golden file for ${name}; run UPDATE_GOLDEN=1 npx vitest run test/unit/render`).toBe(true);
    const expected = parseAllDocuments(readFileSync(goldenFile(name), 'utf8')).map((d) => d.toJS() as KubeObject);
    const actual = parseAllDocuments(yaml).map((d) => d.toJS() as KubeObject);
    expect(diffObjects(expected, actual)).toEqual([]);
  });

  it.each(goldenCases.map((c) => [c.name, c] as const))('%s renders byte-identically twice', (_name, c) => {
    expect(toYaml(renderCase(c, FIXED_MATERIAL).objects)).toBe(toYaml(renderCase(c, FIXED_MATERIAL).objects));
  });

  it('serialises with apiVersion, kind, metadata first and no trailing whitespace', () => {
    const yaml = toYaml(renderCase(goldenCases[0]!, FIXED_MATERIAL).objects);
    for (const doc of yaml.split('---\n').filter(Boolean)) expect(doc.split('\n').slice(0, 3)).toEqual([expect.stringMatching(/^apiVersion: /), expect.stringMatching(/^kind: /), 'metadata:']);
    expect(yaml).not.toMatch(/[ \t]$/m);
  });
});
