/** The umbrella release read as data: versions, objects by subchart, pins, and the user's word over pins. */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { handoverEffect } from '../../../src/adopt/restarts.ts';
import { checkUmbrella, pinnedValues, releaseObjects, splitImage } from '../../../src/adopt/umbrella.ts';
import { withPins } from '../../../src/config/pins.ts';
import { UserError } from '../../../src/errors.ts';

const doc = (source: string, o: object): string => `---\n# Source: ${source}\n${stringify(o)}`;

describe('checkUmbrella', () => {
  it.each([
    [{ chart: 'dynamo-platform', version: '0.8.1', status: 'deployed' }, undefined],
    [{ chart: 'dynamo-platform', version: '0.8.0', status: 'deployed' }, undefined],
    [{ chart: 'dynamo-platform', version: '0.9.0', status: 'deployed' }, 'helm release r in ns is chart dynamo-platform 0.9.0; dynamoctl adopts chart dynamo-platform 0.8.x only'],
    [{ chart: 'dynamo-platform', version: '0.8.1-rc1', status: 'deployed' }, 'helm release r in ns is chart dynamo-platform 0.8.1-rc1; dynamoctl adopts chart dynamo-platform 0.8.x only'],
    [{ chart: 'nginx', version: '0.8.1', status: 'deployed' }, 'helm release r in ns is chart nginx 0.8.1; dynamoctl adopts chart dynamo-platform 0.8.x only'],
    [{ chart: 'dynamo-platform', version: '0.8.1', status: 'pending-upgrade' }, 'helm release r in ns is pending-upgrade, not deployed'],
  ])('%j', (found, message) => {
    if (!message) expect(() => checkUmbrella('r', 'ns', found)).not.toThrow();
    else {
      expect(() => checkUmbrella('r', 'ns', found)).toThrow(UserError);
      expect(() => checkUmbrella('r', 'ns', found)).toThrow(message);
    }
  });
});

describe('releaseObjects', () => {
  it('names each object, its namespace (the release’s when the manifest has none) and the subchart it came from', () => {
    const manifest = [
      doc('dynamo-platform/charts/dynamo-operator/templates/sa.yaml', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'op' } }),
      doc('dynamo-platform/charts/nats/templates/stateful-set.yaml', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'x-nats', namespace: 'other' } }),
      doc('dynamo-platform/charts/etcd/templates/networkpolicy.yaml', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'x-etcd' } }),
      doc('dynamo-platform/templates/cr.yaml', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'cr', namespace: 'ignored' } }),
    ].join('');
    expect(releaseObjects(manifest, 'ns')).toEqual([
      { apiVersion: 'v1', kind: 'ServiceAccount', name: 'op', namespace: 'ns' },
      { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'x-nats', namespace: 'other', subchart: 'nats' },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: 'x-etcd', namespace: 'ns', subchart: 'etcd' },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'cr' },
    ]);
  });

  it('leaves out `helm test` hooks (they exist only while a test runs)', () => {
    const test = doc('dynamo-platform/charts/nats/templates/tests/request-reply.yaml', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x-nats-test-request-reply', annotations: { 'helm.sh/hook': 'test' } } });
    expect(releaseObjects(test, 'ns')).toEqual([]);
  });

  it('refuses a kind it cannot address, naming it', () => {
    expect(() => releaseObjects(doc('x/templates/a.yaml', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }), 'ns')).toThrow('the release holds a Widget (w), which dynamoctl adopt does not handle');
  });
});

