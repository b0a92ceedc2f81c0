import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { resolveValues, type ValuesInput } from '../../../src/config/resolve.ts';
import { parseValuesFile } from '../../../src/config/values-file.ts';
import { checkSchema, type Schema } from '../../../src/config/schema.ts';
import { valuesSchema } from '../../../src/config/values-schema.ts';
import { IGNORED_UPSTREAM_KEYS, ignoredKeysSet, ignoredKeysWarning } from '../../../src/config/ignored-keys.ts';
import { renderManifests } from '../../../src/render/index.ts';
import { UserError } from '../../../src/errors.ts';
import { DYNAMO_PLATFORM_VERSION } from '../../../src/version.ts';
import { defaults } from '../../helpers/render.ts';
import { describeWithUpstream, PLATFORM_081_DIR } from '../../helpers/upstream.ts';

/** Resolves, collecting the warnings resolveValues hands over. */
function resolveWarn(over: Partial<ValuesInput> = {}) {
  const warnings: string[] = [];
  const values = resolveValues({ defaults, files: [], sets: [], ...over, warn: (line) => warnings.push(line) });
  return { values, warnings };
}
const file = (name: string, text: string) => parseValuesFile(name, text);
const errorOf = (fn: () => unknown): UserError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('expected a UserError');
};

describeWithUpstream('the upstream 0.8.1 chart values files', () => {
  const platformText = readFileSync(`${PLATFORM_081_DIR}values/platform-values.yaml`, 'utf8');
  const operatorText = readFileSync(`${PLATFORM_081_DIR}values/operator-values.yaml`, 'utf8');
  // the operator subchart's own values.yaml, as the umbrella chart sees it
  const operatorNested = { 'dynamo-operator': parse(operatorText) as Record<string, unknown> };

  it('platform-values.yaml passes the schema and resolves', () => {
    expect(checkSchema(parse(platformText), valuesSchema)).toEqual([]);
    expect(() => resolveWarn({ files: [file('platform-values.yaml', platformText)] })).not.toThrow();
  });

  it('operator-values.yaml nested under dynamo-operator: passes the schema and resolves', () => {
    expect(checkSchema(operatorNested, valuesSchema)).toEqual([]);
    expect(() => resolveWarn({ files: [{ source: 'operator-values.yaml', values: operatorNested }] })).not.toThrow();
  });

  it('warns once, naming exactly the ignored keys each file sets', () => {
    const platform = resolveWarn({ files: [file('platform-values.yaml', platformText)] }).warnings;
    expect(platform).toHaveLength(1);
    expect(platform[0]).toMatch(/^dynamoctl ignores 2 keys of the upstream chart: /);
    const named = (line: string) => IGNORED_UPSTREAM_KEYS.filter((k) => line.includes(`${k.key} (${k.reason})`)).map((k) => k.key);
    expect(named(platform[0]!)).toEqual(['dynamo-operator.controllerManager.manager.image.pullPolicy', 'dynamo-operator.webhook.certGenerator']);
    const operator = resolveWarn({ files: [{ source: 'operator-values.yaml', values: operatorNested }] }).warnings;
    expect(operator).toHaveLength(1);
    expect(named(operator[0]!)).toEqual(['dynamo-operator.webhook.certGenerator']);
  });

  it('its nulls mean "unset": the defaults apply', () => {
    const { values } = resolveWarn({ files: [file('platform-values.yaml', platformText)], flags: { namespace: 'team-a' } });
    const op = values['dynamo-operator'];
    expect(op.namespaceRestriction.targetNamespace).toBe('team-a');
    expect(op.dynamo.dockerRegistry).toMatchObject({ server: '', username: '', password: '', existingSecretName: '' });
    expect(op.dynamo.ingress.className).toBe('');
    expect(op.dynamo.istio.gateway).toBe('');
  });

  it('renders exactly what the defaults render', () => {
    for (const flags of [{}, { scope: 'namespace' as const, namespace: 'team-a' }]) {
      const withFile = resolveWarn({ files: [file('platform-values.yaml', platformText)], flags }).values;
      const without = resolveWarn({ flags }).values;
      const render = (v: typeof without) => renderManifests(v, { apiVersions: ['monitoring.coreos.com/v1'] }, undefined, DYNAMO_PLATFORM_VERSION);
      expect(render(withFile)).toEqual(render(without));
    }
  });
});

