/** Small fixtures several test files share. */
import { writeFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
import { expect } from 'vitest';
import { HelmError } from '../../src/errors.ts';

const CHART_KEYS = ['dynamo-crds', 'nats', 'etcd', 'grove', 'kai-scheduler'];

/** Writes a values file that takes every chart from `repo` (the loopback fixture repository, or a dead one). */
export function writeChartSources(file: string, repo: string): string {
  writeFileSync(file, stringify({ dynamoctl: { charts: Object.fromEntries(CHART_KEYS.map((k) => [k, { repo }])) } }));
  return file;
}

/** A default StorageClass (kwok binds nothing; what matters is that one is marked default). */
export const defaultStorageClass = (name: string) => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  provisioner: 'kwok.x-k8s.io/fake',
});

/** The HelmError `p` rejects with (fails the test if it resolves or rejects with anything else). */
export async function caughtHelmError(p: Promise<unknown>): Promise<HelmError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HelmError);
  return error as HelmError;
}

/**
 * Every string under an `image` key anywhere in a multi-document manifest: a walk independent of
 * src/components/images.ts, so tests of the image lists do not check that code against itself.
 */
export function imageFields(manifest: string): string[] {
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
