/**
 * A real, local Kubernetes control plane without Docker: etcd, kube-apiserver (own PKI, RBAC, loopback
 * only), kube-controller-manager, kube-scheduler and kwok with fake nodes (one with GPUs) and pods that fail
 * on request (kwok-stages.ts), storage as a real cluster has it (a default StorageClass with a pool of
 * volumes the PV controller binds claims to),
 * the controllers kwok lacks (fake-controllers.ts: a volume provisioner, a fake Kai operator), plus a Helm
 * chart repository over HTTP and an OCI registry serving our fixture charts. Used by the vitest global
 * setup (one per test run) and by `npm run cluster:up` for people.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { publishCharts, type ChartSources } from './charts.ts';
import { POOL_LABEL } from './fake-controllers.ts';
import { failureStages } from './kwok-stages.ts';
import { createPki, writeKubeconfig, type Pki } from './pki.ts';
import { freePort, startProcess, stopProcesses, waitFor, type Started } from './processes.ts';
import { binaries, missingBinaries, versions } from './versions.ts';

export interface ClusterInfo {
  dir: string;
  /** Admin (system:masters) kubeconfig. */
  kubeconfig: string;
  server: string;
  processes: Started[];
  charts: ChartSources;
  /** Environment that isolates helm's config, cache and data under `dir`. */
  helmEnv: Record<string, string>;
  versions: typeof versions;
  binaries: typeof binaries;
  /** The StorageClasses the cluster starts with and the number of volumes in each one's pool. */
  storage: { defaultClass: string; pools: Record<string, number> };
  /** Seconds each start-up phase took. */
  timings: Record<string, number>;
}

const SERVICE_CIDR = '10.96.0.0/24';

/**
 * Storage as a real cluster has it. `standard` is the default class; like `fast-ssd` it has no provisioner
 * and binds immediately, so a claim binds (through the real PV controller) only to one of the pre-created
 * volumes of its class: a claim of a class without free volumes stays Pending, as it would for real.
 * (Classes with provisioner kwok.x-k8s.io/fake, which tests create, get volumes from fake-controllers.ts.)
 */
export const STORAGE = { defaultClass: 'standard', pools: { standard: 40, 'fast-ssd': 6 } as Record<string, number>, volumeSize: '20Gi' };

/** Builds the pinned binaries if the cache lacks any (minutes when cold, nothing when warm). */
export function ensureBinaries(): void {
  if (!missingBinaries().length) return;
  const script = new URL('./build-binaries.sh', import.meta.url).pathname;
  // stdout to our stderr: vitest and `cluster:up` keep stdout for results
  const r = spawnSync('bash', [script], { stdio: ['ignore', process.stderr, process.stderr] });
  if (r.status !== 0) throw new Error(`building the control-plane binaries failed (bash ${script} exited ${r.status}); see the output above`);
}

type Log = (line: string) => void;

