/**
 * An in-memory cluster holding what `helm install dynamo-platform` 0.8.1 leaves, for the adoption unit
 * tests: the operator's objects from the upstream render of case 01 (read at test time from
 * ../shared/upstream, with the release annotations and the `helm` field manager helm's install writes), the
 * chart's hook leftovers (the ssh-keygen Job is gone: its delete policy is hook-succeeded), the Secrets the
 * hook Jobs make (`kubectl create secret`, no labels), the CA bundle the ca-inject Job patches in
 * (kubectl-patch), a few NATS and etcd objects, and helm's storage Secret. FakeHelm answers `helm get` for it.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { generateSshKeyPair, generateWebhookCert } from '../../../src/secrets/generate.ts';
import { KIND_RESOURCES } from '../../../src/render/k8s-types.ts';
import { BUILTIN_GROUPS, FakeCluster } from '../../helpers/fake-cluster.ts';
import { PLATFORM_081_DIR } from '../../helpers/upstream.ts';
import { emptyEnv, type Env } from '../engine/harness.ts';

export const RELEASE = 'dynamo-platform';
export const NS = 'dynamo-system';
type Tree = Record<string, unknown>;
type Obj = Tree & { kind: string; apiVersion: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> } };

const HELM_ANNOTATIONS = { 'meta.helm.sh/release-name': RELEASE, 'meta.helm.sh/release-namespace': NS };
const isHook = (o: Obj): boolean => o.metadata.annotations?.['helm.sh/hook'] !== undefined;

/** The subcharts' objects in the umbrella, as helm's manifest lists them (a subset: what the handover needs). */
function subchartObjects(): { source: string; object: Obj }[] {
  const labels = { 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/managed-by': 'Helm' };
  const meta = (name: string, component: string) => ({ name, namespace: NS, labels: { ...labels, 'app.kubernetes.io/name': component }, annotations: { ...HELM_ANNOTATIONS } });
  return [
    { source: 'dynamo-platform/charts/nats/templates/service.yaml', object: { apiVersion: 'v1', kind: 'Service', metadata: meta(`${RELEASE}-nats`, 'nats'), spec: { selector: { 'app.kubernetes.io/instance': RELEASE }, ports: [{ name: 'nats', port: 4222 }] } } },
    { source: 'dynamo-platform/charts/nats/templates/stateful-set.yaml', object: { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta(`${RELEASE}-nats`, 'nats'), spec: { selector: { matchLabels: { 'app.kubernetes.io/instance': RELEASE } } } } },
    { source: 'dynamo-platform/charts/etcd/templates/statefulset.yaml', object: { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta(`${RELEASE}-etcd`, 'etcd'), spec: { selector: { matchLabels: { 'app.kubernetes.io/instance': RELEASE } } } } },
  ];
}

export interface UmbrellaEnv extends Env {
  /** helm's storage Secret of the umbrella release. */
  storage: string;
}

/** `chart`/`version`: what helm's release metadata says (an unsupported version for the refusal tests). */
export async function umbrellaEnv(o: { chart?: string; version?: string } = {}): Promise<UmbrellaEnv> {
  const cluster = new FakeCluster({ groups: [...BUILTIN_GROUPS, 'batch/v1', 'monitoring.coreos.com/v1'], deploymentController: true });
  const env = emptyEnv({}, cluster);
  cluster.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const render = readFileSync(`${PLATFORM_081_DIR}renders/01-defaults.yaml`, 'utf8');
  const objects = parseAllDocuments(render).map((d) => d.toJS() as Obj).filter((o) => o?.kind);
  const inNamespace = (x: Obj): Obj => (KIND_RESOURCES[x.kind]?.[2] ? { ...x, metadata: { ...x.metadata, namespace: x.metadata.namespace ?? NS } } : x);
  for (const x of objects.filter((y) => !isHook(y)).map(inNamespace)) {
    cluster.seed({ ...x, metadata: { ...x.metadata, annotations: { ...x.metadata.annotations, ...HELM_ANNOTATIONS } } }, { manager: 'helm' });
  }
  // what the hooks leave: everything but the ssh-keygen Job (deleted when it succeeded)
  for (const x of objects.filter((y) => isHook(y) && !(y.kind === 'Job' && y.metadata.annotations?.['helm.sh/hook-delete-policy']?.includes('hook-succeeded'))).map(inNamespace)) {
    cluster.seed(x, { manager: 'helm' });
  }
  const cert = await generateWebhookCert({ serviceName: `${RELEASE}-dynamo-operator-webhook-service`, namespace: NS, clusterDomain: 'cluster.local', validityDays: 365 });
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  cluster.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'webhook-server-cert', namespace: NS }, type: 'Opaque', data: { 'tls.crt': b64(cert.tlsCert), 'tls.key': b64(cert.tlsKey), 'ca.crt': b64(cert.caCert) } }, { manager: 'kubectl-create' });
  const key = generateSshKeyPair();
  cluster.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'mpi-run-ssh-secret', namespace: NS }, type: 'Opaque', data: { 'private.key': b64(key.privateKey), 'private.key.pub': b64(key.publicKey) } }, { manager: 'kubectl-create' });
  cluster.edit(`/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${RELEASE}-dynamo-operator-validating`, (w) => {
    for (const hook of w.webhooks as { clientConfig: Tree }[]) hook.clientConfig.caBundle = b64(cert.caCert);
  }, 'kubectl-patch');
  const subcharts = subchartObjects();
  for (const s of subcharts) cluster.seed(s.object, { manager: 'helm' });
  const storage = `sh.helm.release.v1.${RELEASE}.v1`;
  cluster.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: storage, namespace: NS, labels: { owner: 'helm', name: RELEASE, status: 'deployed', version: '1' } }, type: 'helm.sh/release.v1', data: { release: b64('H4sI') } }, { manager: 'helm' });

  env.helm.set(RELEASE, NS, { chart: o.chart ?? 'dynamo-platform', version: o.version ?? '0.8.1' });
  // helm's manifest: each object after `---` and its `# Source:` line; the render's own comment lines say where each came from
  const chunks = render.split(/^---[ \t]*$/m).filter((c) => /^kind:/m.test(c));
  const manifest = [...chunks.filter((c) => !/helm\.sh\/hook/.test(c)), ...subcharts.map((s) => `\n# Source: ${s.source}\n${JSON.stringify(s.object)}\n`)].join('---');
  const hooks = chunks.filter((c) => /helm\.sh\/hook/.test(c)).join('---');
  env.helm.stored.set(`${NS}/${RELEASE}`, { values: {}, manifest: `---${manifest}`, hooks: `---${hooks}` });
  // helm reads a release from its storage Secret: gone, the release is gone
  const status = env.helm.status.bind(env.helm);
  env.helm.status = async (release, namespace) => (release === RELEASE && namespace === NS && !cluster.get(`/api/v1/namespaces/${NS}/secrets/${storage}`) ? undefined : status(release, namespace));
  cluster.log.length = 0;
  return { ...env, storage: `/api/v1/namespaces/${NS}/secrets/${storage}` };
}
