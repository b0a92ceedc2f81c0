import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { resolveValues, type ValuesInput } from '../../../src/config/resolve.ts';
import { parseValuesFile } from '../../../src/config/values-file.ts';
import { REDACTED, redactValues } from '../../../src/config/redact.ts';
import { rewriteRegistry } from '../../../src/config/images.ts';
import { subchartValues } from '../../../src/components/values.ts';
import { UserError } from '../../../src/errors.ts';
import { defaults, defaultsText } from '../../helpers/render.ts';
import { checkSchema } from '../../../src/config/schema.ts';
import { valuesSchema } from '../../../src/config/values-schema.ts';

const input = (over: Partial<ValuesInput> = {}): ValuesInput => ({ defaults, files: [], sets: [], ...over });
const TAG = ['dynamo-operator', 'controllerManager', 'manager', 'image', 'tag'];
const tagFile = (tag: string) => `dynamo-operator:\n  controllerManager:\n    manager:\n      image:\n        tag: "${tag}"\n`;

describe('precedence: one key set at every layer', () => {
  // defaults < -f (in order) < --set-json < --set < --set-string < --set-file < dedicated flag
  const layers: [string, Partial<ValuesInput>][] = [
    ['defaults', {}],
    ['first -f', { files: [parseValuesFile('a.yaml', tagFile('from-a'))] }],
    ['second -f', { files: [parseValuesFile('a.yaml', tagFile('from-a')), parseValuesFile('b.yaml', tagFile('from-b'))] }],
    ['--set-json', { sets: [{ kind: 'set-json', expr: `${TAG.join('.')}="from-json"` }] }],
    ['--set', { sets: [{ kind: 'set', expr: `${TAG.join('.')}=from-set` }, { kind: 'set-json', expr: `${TAG.join('.')}="from-json"` }] }],
    ['--set-string', { sets: [{ kind: 'set-string', expr: `${TAG.join('.')}=from-set-string` }, { kind: 'set', expr: `${TAG.join('.')}=from-set` }] }],
    ['--set-file', { sets: [{ kind: 'set-file', expr: `${TAG.join('.')}=tag.txt` }, { kind: 'set-string', expr: `${TAG.join('.')}=from-set-string` }], readSetFile: () => 'from-set-file' }],
    ['--operator-tag', { sets: [{ kind: 'set-file', expr: `${TAG.join('.')}=tag.txt` }], readSetFile: () => 'from-set-file', flags: { operatorTag: 'from-flag' } }],
  ];
  const expected = ['', 'from-a', 'from-b', 'from-json', 'from-set', 'from-set-string', 'from-set-file', 'from-flag'];
  it.each(layers.map(([name, over], i) => [name, over, expected[i]!] as const))('%s wins over everything below it', (_name, over, want) => {
    const values = resolveValues(input({ ...over, files: over.files ?? [] }));
    expect(values['dynamo-operator'].controllerManager.manager.image.tag).toBe(want);
  });
});