/** Starts everything under `dir`; on failure stops what it started and rethrows with the reason. */
export async function startCluster(opts: { dir: string; detached: boolean; log?: Log }): Promise<ClusterInfo> {
  const missing = missingBinaries();
  if (missing.length) throw new Error(`control-plane binaries missing (${missing.join(', ')}): run npm run cluster:build`);
  const log = opts.log ?? (() => {});
  const dir = opts.dir;
  mkdirSync(dir, { recursive: true });
  const started: Started[] = [];
  const timings: Record<string, number> = {};
  const phase = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    const result = await fn();
    timings[name] = Number(((performance.now() - t0) / 1000).toFixed(2));
    log(`cluster: ${name} (${timings[name]}s)`);
    return result;
  };
  const start = (name: string, bin: string, args: string[], env?: NodeJS.ProcessEnv): Started => {
    const p = startProcess(dir, name, bin, args, { detached: opts.detached, ...(env ? { env } : {}) });
    started.push(p);
    return p;
  };

  try {
    const t0 = performance.now();
    const [etcdPort, etcdPeerPort, apiPort, kcmPort, schedPort, kwokPort] = await Promise.all(Array.from({ length: 6 }, freePort));
    const pki = await phase('pki', () => createPki(dir));
    const server = `https://127.0.0.1:${apiPort}`;

    const etcd = start('etcd', binaries.etcd, [
      '--name=node0',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=node0=http://127.0.0.1:${etcdPeerPort}`,
      '--unsafe-no-fsync=true',
      '--auto-compaction-retention=1',
      '--log-level=warn',
    ]);
    await phase('etcd', () => waitFor('etcd /health', () => httpOk(`http://127.0.0.1:${etcdPort}/health`), { timeoutMs: 30_000, process: etcd }));

    const apiserver = start('kube-apiserver', binaries.kubeApiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--advertise-address=127.0.0.1',
      '--bind-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountKey}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      // two cores: no request throttling between our own components
      '--enable-priority-and-fairness=false',
      '--max-requests-inflight=0',
      '--max-mutating-requests-inflight=0',
    ]);
    const admin = writeKubeconfig(pki, server, 'admin', ['system:masters']);
    const kubeconfig = join(dir, 'admin.kubeconfig');
    writeFileSync(kubeconfig, readFileSync(admin), { mode: 0o600 });
    await phase('kube-apiserver', () => waitFor('kube-apiserver /readyz', () => httpsOk(`${server}/readyz`, pki, admin), { timeoutMs: 60_000, process: apiserver }));

    start('kube-controller-manager', binaries.kubeControllerManager, [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      `--root-ca-file=${pki.caCert}`,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      '--use-service-account-credentials=true',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      '--controllers=*',
    ]);
    start('kube-scheduler', binaries.kubeScheduler, [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${schedPort}`,
    ]);
    const stage = (p: string): string => `--config=${join(binaries.kwokStages, p)}`;
    const failures = join(dir, 'failure-stages.yaml');
    writeFileSync(failures, failureStages().map((s) => `---\n${stringify(s)}`).join(''));
    const kwok = start('kwok', binaries.kwok, [
      `--kubeconfig=${kubeconfig}`,
      stage('node/fast/node-initialize.yaml'),
      stage('node/heartbeat-with-lease/node-heartbeat-with-lease.yaml'),
      stage('pod/fast/pod-ready.yaml'),
      stage('pod/fast/pod-complete.yaml'),
      stage('pod/fast/pod-delete.yaml'),
      // pods that fail as a kubelet reports it (image pulls, crash loops), for the fail-fast tests
      `--config=${failures}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--cidr=10.244.0.0/16',
      '--node-ip=10.0.0.1',
      '--node-lease-duration-seconds=40',
      `--server-address=127.0.0.1:${kwokPort}`,
    ]);

    const kubectl = (args: string[], input?: string): string =>
      execFileSync(binaries.kubectl, [`--kubeconfig=${kubeconfig}`, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
    start('fake-controllers', process.execPath, [fileURLToPath(new URL('./fake-controllers.ts', import.meta.url)), kubeconfig]);
    await phase('nodes', async () => {
      kubectl(['apply', '-f', '-'], fakeNodes().map((n) => `---\n${stringify(n)}`).join(''));
      await waitFor('fake nodes Ready', async () => nodesReady(kubectl), { timeoutMs: 60_000, process: kwok });
    });
    await phase('storage', () => kubectl(['apply', '-f', '-'], storageObjects().map((o) => `---\n${stringify(o)}`).join('')));
    await phase('controllers', () =>
      // the serviceaccount controller (controller-manager) creates every namespace's `default` account
      waitFor('the default ServiceAccount', async () => kubectl(['get', 'serviceaccount', 'default', '-n', 'default', '-o', 'name']).trim() !== '', {
        timeoutMs: 60_000,
      }),
    );
    timings.controlPlane = Number(((performance.now() - t0) / 1000).toFixed(2));

    const helmEnv = {
      HELM_CONFIG_HOME: join(dir, 'helm', 'config'),
      HELM_CACHE_HOME: join(dir, 'helm', 'cache'),
      HELM_DATA_HOME: join(dir, 'helm', 'data'),
    };
    const charts = await phase('charts', () => publishCharts({ dir, helmEnv, start }));
    timings.total = Number(((performance.now() - t0) / 1000).toFixed(2));

    const storage = { defaultClass: STORAGE.defaultClass, pools: STORAGE.pools };
    const info: ClusterInfo = { dir, kubeconfig, server, processes: started, charts, helmEnv, versions, binaries, storage, timings };
    writeFileSync(join(dir, 'cluster.json'), `${JSON.stringify(info, null, 2)}\n`);
    return info;
  } catch (error) {
    await stopProcesses(started.map((p) => p.pid).reverse());
    throw error;
  }
}

