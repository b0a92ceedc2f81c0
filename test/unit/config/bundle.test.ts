import { describe, expect, it } from 'vitest';
import { resolveValues, type ValueFlags } from '../../../src/config/resolve.ts';
import { parseValuesFile } from '../../../src/config/values-file.ts';
import {
  BUNDLE_API_VERSION,
  BUNDLE_KIND,
  CHART_KEYS,
  bundleImages,
  bundleManifest,
  imagesText,
  parseBundleManifest,
  valuesWithBundle,
  type BundleManifest,
} from '../../../src/config/bundle.ts';
import { rewriteRegistry } from '../../../src/config/images.ts';
import type { Values } from '../../../src/config/values-schema.ts';
import { UserError } from '../../../src/errors.ts';
import { defaults } from '../../helpers/render.ts';

const values = (flags: ValueFlags = {}, yaml?: string): Values =>
  resolveValues({ defaults, files: yaml ? [parseValuesFile('v.yaml', yaml)] : [], sets: [], flags });

const DEFAULT_IMAGES = [
  'bitnamilegacy/etcd:3.5.18-debian-12-r5',
  'ghcr.io/nvidia/grove/grove-operator:v0.1.0-alpha.3',
  'ghcr.io/nvidia/kai-scheduler/podgrouper:v0.9.4',
  'ghcr.io/nvidia/kai-scheduler/scheduler:v0.9.4',
  'nats:2.10.21-alpine',
  'natsio/nats-server-config-reloader:0.16.0',
  'nvcr.io/nvidia/ai-dynamo/kubernetes-operator:0.8.1',
  'python:3.12-slim',
  'registry.k8s.io/kubebuilder/kube-rbac-proxy:v0.15.0',
];

/** What rendering the subcharts found (the command's part, tested in test/integration/bundle.test.ts). */
const SUBCHART_IMAGES = DEFAULT_IMAGES.filter((i) => !/kubernetes-operator|kube-rbac-proxy|python/.test(i));

/** The manifest a bundle of the default pins would have. */
const manifest = (over: Partial<Record<string, { name?: string; version?: string; file?: string }>> = {}): BundleManifest =>
  bundleManifest(
    values(),
    '0.8.1',
    Object.fromEntries(
      CHART_KEYS.map((key) => {
        const pin = values().dynamoctl.charts[key];
        const version = over[key]?.version ?? pin.version.replace(/^v/, '');
        return [key, { name: over[key]?.name ?? pin.name, version, fileName: `${over[key]?.name ?? pin.name}-${version}.tgz` }];
      }),
    ) as never,
    SUBCHART_IMAGES,
  );

describe('bundleImages', () => {
  it('lists the operator, kube-rbac-proxy, the debugger and every subchart image, sorted and unique', () => {
    expect(bundleImages(values(), '0.8.1', SUBCHART_IMAGES)).toEqual(DEFAULT_IMAGES);
  });

  it('lists the operator images whatever is enabled: a bundle must serve a later --grove or --kai', () => {
    const all = bundleImages(values(), '0.8.1', SUBCHART_IMAGES);
    expect(bundleImages(values({ nats: false, etcd: false, grove: false, kai: false }), '0.8.1', SUBCHART_IMAGES)).toEqual(all);
    expect(bundleImages(values({ grove: true, kai: true }), '0.8.1', SUBCHART_IMAGES)).toEqual(all);
  });

  it('tags the operator and kube-rbac-proxy with the platform version unless the values set a tag', () => {
    expect(bundleImages(values(), '0.9.0', SUBCHART_IMAGES)).toContain('nvcr.io/nvidia/ai-dynamo/kubernetes-operator:0.9.0');
    const custom = bundleImages(values({ operatorImage: 'my.registry/dynamo/operator', operatorTag: 'dev-1' }), '0.8.1', SUBCHART_IMAGES);
    expect(custom).toContain('my.registry/dynamo/operator:dev-1');
    expect(custom.filter((i) => i.includes('kubernetes-operator'))).toEqual([]);
    const proxy = values({}, 'dynamo-operator:\n  controllerManager:\n    kubeRbacProxy:\n      image:\n        tag: ""\n');
    expect(bundleImages(proxy, '0.8.1', SUBCHART_IMAGES)).toContain('registry.k8s.io/kubebuilder/kube-rbac-proxy:0.8.1');
  });

  it('takes the debugger image from dynamo.internalImages.debugger, and drops duplicates', () => {
    const v = values({}, 'dynamo-operator:\n  dynamo:\n    internalImages:\n      debugger: nats:2.10.21-alpine\n');
    const images = bundleImages(v, '0.8.1', SUBCHART_IMAGES);
    expect(images).not.toContain('python:3.12-slim');
    expect(images.filter((i) => i === 'nats:2.10.21-alpine')).toHaveLength(1);
    expect(images).toHaveLength(DEFAULT_IMAGES.length - 1);
  });

  it('lists images as the values name them: --registry is applied when installing, not here', () => {
    expect(bundleImages(values({ registry: 'mirror.example.com:5000/dynamo' }), '0.8.1', SUBCHART_IMAGES)).toEqual(DEFAULT_IMAGES);
  });
});