describe('resolveValues', () => {
  it('fills targetNamespace from the install namespace', () => {
    const v = resolveValues(input({ flags: { scope: 'namespace', namespace: 'team-a' } }));
    expect(v['dynamo-operator'].namespaceRestriction).toMatchObject({ enabled: true, targetNamespace: 'team-a' });
  });

  it('maps the dedicated flags onto the chart keys', () => {
    const v = resolveValues(input({ flags: { release: 'r1', namespace: 'ns1', imagePullSecrets: ['p1'], registry: 'm.example.com', nats: false, etcd: false, grove: true, kai: true } }));
    expect(v.dynamoctl).toMatchObject({ release: 'r1', namespace: 'ns1', registry: 'm.example.com' });
    expect(v['dynamo-operator'].imagePullSecrets).toEqual([{ name: 'p1' }]);
    expect([v.nats.enabled, v.etcd.enabled, v.grove.enabled, v['kai-scheduler'].enabled]).toEqual([false, false, true, true]);
  });

  it('--fail-fast-grace sets dynamoctl.timeouts.failFast (20s by default); a bad one names the flag', () => {
    expect(resolveValues(input()).dynamoctl.timeouts.failFast).toBe('20s');
    expect(resolveValues(input({ sets: [{ kind: 'set', expr: 'dynamoctl.timeouts.failFast=1m' }], flags: { failFastGrace: '45s' } })).dynamoctl.timeouts.failFast).toBe('45s');
    expect(() => resolveValues(input({ flags: { failFastGrace: 'soon' } }))).toThrow('invalid values: --fail-fast-grace: dynamoctl.timeouts.failFast: expected a duration like 30s, 10m or 4h, got string "soon"');
  });

  it('treats null as "unset": defaults return in owned sections, helm sees null in subchart sections', () => {
    const file = 'dynamo-operator:\n  namespaceRestriction:\n    targetNamespace: ~\n  webhook: ~\nnats:\n  natsBox: ~\n';
    const v = resolveValues(input({ files: [parseValuesFile('chart-style.yaml', file)], flags: { namespace: 'x' } }));
    expect(v['dynamo-operator'].namespaceRestriction.targetNamespace).toBe('x');
    expect(v['dynamo-operator'].webhook.enabled).toBe(true);
    expect(v.nats.natsBox).toBeNull();
  });

  it('accepts a values file written for helm install dynamo-platform unchanged', () => {
    const chartValues = `dynamo-operator:
  namespaceRestriction:
    enabled: true
    targetNamespace: null
  controllerManager:
    manager:
      image:
        repository: my.registry/kubernetes-operator
        tag: 0.8.1
  dynamo:
    dockerRegistry:
      server: null
      username: null
      password: null
      existingSecretName: null
etcd:
  image:
    repository: bitnamilegacy/etcd
  global:
    security:
      allowInsecureImages: true
grove:
  enabled: true
`;
    const v = resolveValues(input({ files: [parseValuesFile('platform-values.yaml', chartValues)] }));
    expect(v['dynamo-operator'].namespaceRestriction.enabled).toBe(true);
    expect(v.grove.enabled).toBe(true);
    expect(v.etcd.global).toEqual({ security: { allowInsecureImages: true } });
  });

  it('reports every problem of every layer at once, each located', () => {
    const file = 'dynamo-operator:\n  enabled: maybe\n  webhook:\n    timeoutSeconds: 99\n';
    let error: unknown;
    try {
      resolveValues(input({ files: [parseValuesFile('x.yaml', file)], sets: [{ kind: 'set', expr: 'dynamoctl.namespce=a' }] }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    const message = (error as UserError).message;
    expect(message).toContain('3 problems');
    expect(message).toContain('x.yaml:2:3: dynamo-operator.enabled: expected true or false, got string "maybe"');
    expect(message).toContain('x.yaml:4:5: dynamo-operator.webhook.timeoutSeconds: must be at most 30, got 99');
    expect(message).toContain('--set dynamoctl.namespce=a: dynamoctl.namespce: unknown key (did you mean "namespace"?)');
  });

  it('keeps strings that look like numbers as strings with --set', () => {
    const v = resolveValues(input({ sets: [{ kind: 'set', expr: 'dynamo-operator.controllerManager.manager.image.tag=0123' }] }));
    expect(v['dynamo-operator'].controllerManager.manager.image.tag).toBe('0123');
  });
});

describe('secrets in values', () => {
  it('redacts passwords and tokens anywhere, but not the names of secrets', () => {
    const v = resolveValues(
      input({ sets: [{ kind: 'set', expr: 'dynamo-operator.dynamo.dockerRegistry.password=hunter2,dynamo-operator.dynamo.dockerRegistry.existingSecretName=keep-me,nats.auth.token=t0k' }] }),
    );
    const shown = redactValues(v);
    expect(JSON.stringify(shown)).not.toContain('hunter2');
    expect(JSON.stringify(shown)).not.toContain('t0k');
    expect(shown['dynamo-operator'].dynamo.dockerRegistry).toMatchObject({ password: REDACTED, existingSecretName: 'keep-me' });
    expect(v['dynamo-operator'].dynamo.dockerRegistry.password).toBe('hunter2');
  });
});

describe('secrets that parse as numbers (helm --set password=1234, or helm get values)', () => {
  it('are redacted too', () => {
    expect(redactValues({ etcd: { auth: { rbac: { rootPassword: 12345678 } } }, a: { port: 4222 } })).toEqual({ etcd: { auth: { rbac: { rootPassword: REDACTED } } }, a: { port: 4222 } });
  });

  it('a password of the wrong type is named by its type, never shown', () => {
    const error = (() => {
      try {
        resolveValues(input({ sets: [{ kind: 'set-json', expr: 'dynamo-operator.dynamo.dockerRegistry.password=98765432' }] }));
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toContain('dynamo-operator.dynamo.dockerRegistry.password: expected a string, got a number (hidden: a secret)');
    expect(error?.message).not.toContain('98765432');
  });
});

describe('--registry rewrite', () => {
  it.each([
    ['nvcr.io/nvidia/ai-dynamo/kubernetes-operator', 'm.example.com:5000/dynamo', 'm.example.com:5000/dynamo/nvidia/ai-dynamo/kubernetes-operator'],
    ['bitnamilegacy/etcd', 'm.example.com', 'm.example.com/bitnamilegacy/etcd'],
    ['nats', 'm.example.com/', 'm.example.com/nats'],
    ['localhost/x/y', 'm.example.com', 'm.example.com/x/y'],
    ['gcr.io/kubebuilder/kube-rbac-proxy', '', 'gcr.io/kubebuilder/kube-rbac-proxy'],
  ])('%s with %s → %s', (repo, registry, want) => expect(rewriteRegistry(repo, registry)).toBe(want));

  it('sets each subchart’s own registry key and keeps the user’s values', () => {
    const v = resolveValues(input({ flags: { registry: 'm.example.com' }, sets: [{ kind: 'set', expr: 'nats.config.jetstream.enabled=false' }] }));
    expect(subchartValues(v, 'nats')).toMatchObject({ global: { image: { registry: 'm.example.com' } }, config: { jetstream: { enabled: false } } });
    expect(subchartValues(v, 'nats')).not.toHaveProperty('enabled');
    expect(subchartValues(v, 'etcd')).toMatchObject({ global: { imageRegistry: 'm.example.com' } });
    expect(subchartValues(v, 'grove')).toMatchObject({ image: { repository: 'm.example.com/nvidia/grove/grove-operator' } });
    expect(subchartValues(v, 'kai-scheduler')).toMatchObject({ global: { registry: 'm.example.com/nvidia/kai-scheduler' } });
  });
});

describe('templates/values.yaml', () => {
  it('is what the build copied to dist/defaults.json (the CLI reads that copy)', () => {
    const built = JSON.parse(readFileSync(new URL('../../../dist/defaults.json', import.meta.url), 'utf8')) as unknown;
    expect(built).toEqual(parse(defaultsText));
  });

  it('passes its own schema, resolves on its own and documents every top-level section', () => {
    expect(checkSchema(defaults, valuesSchema)).toEqual([]);
    expect(() => resolveValues(input())).not.toThrow();
    expect(Object.keys(parse(defaultsText) as object)).toEqual(['dynamoctl', 'dynamo-operator', 'nats', 'etcd', 'grove', 'kai-scheduler']);
  });
});
