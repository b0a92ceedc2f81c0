import { describe, expect, it } from 'vitest';
import { parseChallenge } from '../../../src/registry/challenge.ts';
import { isLoopback, parseImageReference } from '../../../src/registry/reference.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('parseImageReference', () => {
  it.each([
    ['nats:2.10', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/nats', reference: '2.10', name: 'docker.io/library/nats' }],
    ['bitnami/etcd', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'bitnami/etcd', reference: 'latest' }],
    ['docker.io/bitnamilegacy/etcd:3.5.18-debian-12-r5', { registry: 'docker.io', repository: 'bitnamilegacy/etcd', reference: '3.5.18-debian-12-r5' }],
    ['index.docker.io/python:3.12-slim', { registry: 'docker.io', repository: 'library/python', reference: '3.12-slim' }],
    ['nvcr.io/nvidia/ai-dynamo/kubernetes-operator:0.8.1', { registry: 'nvcr.io', apiHost: 'nvcr.io', repository: 'nvidia/ai-dynamo/kubernetes-operator', reference: '0.8.1' }],
    ['localhost:5000/mirror/nats:2.10', { registry: 'localhost:5000', apiHost: 'localhost:5000', repository: 'mirror/nats', reference: '2.10', name: 'localhost:5000/mirror/nats' }],
    ['localhost/x', { registry: 'localhost', repository: 'x', reference: 'latest' }],
    [`ghcr.io/nvidia/grove/grove-operator@${DIGEST}`, { registry: 'ghcr.io', repository: 'nvidia/grove/grove-operator', reference: DIGEST }],
    // a digest wins over a tag, as in a pull
    [`127.0.0.1:5000/a/b:1.0@${DIGEST}`, { registry: '127.0.0.1:5000', repository: 'a/b', reference: DIGEST }],
    ['[::1]:5000/a_b/c__d-e:v1', { registry: '[::1]:5000', repository: 'a_b/c__d-e', reference: 'v1' }],
  ])('%s', (image, expected) => {
    expect(parseImageReference(image)).toMatchObject({ image, ...expected });
  });

  it.each([
    ['nats:bad tag', /not a valid tag/],
    ['Nats:1', /not a valid repository name/],
    ['nvcr.io/nvidia/Operator:1', /"Operator" is not a valid repository name/],
    ['a/b@sha256:xyz', /not a digest/],
    ['nvcr.io//x:1', /not a valid repository name/],
    ['a/b:-1', /not a valid tag/],
  ])('refuses %s', (image, reason) => {
    const r = parseImageReference(image);
    expect(r).toHaveProperty('invalid');
    expect((r as { invalid: string }).invalid).toMatch(reason);
  });
});

describe('isLoopback', () => {
  it.each([
    ['localhost:5000', true],
    ['127.0.0.1:40000', true],
    ['127.1.2.3', true],
    ['[::1]:5000', true],
    ['nvcr.io', false],
    ['128.0.0.1:5000', false],
    ['localhost.example.com', false],
  ])('%s → %s', (host, loopback) => expect(isLoopback(host)).toBe(loopback));
});

describe('parseChallenge', () => {
  it('reads a Docker Hub style Bearer challenge', () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nats:pull"')).toEqual({
      scheme: 'bearer',
      realm: 'https://auth.docker.io/token',
      service: 'registry.docker.io',
    });
  });

  it('reads an NGC style challenge without a service, and unquoted values', () => {
    expect(parseChallenge('Bearer realm="https://nvcr.io/proxy_auth",scope="repository:nvidia/x:pull"')).toEqual({ scheme: 'bearer', realm: 'https://nvcr.io/proxy_auth' });
    expect(parseChallenge('bearer realm=http://127.0.0.1:1/token, service=reg')).toEqual({ scheme: 'bearer', realm: 'http://127.0.0.1:1/token', service: 'reg' });
  });

  it('keeps commas and escaped quotes inside quoted values', () => {
    expect(parseChallenge('Bearer realm="https://a/t?x=1,2",service="s \\"q\\""')).toEqual({ scheme: 'bearer', realm: 'https://a/t?x=1,2', service: 's "q"' });
  });

  it('prefers Bearer over Basic when a registry offers both, else Basic, else names the scheme', () => {
    expect(parseChallenge('Basic realm="r", Bearer realm="https://t/token",service="s"')).toEqual({ scheme: 'bearer', realm: 'https://t/token', service: 's' });
    expect(parseChallenge('Basic realm="dynamoctl-test"')).toEqual({ scheme: 'basic' });
    expect(parseChallenge('Negotiate')).toEqual({ scheme: 'other', name: 'negotiate' });
    expect(parseChallenge(null)).toBeUndefined();
    // a Bearer challenge without a realm cannot be answered
    expect(parseChallenge('Bearer service="s"')).toEqual({ scheme: 'other', name: 'bearer' });
  });
});