describe('bundleManifest and images.txt', () => {
  it('records every chart under charts/ and the images', () => {
    const m = manifest();
    expect(m).toEqual({
      apiVersion: BUNDLE_API_VERSION,
      kind: BUNDLE_KIND,
      platformVersion: '0.8.1',
      charts: {
        'dynamo-crds': { name: 'dynamo-crds', version: '0.8.1', file: 'charts/dynamo-crds-0.8.1.tgz' },
        nats: { name: 'nats', version: '1.3.2', file: 'charts/nats-1.3.2.tgz' },
        etcd: { name: 'etcd', version: '12.0.18', file: 'charts/etcd-12.0.18.tgz' },
        grove: { name: 'grove-charts', version: '0.1.0-alpha.3', file: 'charts/grove-charts-0.1.0-alpha.3.tgz' },
        'kai-scheduler': { name: 'kai-scheduler', version: '0.9.4', file: 'charts/kai-scheduler-0.9.4.tgz' },
      },
      images: DEFAULT_IMAGES,
    });
    expect(Object.keys(m)).toEqual(['apiVersion', 'kind', 'platformVersion', 'charts', 'images']);
    expect(Object.keys(m.charts)).toEqual([...CHART_KEYS]);
    expect(parseBundleManifest(JSON.parse(JSON.stringify(m)), 'bundle.json')).toEqual(m);
  });

  it('images.txt: a comment header showing the --registry mapping, then one image per line', () => {
    const text = imagesText(DEFAULT_IMAGES, 'mirror.example.com:5000/dynamo');
    const lines = text.trimEnd().split('\n');
    const header = lines.filter((l) => l.startsWith('#'));
    expect(lines.filter((l) => !l.startsWith('#'))).toEqual(DEFAULT_IMAGES);
    expect(lines.slice(0, header.length)).toEqual(header);
    expect(text).toContain(`nvcr.io/nvidia/ai-dynamo/kubernetes-operator:0.8.1  ->  ${rewriteRegistry('nvcr.io/nvidia/ai-dynamo/kubernetes-operator:0.8.1', 'mirror.example.com:5000/dynamo')}`);
    expect(text).toContain('nats:2.10.21-alpine  ->  mirror.example.com:5000/dynamo/nats:2.10.21-alpine');
    expect(text).toContain('--registry');
    expect(imagesText(DEFAULT_IMAGES, '')).toContain('->  <mirror>/nvidia/ai-dynamo/kubernetes-operator:0.8.1');
    expect(text.endsWith('registry.k8s.io/kubebuilder/kube-rbac-proxy:v0.15.0\n')).toBe(true);
  });
});

