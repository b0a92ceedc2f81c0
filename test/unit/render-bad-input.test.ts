/**
 * Bad input, end to end: every case gives one clear error naming what is wrong, exit code 2, nothing on
 * stdout and no stack trace. (Nothing can reach a cluster: render never connects.)
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'dynamoctl-bad-input-'));
const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
mkdirSync(join(dir, 'a-directory'));
const values = (yaml: string): string[] => ['-f', file(`v${Math.random().toString(36).slice(2)}.yaml`, yaml)];

const cases: [string, string[], RegExp][] = [
  // malformed YAML: file, line and column
  ['an unclosed flow sequence', ['-f', file('broken.yaml', 'a: [1,\n')], /broken\.yaml:2:1: invalid YAML/],
  ['duplicate keys', ['-f', file('dup.yaml', 'nats: {}\nnats: {}\n')], /dup\.yaml:2:1: invalid YAML: Map keys must be unique/],
  ['a tab used for indentation', ['-f', file('tab.yaml', 'nats:\n\tenabled: true\n')], /tab\.yaml:2:1: invalid YAML/],
  ['a list at the top level', ['-f', file('list.yaml', '- a\n- b\n')], /list\.yaml: a values file must be a map of keys, got a list/],
  ['a bare scalar document', ['-f', file('scalar.yaml', 'just some text\n')], /scalar\.yaml: a values file must be a map of keys, got string/],
  // wrong types: key path, expected and actual type, position
  ['a string for a boolean', values('dynamo-operator:\n  namespaceRestriction:\n    enabled: "yes"\n'), /:3:5: dynamo-operator\.namespaceRestriction\.enabled: expected true or false, got string "yes"/],
  ['a quoted number', values('dynamo-operator:\n  webhook:\n    timeoutSeconds: "10"\n'), /dynamo-operator\.webhook\.timeoutSeconds: expected a whole number, got string "10"/],
  ['a string for a list', values('dynamo-operator:\n  imagePullSecrets: my-secret\n'), /dynamo-operator\.imagePullSecrets: expected a list, got string "my-secret"/],
  ['a negative replica count', ['--set', 'dynamo-operator.controllerManager.replicas=-1'], /replicas: must be at least 0, got -1/],
  ['an unknown failure policy', ['--set', 'dynamo-operator.webhook.failurePolicy=Maybe'], /failurePolicy: must be one of Fail, Ignore, got "Maybe"/],
  ['an unknown discovery backend', ['--set', 'dynamo-operator.discoveryBackend=consul'], /discoveryBackend: must be one of kubernetes, etcd/],
  ['a number for a duration', ['--set', 'dynamo-operator.namespaceRestriction.lease.duration=30'], /lease\.duration: expected a duration like 30s, 10m or 4h, got number 30/],
  ['a scalar for a section', ['--set', 'nats=true'], /nats: expected a map, got boolean true/],
  // unknown keys with a suggestion
  ['a misspelt operator key', values('dynamo-operator:\n  namespaceRestriction:\n    targetNamespce: x\n'), /targetNamespce: unknown key \(did you mean "targetNamespace"\?\)/],
  ['a misspelt installer key', ['--set', 'dynamoctl.relase=x'], /dynamoctl\.relase: unknown key \(did you mean "release"\?\)/],
  ['a misspelt top-level section', values('dynamo-operater:\n  enabled: true\n'), /dynamo-operater: unknown key \(did you mean "dynamo-operator"\?\)/],
  // names
  ['an invalid namespace', ['-n', 'Bad_NS'], /-n\/--namespace: dynamoctl\.namespace: "Bad_NS" is not a DNS-1123 label/],
  ['an upper-case release', ['--release', 'Prod'], /--release: dynamoctl\.release: "Prod" is not a valid release name/],
  ['a release over 53 characters', ['--release', 'a'.repeat(54)], /release names are at most 53/],
  ['an invalid target namespace', ['--scope', 'namespace', '--target-namespace', '-team'], /--target-namespace: .*targetNamespace: "-team" is not a DNS-1123 label/],
  ['an invalid pull secret name', ['--image-pull-secret', 'Upper'], /--image-pull-secret: dynamo-operator\.imagePullSecrets\[0\]\.name: "Upper" is not a valid object name/],
  ['a registry with a scheme', ['--registry', 'https://mirror.example.com'], /--registry: dynamoctl\.registry: .* is not a registry host/],
  ['an invalid scope', ['--scope', 'both'], /argument 'both' is invalid\. Allowed choices are cluster, namespace/],
  // --set syntax
  ['--set without =', ['--set', 'a.b'], /--set "a\.b": missing "="/],
  ['--set with an empty key', ['--set', '=v'], /--set "=v": empty key/],
  ['--set with a non-numeric index', ['--set', 'a[x]=1'], /--set "a\[x\]=1": list index must be a number/],
  ['--set-json with invalid JSON', ['--set-json', 'a={bad'], /--set-json "a=\{bad": invalid JSON/],
  ['--set aimed at the prototype', ['--set', '__proto__.polluted=1'], /--set "__proto__\.polluted=1": .*__proto__/],
  // files
  ['a missing values file', ['-f', join(dir, 'missing.yaml')], /-f .*missing\.yaml: cannot read the file \(no such file\)/],
  ['a directory as values file', ['-f', join(dir, 'a-directory')], /-f .*a-directory: cannot read the file \(it is a directory\)/],
  ['a missing --set-file', ['--set-file', `nats.config=${join(dir, 'nope.txt')}`], /--set-file .*nope\.txt: cannot read the file/],
  ['stdin twice', ['-f', '-', '-f', '-'], /standard input \(-\) can be read only once/],
  // injection attempts: names are validated, never spliced into YAML
  ['a newline and document marker in the namespace', ['-n', 'team\n---\nkind: Secret'], /-n\/--namespace: dynamoctl\.namespace: .* is not a DNS-1123 label/],
  ['a template in the release name', ['--release', '{{ .Release.Name }}'], /--release: dynamoctl\.release: "\{\{ \.Release\.Name \}\}" is not a valid release name/],
  ['a document marker in a Secret name', ['--set-string', 'dynamo-operator.dynamo.mpiRun.secretName=x\n---\nkind: Namespace'], /mpiRun\.secretName: .* is not a valid object name/],
  ['spaces in an image', ['--set', 'dynamo-operator.dynamo.internalImages.debugger=python 3; rm -rf'], /internalImages\.debugger: .* is not a single word/],
  // the chart's own rules
  ['a custom leader-election id cluster-wide', ['--set', 'dynamo-operator.controllerManager.leaderElection.id=mine'], /a custom id \("mine"\) is refused cluster-wide/],
  ['leader election in the release namespace', ['-n', 'dyn', '--set', 'dynamo-operator.controllerManager.leaderElection.namespace=dyn'], /must not be the install namespace \(dyn\) cluster-wide/],
  ['registry credentials incomplete', ['--set', 'dynamo-operator.dynamo.dockerRegistry.useKubernetesSecret=true'], /needs either existingSecretName or server, username and password \(missing: server, username, password\)/],
  ['a lease renewal not shorter than its duration', ['--set', 'dynamo-operator.namespaceRestriction.lease.renewInterval=30s'], /renewInterval \(30s\) must be shorter than lease\.duration \(30s\)/],
  ['cert-manager and an external certificate together', ['--set', 'dynamo-operator.webhook.certManager.enabled=true,dynamo-operator.webhook.certificateSecret.external=true'], /certManager\.enabled and certificateSecret\.external exclude each other/],
];

describe('dynamoctl render with bad input', () => {
  it('has a corpus of at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));

  it.each(cases)('%s: clear error, exit 2, nothing on stdout', (_name, args, message) => {
    const r = runCli(['render', ...args], { input: 'nats: {}\n' });
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/Internal error/);
  });

  it('keeps a hostile annotation value inside its string: still one ServiceAccount, value intact', () => {
    const hostile = 'x\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: stolen}';
    const r = runCli(['render', '--set-json', `dynamo-operator.controllerManager.serviceAccount.annotations=${JSON.stringify({ note: hostile })}`]);
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string; annotations?: Record<string, string> } });
    expect(docs.some((d) => d.metadata.name === 'stolen')).toBe(false);
    const sa = docs.find((d) => d.kind === 'ServiceAccount' && d.metadata.name.endsWith('-controller-manager'));
    expect(sa?.metadata.annotations?.note).toBe(hostile);
  });
});