describe('pins', () => {
  it.each([
    ['gcr.io/kubebuilder/kube-rbac-proxy:v0.15.0', { repository: 'gcr.io/kubebuilder/kube-rbac-proxy', tag: 'v0.15.0' }],
    ['localhost:5000/kube-rbac-proxy', { repository: 'localhost:5000/kube-rbac-proxy', tag: 'latest' }],
    ['registry:5000/p/kube-rbac-proxy:v1', { repository: 'registry:5000/p/kube-rbac-proxy', tag: 'v1' }],
    ['r.io/kube-rbac-proxy@sha256:abc', undefined],
  ])('splitImage(%s)', (image, expected) => expect(splitImage(image)).toEqual(expected));

  it('keeps the running proxy image and the umbrella’s instance label of each handed-over subchart', () => {
    const pins = pinnedValues({ umbrella: 'dp', rbacProxyImage: 'gcr.io/kubebuilder/kube-rbac-proxy:v0.15.0', subcharts: ['nats', 'etcd'] });
    expect(pins['dynamo-operator']).toEqual({ controllerManager: { kubeRbacProxy: { image: { repository: 'gcr.io/kubebuilder/kube-rbac-proxy', tag: 'v0.15.0' } } } });
    expect(pins.etcd).toEqual({ commonLabels: { 'app.kubernetes.io/instance': 'dp' } });
    expect(pins.nats).toMatchObject({ statefulSet: { merge: { spec: { selector: { matchLabels: { 'app.kubernetes.io/instance': 'dp' } } } } }, podTemplate: { merge: { metadata: { labels: { 'app.kubernetes.io/instance': 'dp' } } } } });
    expect(pinnedValues({ umbrella: 'dp', subcharts: [] })).toEqual({});
  });

  it('the user’s own values win over a pin; the rest of a section is kept', () => {
    const values = { 'dynamo-operator': { controllerManager: { kubeRbacProxy: { image: { repository: 'registry.k8s.io/kubebuilder/kube-rbac-proxy', tag: '' } } } }, nats: { enabled: true, podTemplate: { merge: { spec: { tolerations: [{ key: 'gpu' }] } } } } };
    const pins = pinnedValues({ umbrella: 'dp', rbacProxyImage: 'gcr.io/kubebuilder/kube-rbac-proxy:v0.15.0', subcharts: ['nats'] });
    const out = withPins(values, { 'dynamo-operator': { controllerManager: { kubeRbacProxy: { image: { tag: 'v0.16.0' } } } } }, pins);
    expect(out['dynamo-operator'].controllerManager.kubeRbacProxy.image).toEqual({ repository: 'gcr.io/kubebuilder/kube-rbac-proxy', tag: '' });
    expect(out.nats.podTemplate.merge).toEqual({ spec: { tolerations: [{ key: 'gpu' }] }, metadata: { labels: { 'app.kubernetes.io/instance': 'dp' } } });
    expect(values.nats.podTemplate.merge).toEqual({ spec: { tolerations: [{ key: 'gpu' }] } });
  });
});

describe('handoverEffect', () => {
  const sts = (annotations: Record<string, string>, instance = 'dp') => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'dp-etcd' },
    spec: { selector: { matchLabels: { 'app.kubernetes.io/instance': instance } }, template: { metadata: { labels: { 'app.kubernetes.io/instance': instance }, annotations }, spec: { containers: [{ name: 'etcd', image: 'etcd:1' }] } } },
  });
  const live = new Map([['StatefulSet/dp-etcd', { ...sts({ 'checksum/token-secret': 'a' }), metadata: { name: 'dp-etcd', uid: 'u', generation: 1 } }]]) as never;
  it.each([
    ['the same pod template', sts({ 'checksum/token-secret': 'a' }), { restarts: [], refused: [] }],
    ['another checksum', sts({ 'checksum/token-secret': 'b' }), { restarts: ['StatefulSet dp-etcd (spec.template.metadata.annotations.checksum/token-secret)'], refused: [] }],
    [
      'another instance label: the selector is refused, the pods would restart',
      sts({ 'checksum/token-secret': 'a' }, 'dp-etcd'),
      { restarts: ['StatefulSet dp-etcd (spec.template.metadata.labels.app.kubernetes.io/instance)'], refused: ['StatefulSet dp-etcd (spec.selector.matchLabels.app.kubernetes.io/instance)'] },
    ],
    ['another claim template', { ...sts({ 'checksum/token-secret': 'a' }), spec: { ...sts({ 'checksum/token-secret': 'a' }).spec, volumeClaimTemplates: [{ metadata: { name: 'data' } }] } }, { restarts: [], refused: ['StatefulSet dp-etcd (spec.volumeClaimTemplates)'] }],
  ])('%s', (_name, rendered, expected) => {
    expect(handoverEffect(`---\n${stringify(rendered)}---\n${stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'dp-etcd' } })}`, live)).toEqual(expected);
  });
});