/** Stops every process of the cluster; returns the summed peak RSS (MiB) they reached, for the record. */
export async function stopCluster(info: Pick<ClusterInfo, 'processes'>): Promise<number> {
  const peakMiB = info.processes.reduce((sum, p) => sum + peakRssKiB(p.pid), 0) / 1024;
  await stopProcesses(info.processes.map((p) => p.pid).reverse());
  return peakMiB;
}

/** VmHWM: the highest resident set size a live process has had. */
function peakRssKiB(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * A kubeconfig for a user with no cluster-wide rights, bound to the built-in `admin` ClusterRole in
 * `namespace` only (what a namespace owner typically has). Creates the namespace if needed.
 */
export function restrictedKubeconfig(info: Pick<ClusterInfo, 'dir' | 'server' | 'kubeconfig'>, user: string, namespace: string): string {
  const pki: Pki = {
    dir: info.dir,
    caCert: join(info.dir, 'ca.crt'),
    caKey: join(info.dir, 'ca.key'),
    serverCert: join(info.dir, 'apiserver.crt'),
    serverKey: join(info.dir, 'apiserver.key'),
    serviceAccountKey: join(info.dir, 'sa.key'),
  };
  const file = writeKubeconfig(pki, info.server, user);
  const objects = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `${user}-admin`, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    },
  ];
  execFileSync(binaries.kubectl, [`--kubeconfig=${info.kubeconfig}`, 'apply', '-f', '-'], {
    input: objects.map((o) => `---\n${stringify(o)}`).join(''),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return file;
}

/**
 * Two fake nodes managed by kwok: a CPU node and a GPU node with 8 `nvidia.com/gpu`. Like real nodes they
 * advertise ephemeral-storage, which charts request (etcd's preset, Grove), and pods, so what does not fit
 * stays Pending.
 */
function fakeNodes(): object[] {
  const node = (name: string, extraLabels: Record<string, string>, extraResources: Record<string, string>) => {
    const resources = { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '100Gi', ...extraResources };
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok', ...extraLabels },
      },
      status: { allocatable: resources, capacity: resources },
    };
  };
  return [
    node('kwok-cpu-0', {}, {}),
    node('kwok-gpu-0', { 'nvidia.com/gpu.present': 'true', 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' }, { 'nvidia.com/gpu': '8' }),
  ];
}

/** The StorageClasses of STORAGE and their pools of volumes (hostPath: nothing on kwok mounts them). */
function storageObjects(): object[] {
  const classes = Object.keys(STORAGE.pools).map((name) => ({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name, ...(name === STORAGE.defaultClass ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) },
    provisioner: 'kubernetes.io/no-provisioner',
    volumeBindingMode: 'Immediate',
    reclaimPolicy: 'Retain',
  }));
  const volumes = Object.entries(STORAGE.pools).flatMap(([storageClass, count]) =>
    Array.from({ length: count }, (_, i) => {
      const name = `${storageClass}-pv-${String(i).padStart(2, '0')}`;
      return {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name, labels: { [POOL_LABEL]: storageClass } },
        spec: {
          storageClassName: storageClass,
          capacity: { storage: STORAGE.volumeSize },
          accessModes: ['ReadWriteOnce'],
          volumeMode: 'Filesystem',
          // a Released volume goes back to the pool (fake-controllers.ts), as a local volume provisioner does
          persistentVolumeReclaimPolicy: 'Retain',
          hostPath: { path: `/var/lib/kwok-volumes/${name}`, type: 'DirectoryOrCreate' },
        },
      };
    }),
  );
  return [...classes, ...volumes];
}

function nodesReady(kubectl: (args: string[]) => string): boolean {
  const out = kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
  const statuses = out.split('\n').filter(Boolean);
  return statuses.length === fakeNodes().length && statuses.every((s) => s === 'True');
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    httpGet(url, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}

function httpsOk(url: string, pki: Pki, kubeconfigFile: string): Promise<boolean> {
  const base = kubeconfigFile.replace(/\.kubeconfig$/, '');
  return new Promise((resolve) => {
    httpsGet(url, { ca: readFileSync(pki.caCert), cert: readFileSync(`${base}.crt`), key: readFileSync(`${base}.key`) }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}
