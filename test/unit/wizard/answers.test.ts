/** The wizard's pure rules: what it offers, what it accepts, and what it writes. */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ExistingOperator } from '../../../src/conflicts/types.ts';
import { resolveValues } from '../../../src/config/resolve.ts';
import { parseValuesFile, valuesToYaml } from '../../../src/config/values-file.ts';
import {
  answersFromValues,
  installCommand,
  judgeInstall,
  pullSecretCommand,
  pullSecretObject,
  pullSecretServer,
  scopeChoices,
  shellQuote,
  storageChoices,
  validateNamespace,
  validateRegistry,
  validateRelease,
  valuesFileHeader,
  valuesFromAnswers,
  type Answers,
} from '../../../src/wizard/answers.ts';
import { readFileSync } from 'node:fs';

const defaults = parse(readFileSync(new URL('../../../templates/values.yaml', import.meta.url), 'utf8')) as Record<string, unknown>;
const fresh = (): Answers => answersFromValues({}, defaults, 'kind-a');
const op = (o: Partial<ExistingOperator>): ExistingOperator => ({ release: 'other', namespace: 'other-ns', scope: 'cluster', targetNamespace: undefined, installedBy: 'dynamoctl', running: true, objects: [], ...o });
const resolved = (tree: Record<string, unknown>) => resolveValues({ defaults, files: [{ source: 'wizard', values: tree }], sets: [] });

describe('answers from values (pre-fill)', () => {
  it('starts from the defaults', () => {
    expect(fresh()).toEqual({
      context: 'kind-a',
      scope: 'cluster',
      namespace: 'dynamo-system',
      targetNamespace: 'dynamo-system',
      release: 'dynamo-platform',
      nats: true,
      etcd: true,
      grove: false,
      kai: false,
      registry: '',
      pullSecret: { mode: 'none' },
      storage: { mode: 'default' },
      operatorImage: '',
      operatorTag: '',
      namespaceOnly: false,
      helmTimeout: '10m',
      rolloutTimeout: '5m',
    });
  });

  it('round-trips every answer through the values file it writes', () => {
    const answers: Answers = {
      ...fresh(),
      scope: 'namespace',
      namespace: 'team-a',
      targetNamespace: 'team-a-work',
      release: 'team-a',
      nats: false,
      grove: true,
      registry: 'mirror.example.com:5000/dynamo',
      pullSecret: { mode: 'existing', name: 'mirror-creds' },
      storage: { mode: 'class', name: 'fast-ssd' },
      operatorImage: 'mirror.example.com:5000/dynamo/operator',
      operatorTag: '0.8.1-fix',
      namespaceOnly: true,
      helmTimeout: '20m',
      rolloutTimeout: '90s',
    };
    const text = valuesToYaml(valuesFromAnswers(answers));
    const back = answersFromValues(parseValuesFile('dynamo-values.yaml', text).values, defaults, 'kind-a');
    expect(back).toEqual(answers);
  });

  it('a created pull secret comes back as an existing one, without its credentials', () => {
    const answers: Answers = { ...fresh(), pullSecret: { mode: 'create', name: 'regcred', server: 'nvcr.io', username: 'alice', password: 'hunter2' } };
    const tree = valuesFromAnswers(answers);
    expect(JSON.stringify(tree)).not.toMatch(/hunter2|alice/);
    expect(answersFromValues(tree, defaults, 'x').pullSecret).toEqual({ mode: 'existing', name: 'regcred' });
  });
});

