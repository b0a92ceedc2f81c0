import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { DEVIATIONS } from '../../src/render/deviations.ts';
import { withDeviations } from '../../scripts/readme-deviations.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

it("README's deviation table is the one generated from src/render/deviations.ts (npm run docs:deviations)", () => {
  expect(readme).toBe(withDeviations(readme));
  for (const d of DEVIATIONS) expect(readme).toContain(d.reason.replace(/\|/g, '\\|'));
});

it('gives every deviation a reason and a unique id', () => {
  expect(new Set(DEVIATIONS.map((d) => d.id)).size).toBe(DEVIATIONS.length);
  for (const d of DEVIATIONS) expect(d.reason.length, d.id).toBeGreaterThan(40);
});