describe('valuesWithBundle', () => {
  it('points every chart at its file in the bundle (absolute) and takes the file’s version', () => {
    const v = values();
    const out = valuesWithBundle(v, manifest(), '/srv/bundle');
    expect(out.dynamoctl.charts).toEqual({
      'dynamo-crds': { ...v.dynamoctl.charts['dynamo-crds'], path: '/srv/bundle/charts/dynamo-crds-0.8.1.tgz' },
      nats: { ...v.dynamoctl.charts.nats, path: '/srv/bundle/charts/nats-1.3.2.tgz' },
      etcd: { ...v.dynamoctl.charts.etcd, path: '/srv/bundle/charts/etcd-12.0.18.tgz' },
      // pinned "v0.1.0-alpha.3", the chart says 0.1.0-alpha.3: the same version to helm, the file's wins
      grove: { ...v.dynamoctl.charts.grove, version: '0.1.0-alpha.3', path: '/srv/bundle/charts/grove-charts-0.1.0-alpha.3.tgz' },
      'kai-scheduler': { ...v.dynamoctl.charts['kai-scheduler'], version: '0.9.4', path: '/srv/bundle/charts/kai-scheduler-0.9.4.tgz' },
    });
    // the rest of the values is untouched, and so is the input
    expect({ ...out, dynamoctl: { ...out.dynamoctl, charts: v.dynamoctl.charts } }).toEqual(v);
    expect(v.dynamoctl.charts.nats.path).toBe('');
  });

  it('refuses a bundle whose chart version differs from the pinned one, naming both', () => {
    const run = () => valuesWithBundle(values(), manifest({ nats: { version: '1.3.1' } }), '/srv/bundle');
    expect(run).toThrow(UserError);
    expect(run).toThrow('the bundle in /srv/bundle does not match the values: bundle has nats 1.3.1, values pin 1.3.2: rebuild the bundle');
  });

  it('lists every mismatch at once, chart names included', () => {
    const v = values({}, 'dynamoctl:\n  charts:\n    etcd:\n      version: 12.1.0\n');
    const error = (() => {
      try {
        valuesWithBundle(v, manifest({ nats: { version: '1.3.1' }, grove: { name: 'grove' } }), '/srv/bundle');
      } catch (e) {
        return e as UserError;
      }
      throw new Error('expected a UserError');
    })();
    expect(error.message).toBe(
      'the bundle in /srv/bundle does not match the values: bundle has nats 1.3.1, values pin 1.3.2; bundle has etcd 12.0.18, values pin 12.1.0; ' +
        'bundle has chart grove for grove, values name grove-charts: rebuild the bundle',
    );
    expect(error.hint).toMatch(/dynamoctl bundle <dir> --force/);
  });

  it('accepts any bundled version when the values pin none', () => {
    const v = values();
    v.dynamoctl.charts.nats.version = '';
    expect(valuesWithBundle(v, manifest({ nats: { version: '1.4.0' } }), '/b').dynamoctl.charts.nats).toMatchObject({ version: '1.4.0', path: '/b/charts/nats-1.4.0.tgz' });
  });
});

describe('parseBundleManifest', () => {
  it('refuses what dynamoctl bundle did not write, listing every problem', () => {
    expect(() => parseBundleManifest([], 'x/bundle.json')).toThrow('x/bundle.json: not a dynamoctl bundle manifest (expected a JSON object)');
    const m = JSON.parse(JSON.stringify(manifest())) as Record<string, unknown> & { charts: Record<string, unknown> };
    m.kind = 'Chart';
    delete m.charts.etcd;
    (m.charts.nats as Record<string, unknown>).file = '../../etc/passwd';
    expect(() => parseBundleManifest(m, 'bundle.json')).toThrow(
      'bundle.json: not a valid dynamoctl bundle manifest: apiVersion/kind: expected dynamoctl.nvidia.com/v1 Bundle, got "dynamoctl.nvidia.com/v1" "Chart"; ' +
        'charts.nats.file: must be a path inside the bundle, got "../../etc/passwd"; charts.etcd: missing',
    );
  });
});
