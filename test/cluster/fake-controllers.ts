/**
 * The controllers a real cluster has and the fake (kwok) one lacks, in one small process the control plane
 * starts beside the others: node fake-controllers.ts <admin kubeconfig>
 *
 * - Storage. A dynamic provisioner for StorageClasses whose provisioner is `kwok.x-k8s.io/fake` (the
 *   tests' own default classes): it creates a volume for each claim the PV controller hands to it, and
 *   deletes the volume again when its claim is gone (reclaim policy Delete), as a CSI external-provisioner
 *   does. And, for the control plane's static pool (no provisioner; PVs labelled POOL_LABEL), what a local
 *   volume provisioner does: a Released pool volume is made Available again. Binding itself stays with the
 *   real PV controller.
 * - A fake Kai operator (kai-scheduler v0.9.4). While Config `kai-config` exists and Deployment
 *   `kai-operator` is ready, it keeps the Deployments (and ServiceAccounts) the real operator starts at run
 *   time: pod-grouper, queue-controller, podgroup-controller and admission, in kai-operator's namespace,
 *   with the Config's images (defaults from kai-operator's MS_REPOSITORY and MS_TAG), tolerations,
 *   affinity and pull secrets, each controlled by the Config, so the garbage collector removes them after
 *   `helm uninstall`. (The real operator also creates admission webhooks; nothing would serve them here.)
 *
 * Talks only to the API server of the kubeconfig. Polls every TICK_MS; stops on SIGTERM/SIGINT, or when
 * the API server has not answered for GIVE_UP_MS (its control plane is gone).
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const FAKE_PROVISIONER = 'kwok.x-k8s.io/fake';
/** Label of the control plane's pre-created volumes; its value is the StorageClass. */
export const POOL_LABEL = 'dynamoctl.test/volume-pool';

const TICK_MS = 500;
const GIVE_UP_MS = 30_000;
const REQUEST_TIMEOUT_MS = 5_000;
const KAI_MANAGER = 'kai-operator';
const SPEC_HASH = 'kai.scheduler/fake-operator-spec';

type Obj = Record<string, unknown> & { metadata?: Meta; spec?: Record<string, unknown>; status?: Record<string, unknown> };
interface Meta {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
}
interface Response {
  status: number;
  body: Obj & { items?: Obj[] };
}