describe('values from answers', () => {
  it('keep what the starting file set that the wizard does not ask about', () => {
    const base = { 'dynamo-operator': { webhook: { failurePolicy: 'Ignore' } }, dynamoctl: { charts: { nats: { repo: 'http://127.0.0.1:1' } } } };
    const tree = valuesFromAnswers(fresh(), base) as { 'dynamo-operator': { webhook: unknown }; dynamoctl: { charts: unknown } };
    expect(tree['dynamo-operator'].webhook).toEqual({ failurePolicy: 'Ignore' });
    expect(tree.dynamoctl.charts).toEqual({ nats: { repo: 'http://127.0.0.1:1' } });
  });

  it('drop a storage class, pull secret and image the starting file had when the answers clear them', () => {
    const base = valuesFromAnswers({ ...fresh(), storage: { mode: 'class', name: 'fast' }, pullSecret: { mode: 'existing', name: 'p' }, operatorImage: 'r/op', operatorTag: 't' });
    const tree = valuesFromAnswers(fresh(), base);
    const text = JSON.stringify(tree);
    expect(text).not.toMatch(/"fast"|pullSecretNames|imagePullSecrets":\["p"|"r\/op"|"tag"/);
    expect(tree).not.toHaveProperty(['dynamo-operator', 'controllerManager']);
    expect(tree).not.toHaveProperty(['nats', 'global']);
  });

  it('produce values that validate, for both scopes, and set the scope the chart way', () => {
    const cluster = resolved(valuesFromAnswers(fresh()));
    expect(cluster['dynamo-operator'].namespaceRestriction.enabled).toBe(false);
    const ns = resolved(valuesFromAnswers({ ...fresh(), scope: 'namespace', namespace: 'team-b', targetNamespace: 'team-b' }));
    expect(ns['dynamo-operator'].namespaceRestriction).toMatchObject({ enabled: true, targetNamespace: 'team-b' });
    expect(ns.dynamoctl.namespace).toBe('team-b');
  });

  it('turning persistence off turns off both volumes', () => {
    const v = resolved(valuesFromAnswers({ ...fresh(), storage: { mode: 'off' } }));
    expect(v.etcd).toMatchObject({ persistence: { enabled: false } });
    expect(v.nats).toMatchObject({ config: { jetstream: { fileStore: { pvc: { enabled: false } } } } });
  });

  it('namespace-only is written only for namespace scope', () => {
    expect(valuesFromAnswers({ ...fresh(), namespaceOnly: true })).toMatchObject({ dynamoctl: { namespaceOnly: false } });
  });
});

describe('validation as typed', () => {
  it.each([
    ['team-a', true],
    ['', 'a namespace is required'],
    ['Team_A', /lower-case letters/],
    ['-a', /starting and ending/],
    ['a'.repeat(64), /at most 63 characters \(this is 64\)/],
  ])('namespace %j', (value, expected) => {
    const result = validateNamespace(value);
    if (expected instanceof RegExp) expect(result).toMatch(expected);
    else expect(result).toBe(expected);
  });

  it('release names follow helm: at most 53 characters', () => {
    expect(validateRelease('a'.repeat(53))).toBe(true);
    expect(validateRelease('a'.repeat(54))).toMatch(/at most 53/);
    expect(validateRelease('My.Release')).toMatch(/lower-case/);
  });

  it.each([
    ['', true],
    ['registry.example.com', true],
    ['127.0.0.1:5000/mirror/dynamo', true],
    ['https://registry.example.com', /leave out the scheme/],
    ['registry example', /registry host/],
  ])('registry %j', (value, expected) => {
    const result = validateRegistry(value);
    if (expected instanceof RegExp) expect(result).toMatch(expected);
    else expect(result).toBe(expected);
  });
});

describe('what the conflict matrix allows', () => {
  const self = { release: 'dynamo-platform', namespace: 'dynamo-system' };

  it('offers both scopes on an empty cluster', () => {
    expect(scopeChoices([], self).map((c) => c.disabled)).toEqual([undefined, undefined]);
  });

  it('a cluster-wide operator of another release blocks both, naming it and the row', () => {
    const [cluster, ns] = scopeChoices([op({})], self);
    expect(cluster!.disabled).toMatch(/^blocked: multiple cluster managers.*release "other" in namespace other-ns \(cluster-wide, installed by dynamoctl\)/);
    expect(ns!.disabled).toMatch(/^blocked: the cluster-wide operator already manages the target namespace/);
  });

  it('a namespace-restricted operator blocks cluster-wide only', () => {
    const [cluster, ns] = scopeChoices([op({ scope: 'namespace', targetNamespace: 'team-x', installedBy: 'helm-chart' })], self);
    expect(cluster!.disabled).toMatch(/would conflict with the existing namespace-restricted operators.*installed by the dynamo-platform Helm chart/);
    expect(ns!.disabled).toBeUndefined();
  });

  it('the install itself (an upgrade) and leftovers block nothing', () => {
    expect(scopeChoices([op({ ...self }), op({ running: false })], self).map((c) => c.disabled)).toEqual([undefined, undefined]);
  });

  it('judges the typed target namespace against namespace-restricted operators', () => {
    const existing = [op({ release: 'a', namespace: 'team-a', scope: 'namespace', targetNamespace: 'team-a' })];
    expect(judgeInstall({ release: 'b', namespace: 'team-b', scope: 'namespace', targetNamespace: 'team-b' }, existing)).toBe(true);
    expect(judgeInstall({ release: 'b', namespace: 'team-b', scope: 'namespace', targetNamespace: 'team-a' }, existing)).toMatch(
      /^blocked: two namespace-restricted operators would manage the same namespace: release "a".*; pick another namespace/,
    );
  });
});

describe('storage choices', () => {
  it('list the default first, then the others, then no persistence', () => {
    const choices = storageChoices([
      { name: 'slow', isDefault: false },
      { name: 'standard', isDefault: true },
    ]);
    expect(choices.map((c) => c.name)).toEqual(['standard (the cluster default)', 'slow', 'No persistence']);
    expect(choices.map((c) => c.value)).toEqual([{ mode: 'default' }, { mode: 'class', name: 'slow' }, { mode: 'off' }]);
  });

  it('offer the cluster default when StorageClasses may not be listed, and only no persistence when there are none', () => {
    expect(storageChoices(undefined).map((c) => c.value)).toEqual([{ mode: 'default' }, { mode: 'off' }]);
    expect(storageChoices([]).map((c) => c.name)).toEqual(['No persistence']);
  });
});

describe('the reproducible result', () => {
  it('quotes what a shell would split', () => {
    expect(shellQuote('dynamo-values.yaml')).toBe('dynamo-values.yaml');
    expect(shellQuote("my values's.yaml")).toBe(`'my values'\\''s.yaml'`);
  });

  it('is an install command with the file, the context and --yes, plus skipped checks with their reasons', () => {
    expect(installCommand('v.yaml', { context: 'prod' })).toBe('dynamoctl install -f v.yaml --context prod --yes');
    expect(installCommand('v.yaml', { context: 'prod' }, { kubeconfig: '/k/c', skipChecks: [{ id: 'gpu-nodes', reason: 'GPUs join later' }] })).toBe(
      "dynamoctl install -f v.yaml --kubeconfig /k/c --context prod --skip-check 'gpu-nodes=GPUs join later' --yes",
    );
  });

  it('the pull secret: a kubectl line without the password, and a Secret that holds it but carries no ownership labels', () => {
    const a: Answers = { ...fresh(), pullSecret: { mode: 'create', name: 'regcred', server: 'mirror.local:5000', username: 'bob', password: 'pa$$' } };
    expect(pullSecretCommand(a)).toBe("kubectl create secret docker-registry regcred -n dynamo-system --docker-server=mirror.local:5000 --docker-username=bob --docker-password='<password>'");
    const secret = pullSecretObject(a)!;
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    expect(JSON.parse((secret.stringData as Record<string, string>)['.dockerconfigjson']!)).toEqual({ auths: { 'mirror.local:5000': { username: 'bob', password: 'pa$$', auth: Buffer.from('bob:pa$$').toString('base64') } } });
    expect(Object.keys(secret.metadata.labels ?? {})).toEqual(['app.kubernetes.io/created-by']);
    expect(pullSecretObject(fresh())).toBeUndefined();
  });

  it('the pull secret server defaults to the mirror, else the operator image registry', () => {
    expect(pullSecretServer({ registry: '', operatorImage: '' })).toBe('nvcr.io');
    expect(pullSecretServer({ registry: 'mirror.local:5000/dynamo', operatorImage: '' })).toBe('mirror.local:5000');
  });

  it('the file header is comments only, even with a hostile context name', () => {
    const header = valuesFileHeader(installCommand('v.yaml', { context: 'evil\nkey: injected' }), new Date('2026-11-26T00:00:00Z'));
    expect(header.split('\n').filter(Boolean).every((l) => l.startsWith('#'))).toBe(true);
    expect(parse(`${header}a: 1\n`)).toEqual({ a: 1 });
  });
});
