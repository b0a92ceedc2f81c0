import { describe, expect, it } from 'vitest';
import { imagesOf } from '../../../src/components/images.ts';
import { COMPONENTS, componentOf, storageClassPath } from '../../../src/components/table.ts';
import { pullSecretWarnings, subchartValues } from '../../../src/components/values.ts';
import { resolveValues, type ValueFlags } from '../../../src/config/resolve.ts';
import { parseValuesFile } from '../../../src/config/values-file.ts';
import { defaults } from '../../helpers/render.ts';

const values = (flags: ValueFlags = {}, yaml?: string) => resolveValues({ defaults, files: yaml ? [parseValuesFile('v.yaml', yaml)] : [], sets: [], flags });
const MIRROR = 'mirror.example.com:5000/dynamo';

describe('--registry through the components table', () => {
  it('moves etcd to the mirror and lets Bitnami’s image guard accept it', () => {
    expect(subchartValues(values({ registry: MIRROR }), 'etcd')).toMatchObject({ global: { imageRegistry: MIRROR, security: { allowInsecureImages: true } } });
    expect(subchartValues(values(), 'etcd')).not.toHaveProperty('global.security');
  });

  it('moves Grove’s operator and the init container it injects into workload pods', () => {
    expect(subchartValues(values({ registry: MIRROR }), 'grove')).toMatchObject({
      image: { repository: `${MIRROR}/nvidia/grove/grove-operator` },
      deployment: { env: [{ name: 'GROVE_INIT_CONTAINER_IMAGE', value: `${MIRROR}/nvidia/grove/grove-initc` }] },
    });
  });

  it('keeps the user’s other Grove environment variables (a list replaces as a whole)', () => {
    const v = values({ registry: MIRROR }, 'grove:\n  deployment:\n    env:\n      - {name: GROVE_LOG, value: debug}\n      - {name: GROVE_INIT_CONTAINER_IMAGE, value: old}\n');
    expect(subchartValues(v, 'grove')).toMatchObject({
      deployment: { env: [{ name: 'GROVE_INIT_CONTAINER_IMAGE', value: `${MIRROR}/nvidia/grove/grove-initc` }, { name: 'GROVE_LOG', value: 'debug' }] },
    });
  });

  it('moves NATS and Kai through their registry values', () => {
    expect(subchartValues(values({ registry: MIRROR }), 'nats')).toMatchObject({ global: { image: { registry: MIRROR } } });
    expect(subchartValues(values({ registry: MIRROR }), 'kai-scheduler')).toMatchObject({ global: { registry: `${MIRROR}/nvidia/kai-scheduler` } });
  });

  it('names the run-time images from the values the chart gets', () => {
    const grove = subchartValues(values({ registry: MIRROR }), 'grove');
    expect(COMPONENTS.grove.runtimeImages('v0.1.0-alpha.3', grove)).toEqual([`${MIRROR}/nvidia/grove/grove-initc:v0.1.0-alpha.3`]);
    expect(COMPONENTS.grove.runtimeImages('v0.1.0-alpha.3', {})).toEqual(['ghcr.io/nvidia/grove/grove-initc:v0.1.0-alpha.3']);
    const kai = COMPONENTS['kai-scheduler'].runtimeImages('v0.9.4', subchartValues(values(), 'kai-scheduler'));
    expect(kai).toContain('ghcr.io/nvidia/kai-scheduler/admission:v0.9.4');
    expect(kai).toHaveLength(4);
  });
});

describe('pull secrets through the components table', () => {
  const withSecret = values({ imagePullSecrets: ['regcred'] });

  it('gives each chart the install’s pull secrets in the shape it reads', () => {
    expect(subchartValues(withSecret, 'nats')).toMatchObject({ global: { image: { pullSecretNames: ['regcred'] } } });
    expect(subchartValues(withSecret, 'etcd')).toMatchObject({ global: { imagePullSecrets: ['regcred'] } });
    // Kai v0.9.4 copies the list verbatim into pod specs: only maps are valid there
    expect(subchartValues(withSecret, 'kai-scheduler')).toMatchObject({ global: { imagePullSecrets: [{ name: 'regcred' }] } });
    expect(JSON.stringify(subchartValues(withSecret, 'grove'))).not.toContain('regcred');
  });

  it('lets the user’s own subchart values win', () => {
    const own = values({ imagePullSecrets: ['regcred'] }, 'etcd:\n  global:\n    imagePullSecrets: [mine]\n');
    expect(subchartValues(own, 'etcd')).toMatchObject({ global: { imagePullSecrets: ['mine'] } });
  });

  it('warns, naming the chart, where a chart cannot give its pods the secrets', () => {
    expect(pullSecretWarnings(values({ grove: true, kai: true }))).toEqual([]);
    expect(pullSecretWarnings(withSecret)).toEqual([]);
    const warnings = pullSecretWarnings(values({ imagePullSecrets: ['regcred'], grove: true, kai: true }));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^Grove: grove-charts v0\.1\.0-alpha\.3 has no pull-secret value/);
    expect(warnings[1]).toMatch(/^Kai scheduler: .*crd-upgrader/);
  });
});

describe('the table itself', () => {
  it('tells installed components by their operator, never by CRDs alone, for the charts that keep CRDs', () => {
    for (const c of Object.values(COMPONENTS)) if (c.crds.in === 'crds/') expect(c.operator, c.key).toBeDefined();
  });
  it('knows where each chart keeps its storage class', () => {
    expect(storageClassPath('nats')).toEqual(['nats', 'config', 'jetstream', 'fileStore', 'pvc', 'storageClassName']);
    expect(storageClassPath('etcd')).toEqual(['etcd', 'persistence', 'storageClass']);
    expect(storageClassPath('grove')).toBeUndefined();
  });

  it('finds recorded components by key', () => {
    expect(componentOf('etcd')?.keepsData).toBe(true);
    expect(componentOf('dynamo-crds')).toBeUndefined();
  });
});

describe('imagesOf', () => {
  it('lists every container image of every pod template, hooks and init containers included, once', () => {
    const manifests = `
apiVersion: apps/v1
kind: Deployment
spec: {template: {spec: {initContainers: [{image: a:1}], containers: [{image: b:1}, {image: a:1}]}}}
---
apiVersion: batch/v1
kind: Job
metadata: {annotations: {helm.sh/hook: pre-install}}
spec: {template: {spec: {containers: [{image: c:1}]}}}
---
apiVersion: batch/v1
kind: CronJob
spec: {jobTemplate: {spec: {template: {spec: {containers: [{image: d:1}]}}}}}
---
apiVersion: v1
kind: ConfigMap
data: {image: not-an-image:1}
---
`;
    expect(imagesOf(manifests)).toEqual(['a:1', 'b:1', 'c:1', 'd:1']);
  });
});
