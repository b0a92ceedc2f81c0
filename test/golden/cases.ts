/**
 * Golden render cases: each one renders values (a values file and/or flags) and is compared with
 * test/golden/<name>.yaml. Regenerate with UPDATE_GOLDEN=1 npx vitest run test/unit/render.
 */
import type { ValueFlags } from '../../src/config/resolve.ts';
import type { Material } from '../../src/render/index.ts';

export interface GoldenCase {
  name: string;
  /** A values file as a user would write it. */
  values?: string;
  flags?: ValueFlags;
  apiVersions?: string[];
}

/** Stand-in material: fixed, so golden files are stable (real material is tested in test/unit/secrets). */
export const FIXED_MATERIAL: Material = {
  webhook: { caCert: 'FIXTURE CA CERTIFICATE\n', tlsCert: 'FIXTURE SERVING CERTIFICATE\n', tlsKey: 'FIXTURE SERVING KEY\n' },
  ssh: { privateKey: 'FIXTURE SSH PRIVATE KEY\n', publicKey: 'ssh-rsa AAAAFIXTURE dynamo-mpi' },
};

export const goldenCases: GoldenCase[] = [
  { name: 'cluster-default' },
  { name: 'namespace', flags: { scope: 'namespace', namespace: 'team-a' } },
  { name: 'namespace-only', flags: { scope: 'namespace', namespace: 'team-a', namespaceOnly: true, kai: true } },
  { name: 'namespace-target', flags: { scope: 'namespace', namespace: 'team-a', targetNamespace: 'team-a-models' } },
  { name: 'release-contains-operator', flags: { release: 'prod-dynamo-operator' } },
  // 53 characters, helm's limit: the fullname hits the 63-character truncation
  { name: 'release-truncated', flags: { release: 'a-very-long-release-name-that-hits-the-truncation-xyz' } },
  { name: 'registry', flags: { registry: 'mirror.example.com:5000/dynamo' } },
  { name: 'image-pull-secrets', flags: { imagePullSecrets: ['ngc-pull', 'mirror-pull'], operatorImage: 'registry.example.com/dynamo/operator', operatorTag: '0.8.1-patched' } },
  {
    name: 'docker-registry-existing-secret',
    values: `dynamo-operator:
  dynamo:
    dockerRegistry:
      useKubernetesSecret: true
      existingSecretName: team-registry
`,
  },
  {
    name: 'docker-registry-credentials',
    values: `dynamo-operator:
  dynamo:
    dockerRegistry:
      useKubernetesSecret: true
      server: nvcr.io
      username: $oauthtoken
      password: not-a-real-key
`,
  },
  {
    name: 'cert-manager',
    values: `dynamo-operator:
  webhook:
    certManager:
      enabled: true
`,
  },
  { name: 'grove-kai-monitoring', flags: { grove: true, kai: true }, apiVersions: ['monitoring.coreos.com/v1'] },
  {
    name: 'external-nats-etcd',
    values: `dynamo-operator:
  natsAddr: nats://shared-nats.messaging.svc.cluster.local:4222
  etcdAddr: shared-etcd.storage.svc.cluster.local:2379
`,
    flags: { nats: false, etcd: false },
  },
];
