/** The values dynamoctl hands each subchart, rendered by real helm against the fixture charts. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { resolveValues } from '../../src/config/resolve.ts';
import { subchartValues } from '../../src/components/values.ts';
import type { SubchartKey } from '../../src/config/values-schema.ts';
import { defaults } from '../helpers/render.ts';
import { cluster, helm } from './cluster.ts';

const REGISTRY = 'mirror.example.com:5000/dynamo';
const charts: [SubchartKey, string][] = [
  ['nats', 'nats'],
  ['etcd', 'etcd'],
  ['grove', 'grove-charts'],
  ['kai-scheduler', 'kai-scheduler'],
];

function images(manifest: string): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'image' && typeof v === 'string') found.push(v);
        else walk(v);
      }
    }
  };
  for (const doc of parseAllDocuments(manifest)) walk(doc.toJS());
  return found;
}

describe('--registry reaches every subchart image (helm template of the fixture charts)', () => {
  const values = resolveValues({ defaults, files: [], sets: [], flags: { registry: REGISTRY, grove: true, kai: true } });
  const dir = mkdtempSync(join(tmpdir(), 'dynamoctl-subchart-'));

  it.each(charts)('%s', (key, chart) => {
    const file = join(dir, `${key}.yaml`);
    writeFileSync(file, stringify(subchartValues(values, key)), { mode: 0o600 });
    const pkg = cluster().charts.packages.find((p) => p.name === chart)!;
    const r = helm(3, ['template', `dynamo-platform-${key}`, pkg.file, '-n', 'dynamo-system', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    const found = images(r.stdout);
    expect(found.length).toBeGreaterThan(0);
    for (const image of found) expect(image.startsWith(`${REGISTRY}/`), image).toBe(true);
  });
});
