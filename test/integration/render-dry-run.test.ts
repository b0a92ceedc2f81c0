/**
 * Every golden case's objects are accepted by a real API server: server-side apply with dryRun=All,
 * with real generated certificates and keys, into namespaces of the test's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { generateMaterial } from '../../src/cli/commands/render.ts';
import { goldenCases } from '../golden/cases.ts';
import { caseValues, renderCase } from '../helpers/render.ts';
import { cluster, eventually, kubectl, kubectlOk, uniqueName, yamlStream } from './cluster.ts';

const crds = fileURLToPath(new URL('../fixtures/crds/render-dependencies.yaml', import.meta.url));

describe('rendered objects against the API server (server-side apply, dryRun=All)', () => {
  let objects: KubernetesObjectApi;
  // the stand-in CRDs the cluster lacks (a Kai install of another test file leaves the real queues CRD behind)
  let created: { metadata: { name: string } }[] = [];
  beforeAll(async () => {
    const all = parseAllDocuments(readFileSync(crds, 'utf8')).map((d) => d.toJS() as { metadata: { name: string } });
    created = all.filter((crd) => kubectl(['get', 'crd', crd.metadata.name]).code !== 0);
    if (created.length) kubectlOk(['apply', '--server-side', '-f', '-'], { input: yamlStream(created) });
    await eventually('fixture CRDs Established', () => kubectl(['wait', '--for=condition=Established', '--timeout=30s', '-f', crds]).code === 0);
    const kc = new KubeConfig();
    kc.loadFromFile(cluster().kubeconfig);
    objects = KubernetesObjectApi.makeApiClient(kc);
  });
  // Other test files install charts that own some of these CRDs; leave the cluster as we found it.
  afterAll(() => {
    if (created.length) kubectl(['delete', 'crd', ...created.map((c) => c.metadata.name), '--wait=true']);
  });

  it.each(goldenCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const namespace = uniqueName('render');
    const flags = { namespace, ...(c.flags?.targetNamespace ? { targetNamespace: `${namespace}-target` } : {}) };
    for (const ns of new Set([namespace, flags.targetNamespace ?? namespace])) kubectlOk(['create', 'namespace', ns]);
    const material = await generateMaterial(caseValues(c, flags));
    const rendered = renderCase(c, material, flags).objects;
    expect(rendered.length).toBeGreaterThan(10);
    for (const o of rendered) {
      const applied = await objects.patch(o, undefined, 'All', 'dynamoctl', true, PatchStrategy.ServerSideApply).catch((error: unknown) => {
        throw new Error(`${o.kind} ${o.metadata.name} was refused: ${(error as { body?: string }).body ?? String(error)}`);
      });
      expect(applied.metadata?.name).toBe(o.metadata.name);
    }
    // a dry run persists nothing
    expect(kubectlOk(['get', 'deployments', '-n', namespace, '-o', 'name']).trim()).toBe('');
  });
});