describe('ignored upstream keys', () => {
  it('every entry names a key the schema accepts', () => {
    const walk = (schema: Schema, path: string[]): Schema | undefined => {
      let node: Schema | undefined = schema;
      for (const key of path) node = node?.type === 'object' ? node.properties[key] : undefined;
      return node;
    };
    for (const entry of IGNORED_UPSTREAM_KEYS) {
      expect(walk(valuesSchema, entry.key.split('.')), entry.key).toBeDefined();
      expect(entry.reason, entry.key).not.toContain(',');
    }
  });

  it('dynamoctl’s own defaults set nothing that warns', () => {
    // templates/values.yaml carries certGenerator.image and the sshKeygen images: defaults are not the user's
    expect(resolveWarn().warnings).toEqual([]);
    expect(resolveWarn({ sets: [{ kind: 'set', expr: 'dynamo-operator.webhook.timeoutSeconds=5' }] }).warnings).toEqual([]);
  });

  it('warns for --set as for files, one line for all layers, key paths only (never values)', () => {
    const { warnings } = resolveWarn({
      files: [file('a.yaml', 'dynamo-operator:\n  webhook:\n    certGenerator:\n      image:\n        tag: "s3cret-tag"\n')],
      sets: [
        { kind: 'set', expr: 'dynamo-operator.serviceAccount.name=hunter2' },
        { kind: 'set', expr: 'dynamo-operator.webhook.certGenerator.image.repository=other/kubectl' },
      ],
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^dynamoctl ignores 2 keys of the upstream chart: dynamo-operator\.webhook\.certGenerator \(.*\), dynamo-operator\.serviceAccount \(.*\)$/);
    expect(warnings[0]).not.toMatch(/hunter2|s3cret|other\/kubectl/);
  });

  it('says "1 key" for one', () => {
    const { warnings } = resolveWarn({ sets: [{ kind: 'set', expr: 'dynamo-operator.dynamo.mpiRun.sshKeygen.keygenImage=my/git:1' }] });
    expect(warnings).toEqual([`dynamoctl ignores 1 key of the upstream chart: dynamo-operator.dynamo.mpiRun.sshKeygen.keygenImage (${IGNORED_UPSTREAM_KEYS.find((k) => k.key.endsWith('keygenImage'))!.reason})`]);
  });

  it('a key set to null is unset: no warning, and no null left in the resolved values', () => {
    const text = 'dynamo-operator:\n  serviceAccount:\n    name: ~\n  webhook:\n    certManager:\n      certificate: ~\n  dynamo:\n    dynamoIngressSuffix:\ndynamo-api-store: ~\n';
    const { values, warnings } = resolveWarn({ files: [file('nulls.yaml', text)] });
    expect(warnings).toEqual([]);
    const op = values['dynamo-operator'];
    expect(op.serviceAccount).toEqual({});
    expect(op.webhook.certManager.certificate).toEqual((defaults['dynamo-operator'] as { webhook: { certManager: { certificate: unknown } } }).webhook.certManager.certificate);
    expect(op.dynamo).not.toHaveProperty('dynamoIngressSuffix');
    expect(JSON.stringify(op)).not.toContain('null');
  });

  it('no warning without a warn callback, and none when the values are invalid', () => {
    expect(() => resolveValues({ defaults, files: [], sets: [{ kind: 'set', expr: 'dynamo-api-store.enabled=true' }] })).not.toThrow();
    const warnings: string[] = [];
    expect(() =>
      resolveValues({ defaults, files: [], sets: [{ kind: 'set', expr: 'dynamo-api-store.enabled=true,dynamo-operator.webhook.timeoutSeconds=99' }], warn: (l) => warnings.push(l) }),
    ).toThrow(UserError);
    expect(warnings).toEqual([]);
  });

  it('ignoredKeysSet: a map counts when it sets something or is empty', () => {
    const table = [{ key: 'a.b', reason: 'r' }];
    expect(ignoredKeysSet([{ a: { b: { c: null } } }], table)).toEqual([]);
    expect(ignoredKeysSet([{ a: { b: {} } }], table)).toEqual(table);
    expect(ignoredKeysSet([{ a: { b: [] } }], table)).toEqual(table);
    expect(ignoredKeysSet([{ a: null }, { a: { b: false } }], table)).toEqual(table);
    expect(ignoredKeysWarning([])).toBeUndefined();
  });
});

describe('the operator section stays closed', () => {
  it('refuses a typo with the one-line unknown-key error', () => {
    const error = errorOf(() => resolveWarn({ sets: [{ kind: 'set', expr: 'dynamo-operator.webhok.enabled=false' }] }));
    expect(error.message).toBe('invalid values: --set dynamo-operator.webhok.enabled=false: dynamo-operator.webhok: unknown key (did you mean "webhook"?)');
  });

  it('refuses typos inside the accepted upstream keys, and wrong types there', () => {
    const text = 'dynamo-operator:\n  webhook:\n    certManager:\n      certificate:\n        duraton: 8760h\n        rootCA:\n          renewBefore: soon\n';
    const message = errorOf(() => resolveWarn({ files: [file('x.yaml', text)] })).message;
    expect(message).toContain('x.yaml:5:9: dynamo-operator.webhook.certManager.certificate.duraton: unknown key (did you mean "duration"?)');
    expect(message).toContain('x.yaml:7:11: dynamo-operator.webhook.certManager.certificate.rootCA.renewBefore: expected a duration like 30s, 10m or 4h, got string "soon"');
    expect(errorOf(() => resolveWarn({ sets: [{ kind: 'set', expr: 'dynamo-operator.controllerManager.manager.image.pullPolicy=Sometimes' }] })).message).toContain(
      'must be one of Always, IfNotPresent, Never',
    );
    expect(errorOf(() => resolveWarn({ sets: [{ kind: 'set', expr: 'dynamo-operator.controllerManager.kubeRbacProxy.image.pullPolicy=Always' }] })).message).toContain(
      'kubeRbacProxy.image.pullPolicy: unknown key',
    );
  });
});
