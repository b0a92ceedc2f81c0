/**
 * The values dynamoctl hands each subchart, rendered by real helm against the fixture charts (which behave
 * like the real ones: Bitnami's image guard, Grove's env-embedded init image, Kai's hook Job).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { mergeValues, resolveValues } from '../../src/config/resolve.ts';
import { COMPONENTS } from '../../src/components/table.ts';
import { subchartValues } from '../../src/components/values.ts';
import type { SubchartKey } from '../../src/config/values-schema.ts';
import { imageFields } from '../helpers/fixtures.ts';
import { defaults } from '../helpers/render.ts';
import { cluster, helm } from './cluster.ts';

const REGISTRY = 'mirror.example.com:5000/dynamo';
const charts: [SubchartKey, string][] = [
  ['nats', 'nats'],
  ['etcd', 'etcd'],
  ['grove', 'grove-charts'],
  ['kai-scheduler', 'kai-scheduler'],
];

describe('--registry reaches every subchart image (helm template of the fixture charts)', () => {
  const values = resolveValues({ defaults, files: [], sets: [], flags: { registry: REGISTRY, grove: true, kai: true } });
  const dir = mkdtempSync(join(tmpdir(), 'dynamoctl-subchart-'));

  it.each(charts)('%s', (key, chart) => {
    const file = join(dir, `${key}.yaml`);
    writeFileSync(file, stringify(subchartValues(values, key)), { mode: 0o600 });
    const pkg = cluster().charts.packages.find((p) => p.name === chart)!;
    const r = helm(3, ['template', `dynamo-platform-${key}`, pkg.file, '-n', 'dynamo-system', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    const found = imageFields(r.stdout);
    expect(found.length).toBeGreaterThan(0);
    for (const image of found) expect(image.startsWith(`${REGISTRY}/`), image).toBe(true);
    // images named in environment variables (Grove's init container, injected into every workload pod)
    for (const value of envImages(r.stdout)) expect(value.startsWith(`${REGISTRY}/`), value).toBe(true);
  });

  it.each(charts)('%s: the tolerations path of the components table reaches every workload', (key, chart) => {
    const file = join(dir, `${key}-tolerations.yaml`);
    const toleration = { key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' };
    // over the values dynamoctl passes (nats: no nats-box, which takes its own podTemplate)
    writeFileSync(file, stringify(mergeValues(subchartValues(values, key), COMPONENTS[key].tolerationsValues([toleration]))), { mode: 0o600 });
    const pkg = cluster().charts.packages.find((p) => p.name === chart)!;
    const r = helm(3, ['template', `dynamo-platform-${key}`, pkg.file, '-n', 'dynamo-system', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    const workloads = parseAllDocuments(r.stdout)
      .map((d) => d.toJS() as { kind?: string; metadata?: { name: string }; spec?: { template?: { spec?: { tolerations?: unknown[] } } } } | null)
      .filter((o) => o?.kind === 'Deployment' || o?.kind === 'StatefulSet');
    expect(workloads.length).toBeGreaterThan(0);
    for (const w of workloads) expect(w?.spec?.template?.spec?.tolerations, `${w?.kind} ${w?.metadata?.name}`).toContainEqual(toleration);
  });

  it('etcd: Bitnami’s image guard refuses a mirror unless dynamoctl lets it (allowInsecureImages)', () => {
    const pkg = cluster().charts.packages.find((p) => p.name === 'etcd')!;
    const file = join(dir, 'etcd-guarded.yaml');
    writeFileSync(file, stringify({ global: { imageRegistry: REGISTRY } }), { mode: 0o600 });
    const r = helm(3, ['template', 'dynamo-platform-etcd', pkg.file, '-n', 'dynamo-system', '-f', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Original containers have been substituted for unrecognized ones');
  });
});

/** Values of environment variables whose name ends in _IMAGE. */
function envImages(manifest: string): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as { name?: unknown; value?: unknown };
      if (typeof o.name === 'string' && o.name.endsWith('_IMAGE') && typeof o.value === 'string') found.push(o.value);
      Object.values(node).forEach(walk);
    }
  };
  for (const doc of parseAllDocuments(manifest)) walk(doc.toJS());
  return found;
}
