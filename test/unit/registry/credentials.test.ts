import { describe, expect, it } from 'vitest';
import { credentialsFor, keyMatches, keyringOf, keyringOfSecret } from '../../../src/registry/credentials.ts';
import { parseImageReference, type ImageReference } from '../../../src/registry/reference.ts';

const ref = (image: string): ImageReference => parseImageReference(image) as ImageReference;
const config = (auths: Record<string, object>): string => JSON.stringify({ auths });
const users = (image: string, json: string): string[] => credentialsFor(keyringOf(json, 'secret ns/s'), ref(image)).map((c) => c.username);

describe('keyringOf (docker config entries)', () => {
  it('reads username/password, or decodes auth (whose password may hold a colon)', () => {
    const k = keyringOf(config({ 'nvcr.io': { username: '$oauthtoken', password: 'key' }, 'ghcr.io': { auth: Buffer.from('bob:pa:ss').toString('base64') } }), 'secret ns/s');
    expect(k).toEqual([
      { key: 'nvcr.io', credential: { username: '$oauthtoken', password: 'key', source: 'secret ns/s' } },
      { key: 'ghcr.io', credential: { username: 'bob', password: 'pa:ss', source: 'secret ns/s' } },
    ]);
  });

  it('keys entries as the kubelet does: scheme and /v1/ or /v2/ dropped, a path kept', () => {
    const k = keyringOf(config({ 'https://index.docker.io/v1/': { auth: 'YTpi' }, 'http://reg:5000/v2/': { auth: 'YTpi' }, 'nvcr.io/nvidia': { auth: 'YTpi' } }), 's');
    expect(k.map((e) => e.key)).toEqual(['index.docker.io', 'reg:5000', 'nvcr.io/nvidia']);
  });

  it('skips entries without usable credentials and text that is not a docker config', () => {
    expect(keyringOf(config({ 'a.io': { email: 'x@y' }, 'b.io': { auth: Buffer.from('nocolon').toString('base64') } }), 's')).toEqual([]);
    expect(keyringOf('not json', 's')).toEqual([]);
  });

  it('reads the older .dockercfg format and a Secret of either type, from data or stringData', () => {
    const legacy = JSON.stringify({ 'quay.io': { auth: Buffer.from('q:w').toString('base64') } });
    expect(keyringOfSecret({ type: 'kubernetes.io/dockercfg', data: { '.dockercfg': Buffer.from(legacy).toString('base64') } }, 's')[0]?.credential.username).toBe('q');
    expect(keyringOfSecret({ type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': config({ 'a.io': { username: 'u', password: 'p' } }) } }, 's')[0]?.key).toBe('a.io');
    expect(keyringOfSecret({ type: 'Opaque', data: {} }, 's')).toEqual([]);
  });
});

describe('which credentials apply to an image', () => {
  it('matches the host, the port and a path prefix', () => {
    expect(keyMatches('nvcr.io', 'nvcr.io/nvidia/x')).toBe(true);
    expect(keyMatches('nvcr.io/nvidia', 'nvcr.io/nvidia/x')).toBe(true);
    expect(keyMatches('nvcr.io/other', 'nvcr.io/nvidia/x')).toBe(false);
    expect(keyMatches('reg:5000', 'reg:5000/a')).toBe(true);
    expect(keyMatches('reg:5000', 'reg/a')).toBe(false);
    expect(keyMatches('reg', 'reg:5000/a')).toBe(false);
    expect(keyMatches('*.example.com', 'eu.example.com/a')).toBe(true);
    expect(keyMatches('*.example.com', 'example.com/a')).toBe(false);
    expect(keyMatches('NVCR.io', 'nvcr.io/a')).toBe(true);
  });

  it('tries the most specific entries first and never another registry’s', () => {
    const json = config({ 'nvcr.io': { username: 'host', password: 'p' }, 'nvcr.io/nvidia/ai-dynamo': { username: 'path', password: 'p' }, 'ghcr.io': { username: 'gh', password: 'p' } });
    expect(users('nvcr.io/nvidia/ai-dynamo/kubernetes-operator:0.8.1', json)).toEqual(['path', 'host']);
    expect(users('nvcr.io/nvidia/other:1', json)).toEqual(['host']);
    expect(users('registry.k8s.io/kubebuilder/kube-rbac-proxy:v0.15.0', json)).toEqual([]);
  });

  it('gives Docker Hub images the docker.io entry, else the index.docker.io one (the docker login key)', () => {
    expect(users('nats:2.10', config({ 'https://index.docker.io/v1/': { username: 'hub', password: 'p' } }))).toEqual(['hub']);
    expect(users('bitnami/etcd', config({ 'docker.io': { username: 'd', password: 'p' }, 'index.docker.io': { username: 'i', password: 'p' } }))).toEqual(['d']);
    // registry-1.docker.io is not a key the kubelet gives Docker Hub images
    expect(users('nats:2.10', config({ 'registry-1.docker.io': { username: 'r', password: 'p' } }))).toEqual([]);
    // and index.docker.io credentials are not another registry's
    expect(users('quay.io/a/b:1', config({ 'https://index.docker.io/v1/': { username: 'hub', password: 'p' } }))).toEqual([]);
  });

  it('tries the same credentials once, whichever secrets repeat them', () => {
    const keyring = [...keyringOf(config({ 'a.io': { username: 'u', password: 'p' } }), 'secret ns/one'), ...keyringOf(config({ 'a.io': { username: 'u', password: 'p' } }), 'secret ns/two')];
    expect(credentialsFor(keyring, ref('a.io/x:1')).map((c) => c.source)).toEqual(['secret ns/one']);
  });
});
