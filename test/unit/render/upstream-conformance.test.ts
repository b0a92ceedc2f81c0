/**
 * Operator parity: every case of the upstream reference data (../shared/upstream/dynamo-platform-0.8.1,
 * `helm template` of the real 0.8.1 chart) rendered by dynamoctl with the same flags and compared object by
 * object. Every difference must be declared in src/render/deviations.ts; a declared deviation that no case
 * shows any more fails too.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { expect, it } from 'vitest';
import { addValuesOptions, readValuesInput, type RawValuesOptions } from '../../../src/cli/values-options.ts';
import { resolveValues } from '../../../src/config/resolve.ts';
import { DEVIATIONS } from '../../../src/render/deviations.ts';
import { renderManifests } from '../../../src/render/index.ts';
import { fullname } from '../../../src/render/names.ts';
import { DYNAMO_PLATFORM_VERSION } from '../../../src/version.ts';
import { compareRenders, declares, describeDifference, parseRender, type TemplateContext } from '../../helpers/upstream-diff.ts';
import { describeWithUpstream, PLATFORM_081_DIR } from '../../helpers/upstream.ts';

interface UpstreamCase {
  name: string;
  release: string;
  namespace: string;
  values: string[];
  apiVersions: string[];
}

/** The case's flags, parsed exactly as `dynamoctl render` parses them. */
async function dynamoctlRender(c: UpstreamCase) {
  const command = addValuesOptions(new Command()).exitOverride();
  command.parse([...c.values, '--release', c.release], { from: 'user' });
  const values = resolveValues(await readValuesInput(command.opts<RawValuesOptions>(), c.namespace));
  return { values, objects: renderManifests(values, { apiVersions: c.apiVersions }, undefined, DYNAMO_PLATFORM_VERSION) };
}

describeWithUpstream('the operator render against the upstream 0.8.1 chart', () => {
  const cases = JSON.parse(readFileSync(`${PLATFORM_081_DIR}cases.json`, 'utf8')) as UpstreamCase[];
  const used = new Map(DEVIATIONS.map((d) => [d.id, 0]));

  it('has the reference cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: every difference is a declared deviation', async (_, c) => {
    const upstream = parseRender(readFileSync(`${PLATFORM_081_DIR}renders/${c.name}.yaml`, 'utf8'));
    const { values, objects } = await dynamoctlRender(c);
    const op = values['dynamo-operator'];
    const ctx: TemplateContext = {
      F: fullname(c.release, op),
      NS: c.namespace,
      TNS: op.namespaceRestriction.targetNamespace || c.namespace,
      RELEASE: c.release,
      CERT_SECRET: op.webhook.certificateSecret.name,
      MPI_SECRET: op.dynamo.mpiRun.secretName,
    };
    const undeclared: string[] = [];
    for (const diff of compareRenders(upstream, objects, c.namespace)) {
      const dev = DEVIATIONS.find((d) => declares(d, diff, ctx));
      if (dev) used.set(dev.id, (used.get(dev.id) ?? 0) + 1);
      else undeclared.push(describeDifference(diff));
    }
    expect(upstream.length).toBeGreaterThan(10);
    expect(undeclared).toEqual([]);
  });

  // tests in a file run in order: this one sees what every case matched
  it('declares only deviations that still occur', () => {
    const stale = DEVIATIONS.filter((d) => !d.noUpstreamCase && used.get(d.id) === 0).map((d) => d.id);
    const covered = DEVIATIONS.filter((d) => d.noUpstreamCase && (used.get(d.id) ?? 0) > 0).map((d) => d.id);
    expect(stale, 'declared deviations that no upstream case shows any more').toEqual([]);
    expect(covered, 'deviations marked noUpstreamCase that a case now shows (drop the mark)').toEqual([]);
  });
});