function connection(kubeconfigFile: string): { server: URL; agent: Agent } {
  const k = parse(readFileSync(kubeconfigFile, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  };
  const cluster = k.clusters[0]?.cluster;
  const user = k.users[0]?.user;
  if (!cluster || !user) throw new Error(`${kubeconfigFile}: no cluster or user`);
  const b64 = (s: string): Buffer => Buffer.from(s, 'base64');
  const agent = new Agent({ keepAlive: true, maxSockets: 4, ca: b64(cluster['certificate-authority-data']), cert: b64(user['client-certificate-data']), key: b64(user['client-key-data']) });
  return { server: new URL(cluster.server), agent };
}

function client(kubeconfigFile: string) {
  const { server, agent } = connection(kubeconfigFile);
  const call = (method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Response> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        new URL(path, server),
        { method, agent, timeout: REQUEST_TIMEOUT_MS, headers: { accept: 'application/json', ...(data ? { 'content-type': contentType, 'content-length': Buffer.byteLength(data) } : {}) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            let parsed: Obj;
            try {
              parsed = text ? (JSON.parse(text) as Obj) : {};
            } catch {
              parsed = { message: text };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(data);
    });
  return Object.assign(call, { close: () => agent.destroy() });
}

type Api = ReturnType<typeof client>;

const log = (line: string): void => {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
};

/** GET that must succeed (404 gives undefined). */
async function get(api: Api, path: string): Promise<Response['body'] | undefined> {
  const r = await api('GET', path);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${String(r.body.message ?? '')}`);
  return r.body;
}

async function write(api: Api, method: string, path: string, body: unknown, contentType?: string): Promise<void> {
  const r = await api(method, path, body, contentType);
  // 404/409: someone else got there first (deleted, created); the next tick sees the new state
  if (r.status >= 300 && r.status !== 404 && r.status !== 409) log(`${method} ${path}: ${r.status} ${String(r.body.message ?? '')}`);
}

// ---------------------------------------------------------------------------------------------------------
// storage

async function storage(api: Api): Promise<void> {
  const classes = (await get(api, '/apis/storage.k8s.io/v1/storageclasses'))?.items ?? [];
  const ours = new Map(classes.filter((c) => c.provisioner === FAKE_PROVISIONER).map((c) => [c.metadata?.name ?? '', c]));
  const volumes = (await get(api, '/api/v1/persistentvolumes'))?.items ?? [];
  const volumeNames = new Set(volumes.map((v) => v.metadata?.name));

  if (ours.size) {
    const claims = (await get(api, '/api/v1/persistentvolumeclaims'))?.items ?? [];
    for (const claim of claims) {
      const m = claim.metadata ?? {};
      const spec = (claim.spec ?? {}) as { storageClassName?: string; volumeName?: string; accessModes?: string[]; volumeMode?: string; resources?: { requests?: { storage?: string } } };
      const annotations = m.annotations ?? {};
      // the PV controller names the provisioner it waits for once it has found no volume to bind
      const wanted = annotations['volume.kubernetes.io/storage-provisioner'] ?? annotations['volume.beta.kubernetes.io/storage-provisioner'];
      const sc = ours.get(spec.storageClassName ?? '');
      if (!sc || wanted !== FAKE_PROVISIONER || spec.volumeName || m.deletionTimestamp || claim.status?.phase !== 'Pending') continue;
      const name = `pvc-${m.uid}`;
      if (volumeNames.has(name)) continue;
      const node = annotations['volume.kubernetes.io/selected-node'];
      if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !node) continue;
      const volume = {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': FAKE_PROVISIONER } },
        spec: {
          capacity: { storage: spec.resources?.requests?.storage ?? '1Gi' },
          accessModes: spec.accessModes ?? ['ReadWriteOnce'],
          volumeMode: spec.volumeMode ?? 'Filesystem',
          storageClassName: spec.storageClassName,
          persistentVolumeReclaimPolicy: (sc.reclaimPolicy as string | undefined) ?? 'Delete',
          ...(sc.mountOptions ? { mountOptions: sc.mountOptions } : {}),
          claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: m.namespace, name: m.name, uid: m.uid },
          hostPath: { path: `/var/lib/kwok-fake-volumes/${name}`, type: 'DirectoryOrCreate' },
          ...(node ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } } } : {}),
        },
      };
      log(`provisioning ${name} (${volume.spec.capacity.storage}, class ${spec.storageClassName}) for ${m.namespace}/${m.name}`);
      await write(api, 'POST', '/api/v1/persistentvolumes', volume);
    }
  }

  for (const v of volumes) {
    const m = v.metadata ?? {};
    if (v.status?.phase !== 'Released' || m.deletionTimestamp) continue;
    const spec = v.spec as { persistentVolumeReclaimPolicy?: string };
    if (m.annotations?.['pv.kubernetes.io/provisioned-by'] === FAKE_PROVISIONER && spec.persistentVolumeReclaimPolicy === 'Delete') {
      log(`deleting ${m.name}: its claim is gone`);
      await write(api, 'DELETE', `/api/v1/persistentvolumes/${m.name}`, undefined);
    } else if (m.labels?.[POOL_LABEL]) {
      log(`returning ${m.name} to the ${m.labels[POOL_LABEL]} pool: its claim is gone`);
      await write(api, 'PATCH', `/api/v1/persistentvolumes/${m.name}`, { spec: { claimRef: null } }, 'application/merge-patch+json');
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// the Kai operator

interface ImageSpec {
  name?: string;
  repository?: string;
  tag?: string;
  pullPolicy?: string;
}
interface ServiceSpec {
  enabled?: boolean;
  image?: ImageSpec;
  resources?: unknown;
}

/** Deployment name → where the Config configures it and the image name the operator defaults to. */
const KAI_COMPONENTS: { name: string; section: string; image: string; port?: number }[] = [
  { name: 'pod-grouper', section: 'podGrouper', image: 'podgrouper' },
  { name: 'queue-controller', section: 'queueController', image: 'queuecontroller', port: 9443 },
  { name: 'podgroup-controller', section: 'podGroupController', image: 'podgroupcontroller' },
  { name: 'admission', section: 'admission', image: 'admission', port: 9443 },
];

const DEFAULT_RESOURCES = { requests: { cpu: '50m', memory: '256Mi' }, limits: { cpu: '100m', memory: '512Mi' } };
const DEFAULT_SECURITY_CONTEXT = { runAsUser: 10000, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };

async function kaiOperator(api: Api): Promise<void> {
  const config = await get(api, '/apis/kai.scheduler/v1/configs/kai-config');
  if (!config || config.metadata?.deletionTimestamp) return;
  const operators = (await get(api, '/apis/apps/v1/deployments?labelSelector=app%3Dkai-operator&fieldSelector=metadata.name%3Dkai-operator'))?.items ?? [];
  const spec = (config.spec ?? {}) as Record<string, unknown> & { namespace?: string; global?: Record<string, unknown> };
  // the operator acts only while its pod runs
  const running = operators.filter((d) => Number(d.status?.readyReplicas ?? 0) > 0);
  const operator = running.find((d) => d.metadata?.namespace === spec.namespace) ?? running[0];
  if (!operator) return;
  const namespace = operator.metadata?.namespace ?? '';
  const env = ((operator.spec as { template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } } }).template?.spec?.containers?.[0]?.env ?? []).reduce<Record<string, string>>(
    (all, e) => (e.value === undefined ? all : { ...all, [e.name]: e.value }),
    {},
  );
  const global = spec.global ?? {};
  const owner = { apiVersion: 'kai.scheduler/v1', kind: 'Config', name: 'kai-config', uid: config.metadata?.uid, controller: true, blockOwnerDeletion: true };
  const pullSecrets = ((global.additionalImagePullSecrets as string[] | undefined) ?? []).map((name) => ({ name }));

  const existing = new Map(((await get(api, `/apis/apps/v1/namespaces/${namespace}/deployments`))?.items ?? []).map((d) => [d.metadata?.name, d]));
  const accounts = new Set(((await get(api, `/api/v1/namespaces/${namespace}/serviceaccounts`))?.items ?? []).map((a) => a.metadata?.name));

  for (const c of KAI_COMPONENTS) {
    const service = ((spec[c.section] as { service?: ServiceSpec } | undefined)?.service ?? {}) as ServiceSpec;
    if (service.enabled === false) continue;
    const image = service.image ?? {};
    const ref = `${image.repository ?? env.MS_REPOSITORY}/${image.name ?? c.image}:${image.tag ?? env.MS_TAG}`;
    const labels = { app: c.name };
    const podSpec = {
      serviceAccountName: c.name,
      ...(pullSecrets.length ? { imagePullSecrets: pullSecrets } : {}),
      ...(global.tolerations ? { tolerations: global.tolerations } : {}),
      ...(global.affinity ? { affinity: global.affinity } : {}),
      containers: [
        {
          name: c.name,
          image: ref,
          imagePullPolicy: image.pullPolicy ?? 'IfNotPresent',
          args: ['--leader-elect=false', `--namespace=${namespace}`],
          resources: service.resources ?? DEFAULT_RESOURCES,
          securityContext: global.securityContext ?? DEFAULT_SECURITY_CONTEXT,
          ...(c.port ? { ports: [{ name: 'webhook', containerPort: c.port }] } : {}),
        },
      ],
    };
    const deploymentSpec = {
      replicas: Number(global.replicaCount ?? 1),
      selector: { matchLabels: labels },
      ...(c.name === 'admission' ? { strategy: { type: 'Recreate' } } : {}),
      template: { metadata: { labels }, spec: podSpec },
    };
    const hash = JSON.stringify([owner.uid, deploymentSpec]);
    const current = existing.get(c.name);
    if (!accounts.has(c.name)) {
      await write(api, 'PATCH', `/api/v1/namespaces/${namespace}/serviceaccounts/${c.name}?fieldManager=${KAI_MANAGER}&force=true`, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: c.name, namespace, labels, ownerReferences: [owner] },
      }, 'application/apply-patch+yaml');
    }
    if (current && !current.metadata?.deletionTimestamp && current.metadata?.annotations?.[SPEC_HASH] === hash) continue;
    log(`${current ? 'updating' : 'creating'} Deployment ${namespace}/${c.name} (${ref})`);
    await write(api, 'PATCH', `/apis/apps/v1/namespaces/${namespace}/deployments/${c.name}?fieldManager=${KAI_MANAGER}&force=true`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: c.name, namespace, labels, annotations: { [SPEC_HASH]: hash }, ownerReferences: [owner] },
      spec: deploymentSpec,
    }, 'application/apply-patch+yaml');
  }
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const kubeconfig = process.argv[2];
  if (!kubeconfig) throw new Error('usage: node fake-controllers.ts <kubeconfig>');
  const api = client(kubeconfig);
  let stopping = false;
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.on(s, () => (stopping = true));
  let lastAnswer = Date.now();
  log('started');
  while (!stopping) {
    const t0 = Date.now();
    for (const [name, controller] of [['storage', storage], ['kai-operator', kaiOperator]] as const) {
      try {
        await controller(api);
        lastAnswer = Date.now();
      } catch (e) {
        log(`${name}: ${(e as Error).message}`);
      }
    }
    if (Date.now() - lastAnswer > GIVE_UP_MS) {
      log(`the API server has not answered for ${GIVE_UP_MS / 1000}s: stopping`);
      break;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, TICK_MS - (Date.now() - t0))));
  }
  api.close();
  log('stopped');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    log(`fatal: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}
